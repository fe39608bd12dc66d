import { columnMeans, l2NormalizeRows, matrix, type Matrix } from '../math/linalg'

/**
 * How embeddings become head inputs; fitted on the unlabelled pool, no labels used.
 * - L2 normalisation always (the protocol of the baselines).
 * - `power`: x -> sign(x) |x|^p before normalising. Pooled ReLU features are non-negative and
 *   heavy-tailed; p = 0.5 makes class clusters closer to Gaussian (Hu et al. 2021, PT-MAP).
 * - `centre`: subtract the pool mean and normalise again ("CL2N", Wang et al. 2019, SimpleShot):
 *   removes the direction every image shares, which otherwise dominates cosine similarity.
 */
export interface FeatureOptions {
  power: number
  centre: boolean
}

export interface FeatureTransform extends FeatureOptions {
  mean?: Float64Array
}

export const DEFAULT_FEATURES: FeatureOptions = { power: 0.5, centre: true }

function base(X: Matrix, power: number): Matrix {
  const out = matrix(X.rows, X.cols, Float32Array.from(X.data))
  if (power !== 1) {
    const d = out.data
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!
      d[i] = v >= 0 ? Math.pow(v, power) : -Math.pow(-v, power)
    }
  }
  return l2NormalizeRows(out)
}

export function fitFeatures(pool: Matrix, opts: Partial<FeatureOptions> = {}): FeatureTransform {
  const o = { ...DEFAULT_FEATURES, ...opts }
  if (!o.centre) return o
  return { ...o, mean: columnMeans(base(pool, o.power)) }
}

export function applyFeatures(t: FeatureTransform, X: Matrix): Matrix {
  const out = base(X, t.power)
  if (t.centre && t.mean) {
    const d = X.cols
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < d; j++) out.data[i * d + j] = out.data[i * d + j]! - t.mean[j]!
    l2NormalizeRows(out)
  }
  return out
}
