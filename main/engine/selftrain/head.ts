import type { Matrix } from '../math/linalg'

/**
 * Targets for a head: hard labels (class index per row) or soft targets (rows of a n x k matrix,
 * each summing to 1).
 */
export type Targets = Int32Array | Matrix

export interface FitOptions {
  /** per-row weight (e.g. a pseudo-label counts less than a human label) */
  sampleWeight?: Float32Array | Float64Array
  /** per-class weight, multiplied into each row's weight by its (expected) class */
  classWeight?: Float64Array | 'balanced'
  signal?: AbortSignal
  /** how far the fit has come, 0..1, non-decreasing, an estimate while it runs (1 only at the end) */
  onProgress?: (fraction: number) => void
}

/** The estimator shape (scikit-learn's): parameters in the constructor, then fit and predict. */
export interface Head {
  readonly classes: number
  fit(X: Matrix, y: Targets, opts?: FitOptions): this
  /** logits, n x k (before temperature) */
  decision(X: Matrix): Float64Array
  /** probabilities, n x k, rows sum to 1 */
  predictProba(X: Matrix): Float32Array
}

export type HeadFactory = () => Head

/**
 * A fitted head as plain arrays, the way it crosses a thread and is saved for the student export.
 * Logistic: logits = x W^T + b (W is classes x dim). MLP: logits = relu(x W1^T + b1) W2^T + b2
 * (W1 is hidden x dim, W2 classes x hidden); its dropout acts only while training.
 */
export type HeadWeights =
  | { kind: 'logistic'; dim: number; classes: number; W: Float32Array; b: Float64Array }
  | { kind: 'mlp'; dim: number; hidden: number; classes: number; W1: Float32Array; b1: Float32Array; W2: Float32Array; b2: Float32Array }

/** Turns targets into a dense n x k target matrix and per-row weights (class weight x sample weight). */
export function expandTargets(
  y: Targets,
  n: number,
  k: number,
  opts: FitOptions,
): { T: Float64Array; w: Float64Array } {
  const T = new Float64Array(n * k)
  if (y instanceof Int32Array) {
    if (y.length !== n) throw new Error(`targets: ${y.length} labels for ${n} rows`)
    for (let i = 0; i < n; i++) {
      const c = y[i]!
      if (c < 0 || c >= k) throw new Error(`targets: label ${c} outside 0..${k - 1}`)
      T[i * k + c] = 1
    }
  } else {
    if (y.rows !== n || y.cols !== k) throw new Error(`targets: ${y.rows}x${y.cols} for ${n}x${k}`)
    for (let i = 0; i < n * k; i++) T[i] = y.data[i]!
  }
  const w = new Float64Array(n).fill(1)
  if (opts.sampleWeight) for (let i = 0; i < n; i++) w[i] = opts.sampleWeight[i]!
  let cw = opts.classWeight
  if (cw === 'balanced') {
    // n / (k * count_c), as scikit-learn does, counted with the sample weights
    const count = new Float64Array(k)
    let total = 0
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) count[c] = count[c]! + w[i]! * T[i * k + c]!
    for (let c = 0; c < k; c++) total += count[c]!
    cw = new Float64Array(k)
    for (let c = 0; c < k; c++) cw[c] = count[c]! > 0 ? total / (k * count[c]!) : 0
  }
  if (cw) {
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let c = 0; c < k; c++) s += T[i * k + c]! * cw[c]!
      w[i] = w[i]! * s
    }
  }
  return { T, w }
}
