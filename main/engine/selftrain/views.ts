/**
 * What a round does with the teacher's augmented views (teacher/augment.ts), as head inputs aligned
 * with the clean ones (views[v] row i is view v of image i, through the same feature transform):
 * - test-time averaging: an image is scored on the mean of its clean and view features;
 * - Noisy Student on embeddings (Xie et al. 2020): the student head trains on each training image's
 *   clean and view rows, all with its label, with dropout on the input features, while the
 *   un-noised previous head (the teacher) labelled the clean images.
 */
import { l2NormalizeRows, matrix, rng, takeRows, type Matrix } from '../math/linalg'
import type { Targets } from './head'

/** Every view must be aligned with X: one row per image, the same features. */
function checkViews(X: Matrix, views: readonly Matrix[]): void {
  for (const V of views) if (V.rows !== X.rows || V.cols !== X.cols) throw new Error(`a view has ${V.rows}x${V.cols} features for ${X.rows}x${X.cols} images`)
}

/** Each row's mean over the clean features and its views, L2-normalised as every head input is. */
export function meanOfViews(X: Matrix, views: readonly Matrix[]): Matrix {
  if (views.length === 0) return X
  const out = matrix(X.rows, X.cols, Float32Array.from(X.data))
  checkViews(X, views)
  for (const V of views) {
    for (let j = 0; j < out.data.length; j++) out.data[j] = out.data[j]! + V.data[j]!
  }
  return l2NormalizeRows(out)
}

export interface StudentSet {
  X: Matrix
  targets: Targets
  weight: Float32Array
}

/**
 * The noisy student's training set for the images `idx` (with their targets and weights): their
 * clean rows, then each view's rows, with the same targets; then input dropout (each feature zeroed
 * with probability `dropout`, the rest scaled by 1 / (1 - dropout), one mask per row, seeded). Each
 * image's rows share its weight (weight / copies), so the total weight, and with it the L2 penalty's
 * relative strength, is the same as the clean set's: the views add variation, not confidence.
 */
export function studentSet(X: Matrix, views: readonly Matrix[], idx: Int32Array, targets: Targets, weight: Float32Array, dropout: number, seed: number): StudentSet {
  const copies = 1 + views.length
  const n = idx.length
  const d = X.cols
  checkViews(X, views)
  const out = matrix(n * copies, d)
  ;[X, ...views].forEach((M, c) => out.data.set(takeRows(M, idx).data, c * n * d))
  const w = new Float32Array(n * copies)
  for (let c = 0; c < copies; c++) for (let i = 0; i < n; i++) w[c * n + i] = weight[i]! / copies
  let t: Targets
  if (targets instanceof Int32Array) {
    t = new Int32Array(n * copies)
    for (let c = 0; c < copies; c++) t.set(targets, c * n)
  } else {
    const T = new Float32Array(n * copies * targets.cols)
    for (let c = 0; c < copies; c++) T.set(targets.data.subarray(0, n * targets.cols), c * n * targets.cols)
    t = matrix(n * copies, targets.cols, T)
  }
  if (dropout > 0) {
    if (dropout >= 1) throw new Error(`input dropout must be below 1, got ${dropout}`)
    const rand = rng(seed + 7919)
    const keep = 1 - dropout
    for (let j = 0; j < out.data.length; j++) out.data[j] = rand() < keep ? out.data[j]! / keep : 0
  }
  return { X: out, targets: t, weight: w }
}
