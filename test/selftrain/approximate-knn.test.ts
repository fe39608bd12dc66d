/** The approximate kNN graph for large pools (PCA + inverted-file index) against the exact one. */
import { describe, expect, it } from 'vitest'
import { approximateKnnGraph, exactKnnGraph, knnGraph } from '../../main/engine/math/knn'
import { gaussian, l2NormalizeRows, matrix, rng, type Matrix } from '../../main/engine/math/linalg'
import { fitSubspace, projectPca } from '../../main/engine/math/pca'
import { propagateLabels } from '../../main/engine/selftrain/propagate'
import { accuracy, mixture } from './synthetic'

describe('principal subspace', () => {
  it('finds the directions that carry the variance', () => {
    // 2,000 points in 60-d with large variance along 3 planted axes (0, 1, 2) and small elsewhere
    const r = rng(3)
    const n = 2000
    const d = 60
    const X = matrix(n, d)
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X.data[i * d + j] = (j < 3 ? 10 : 0.3) * gaussian(r) + 5
    const pca = fitSubspace(X, 3)
    // each basis row lies (almost) in the span of the planted axes, and the rows are orthonormal
    for (let a = 0; a < 3; a++) {
      let inSpan = 0
      for (let j = 0; j < 3; j++) inSpan += pca.components.data[a * d + j]! ** 2
      expect(inSpan).toBeGreaterThan(0.98)
      for (let b = 0; b < 3; b++) {
        let s = 0
        for (let j = 0; j < d; j++) s += pca.components.data[a * d + j]! * pca.components.data[b * d + j]!
        expect(s).toBeCloseTo(a === b ? 1 : 0, 4)
      }
    }
    // projections are centred: the mean (5 in every coordinate) is removed
    const Y = projectPca(pca, X)
    for (let c = 0; c < 3; c++) {
      let m = 0
      for (let i = 0; i < n; i++) m += Y.data[i * 3 + c]! / n
      expect(Math.abs(m)).toBeLessThan(1)
    }
  })
})

/**
 * Embeddings vary along far fewer directions than they have coordinates: 8 classes in 16
 * dimensions, lifted into 96 by a random linear map, plus a little isotropic noise.
 */
function lowRank(): { X: Matrix; y: Int32Array } {
  const low = mixture({ classes: 8, perClass: 400, dim: 16, spread: 0.8, seed: 9, normalise: false })
  const r = rng(10)
  const D = 96
  const A = Float32Array.from({ length: 16 * D }, () => gaussian(r))
  const X = matrix(low.X.rows, D)
  for (let i = 0; i < X.rows; i++)
    for (let j = 0; j < D; j++) {
      let s = 0.05 * gaussian(r)
      for (let t = 0; t < 16; t++) s += low.X.data[i * 16 + t]! * A[t * D + j]!
      X.data[i * D + j] = s
    }
  return { X: l2NormalizeRows(X), y: low.y }
}

describe('approximate kNN graph', () => {
  const { X, y } = lowRank()

  it('finds most of the exact neighbours, with their exact similarities, best first', () => {
    const exact = exactKnnGraph(X, 10)
    const approx = approximateKnnGraph(X, 10, undefined, { components: 32 })
    expect(approx.k).toBe(10)
    let found = 0
    for (let i = 0; i < X.rows; i++) {
      const truth = new Set(exact.index.subarray(i * 10, i * 10 + 10))
      for (let t = 0; t < 10; t++) {
        const j = approx.index[i * 10 + t]!
        expect(j).not.toBe(i)
        if (truth.has(j)) found++
        if (t > 0) expect(approx.sim[i * 10 + t]!).toBeLessThanOrEqual(approx.sim[i * 10 + t - 1]!)
      }
      // similarities are the full-dimensional dot products
      const j = approx.index[i * 10]!
      let s = 0
      for (let c = 0; c < X.cols; c++) s += X.data[i * X.cols + c]! * X.data[j * X.cols + c]!
      expect(approx.sim[i * 10]).toBeCloseTo(s, 4)
    }
    expect(found / (X.rows * 10)).toBeGreaterThan(0.8)
  })

  it('is what knnGraph builds above its exact limit, and label propagation works on it', () => {
    const g = knnGraph(X, 10, undefined, { exactLimit: 1000, components: 32 })
    const seeds = { index: Int32Array.from({ length: 8 }, (_, c) => c), label: Int32Array.from({ length: 8 }, (_, c) => y[c]!) }
    const P = propagateLabels(g, seeds, 8)
    const pred = Array.from({ length: X.rows }, (_, i) => Array.from({ length: 8 }, (_, c) => c).reduce((b, c) => (P[i * 8 + c]! > P[i * 8 + b]! ? c : b), 0))
    expect(accuracy(pred, y)).toBeGreaterThan(0.9)
  })
})
