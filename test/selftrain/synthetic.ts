import { gaussian, l2NormalizeRows, matrix, rng, type Matrix } from '../../main/engine/math/linalg'

/** A Gaussian mixture: `classes` centres in `dim` dimensions, `perClass` points each, L2-normalised. */
export function mixture(opts: { classes: number; perClass: number; dim: number; spread: number; seed?: number; normalise?: boolean }): { X: Matrix; y: Int32Array } {
  const { classes, perClass, dim, spread } = opts
  const r = rng(opts.seed ?? 1)
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: dim }, () => gaussian(r)))
  const n = classes * perClass
  const X = matrix(n, dim)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const c = i % classes
    y[i] = c
    for (let j = 0; j < dim; j++) X.data[i * dim + j] = centres[c]![j]! + spread * gaussian(r)
  }
  if (opts.normalise ?? true) l2NormalizeRows(X)
  return { X, y }
}

export function accuracy(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let r = 0
  for (let i = 0; i < y.length; i++) r += pred[i] === y[i] ? 1 : 0
  return r / y.length
}
