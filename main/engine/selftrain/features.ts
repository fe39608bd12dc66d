import { columnMeans, matrix, type Matrix } from '../math/linalg'

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

/**
 * x -> sign(x) |x|^p, then L2 normalisation: one row, in place. The sum of squares is taken over
 * the float32 values as stored (Math.fround), as l2NormalizeRows does, in the same loop: one pass
 * fewer over ~0.5 GB at 100k images.
 */
export function baseRow(row: Float32Array, power: number): void {
  const n = row.length
  let s = 0
  for (let j = 0; j < n; j++) {
    const x = row[j]!
    const v = Math.fround(power === 1 ? x : power === 0.5 ? (x >= 0 ? Math.sqrt(x) : -Math.sqrt(-x)) : x >= 0 ? Math.pow(x, power) : -Math.pow(-x, power))
    row[j] = v
    s += v * v
  }
  scaleRow(row, s)
}

/** The pool mean taken away, then L2 normalisation again: one row (of baseRow's output), in place. */
export function centreRow(row: Float32Array, mean: Float64Array): void {
  let s = 0
  for (let j = 0; j < row.length; j++) {
    const v = Math.fround(row[j]! - mean[j]!)
    row[j] = v
    s += v * v
  }
  scaleRow(row, s)
}

/** Divides the row by sqrt(s), its sum of squares; a zero row stays zero. */
function scaleRow(row: Float32Array, s: number): void {
  if (!(s > 0)) return
  const inv = 1 / Math.sqrt(s)
  for (let j = 0; j < row.length; j++) row[j] = row[j]! * inv
}

function base(X: Matrix, power: number): Matrix {
  const out = matrix(X.rows, X.cols, Float32Array.from(X.data))
  for (let i = 0; i < X.rows; i++) baseRow(out.data.subarray(i * X.cols, (i + 1) * X.cols), power)
  return out
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
    for (let i = 0; i < X.rows; i++) centreRow(out.data.subarray(i * d, (i + 1) * d), t.mean)
  }
  return out
}
