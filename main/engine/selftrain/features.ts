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
  scaleRow(row, powerRow(row, power))
}

/**
 * baseRow that also adds the normalised row into `sum` (for the mean) and returns its sum of
 * squares, in the normalising loop: "more like this" needs both for every row, and a pass of its
 * own over them cost a fifth of its first query at 100k images.
 */
export function baseRowSummed(row: Float32Array, power: number, sum: Float64Array): number {
  const s = powerRow(row, power)
  const inv = s > 0 ? 1 / Math.sqrt(s) : 1
  let after = 0
  for (let j = 0; j < row.length; j++) {
    const v = Math.fround(row[j]! * inv)
    row[j] = v
    sum[j] = sum[j]! + v
    after += v * v
  }
  return after
}

/** x -> sign(x) |x|^p in place; returns the sum of squares of the float32 values stored. */
function powerRow(row: Float32Array, power: number): number {
  const n = row.length
  let s = 0
  // one loop per power, the test hoisted out of it: the square root is the default, and a branch
  // on `power` per value cost "more like this" a good part of its first load at 100k x 1280
  if (power === 0.5) {
    for (let j = 0; j < n; j++) {
      const x = row[j]!
      const v = Math.fround(x >= 0 ? Math.sqrt(x) : -Math.sqrt(-x))
      row[j] = v
      s += v * v
    }
  } else if (power === 1) {
    for (let j = 0; j < n; j++) s += row[j]! * row[j]!
  } else {
    for (let j = 0; j < n; j++) {
      const x = row[j]!
      const v = Math.fround(x >= 0 ? Math.pow(x, power) : -Math.pow(-x, power))
      row[j] = v
      s += v * v
    }
  }
  return s
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
