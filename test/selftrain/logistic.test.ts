import { describe, expect, it } from 'vitest'
import { LogisticHead } from '../../main/engine/selftrain/logistic'
import { gemmABt, matrix, rng, rowArgmax, takeRows, type Matrix } from '../../main/engine/math/linalg'
import { linearProducts, matmulABt } from '../../main/engine/math/products'
import { simdKernel } from '../../main/engine/math/simd'
import { accuracy, mixture } from './synthetic'

/** The gradient of C * sum_i w_i CE_i + |W|^2 / 2, computed the plain way, to check optimality. */
function naiveGradient(h: LogisticHead, X: Matrix, T: number[][], w: number[], C: number): number {
  const k = h.classes
  const d = X.cols
  const gW = Array.from({ length: k }, (_, c) => Array.from({ length: d }, (_, j) => h.W[c * d + j]! / C))
  const gb = new Array<number>(k).fill(0)
  for (let i = 0; i < X.rows; i++) {
    const z = Array.from({ length: k }, (_, c) => {
      let s = h.b[c]!
      for (let j = 0; j < d; j++) s += h.W[c * d + j]! * X.data[i * d + j]!
      return s
    })
    const m = Math.max(...z)
    const e = z.map((v) => Math.exp(v - m))
    const se = e.reduce((a, b) => a + b, 0)
    for (let c = 0; c < k; c++) {
      const r = w[i]! * (e[c]! / se - T[i]![c]!)
      gb[c] = gb[c]! + r
      for (let j = 0; j < d; j++) gW[c]![j] = gW[c]![j]! + r * X.data[i * d + j]!
    }
  }
  // scale back to the mean objective the head minimises, so the tolerance is comparable
  const S = w.reduce((a, b) => a + b, 0)
  return Math.max(...gW.flat().map(Math.abs), ...gb.map(Math.abs)) / S
}

describe('matrix products', () => {
  it('the SIMD kernel and the chunked product agree with the plain loop', () => {
    expect(simdKernel()).not.toBeNull()
    const r = rng(3)
    for (const [n, m, d] of [[37, 10, 1280], [5, 3, 7], [130, 13, 33]] as const) {
      const A = Float32Array.from({ length: n * d }, () => r() - 0.5)
      const B = Float32Array.from({ length: m * d }, () => r() - 0.5)
      const want = new Float64Array(n * m)
      for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) for (let j = 0; j < d; j++) want[i * m + c] = want[i * m + c]! + A[i * d + j]! * B[c * d + j]!
      const got = new Float64Array(n * m)
      matmulABt(A, n, B, m, d, got)
      const js = new Float64Array(n * m)
      gemmABt(A, n, B, m, d, js)
      for (let i = 0; i < n * m; i++) {
        expect(got[i]).toBeCloseTo(want[i]!, 3)
        expect(js[i]).toBeCloseTo(want[i]!, 4)
      }
    }
  })

  it('forward and backward products of a linear layer match their definitions', () => {
    const r = rng(5)
    const n = 21, d = 9, k = 3
    const X = matrix(n, d, Float32Array.from({ length: n * d }, () => r() - 0.5))
    const p = linearProducts(X, k)
    const params = Float64Array.from({ length: k * d + k }, () => r() - 0.5)
    const Z = new Float64Array(n * k)
    p.forward(params, Z)
    const R = Float64Array.from({ length: n * k }, () => r() - 0.5)
    const G = new Float64Array(k * d)
    p.backward(R, G)
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        let s = 0
        for (let j = 0; j < d; j++) s += X.data[i * d + j]! * params[c * d + j]!
        expect(Z[i * k + c]).toBeCloseTo(s, 4)
      }
    for (let c = 0; c < k; c++)
      for (let j = 0; j < d; j++) {
        let s = 0
        for (let i = 0; i < n; i++) s += R[i * k + c]! * X.data[i * d + j]!
        expect(G[c * d + j]).toBeCloseTo(s, 4)
      }
  })
})

describe('LogisticHead', () => {
  const { X, y } = mixture({ classes: 4, perClass: 40, dim: 24, spread: 1.2 })
  const k = 4
  const onehot = Array.from(y, (c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)))

  it('reaches the optimum of the L2-penalised multinomial loss (gradient ~ 0)', () => {
    const h = new LogisticHead(k, { C: 1, gtol: 1e-7, ftol: 0, maxIter: 2000 }).fit(X, y)
    expect(naiveGradient(h, X, onehot, new Array(X.rows).fill(1), 1)).toBeLessThan(1e-5)
    const p = h.predictProba(X)
    for (let i = 0; i < X.rows; i++) {
      let s = 0
      for (let c = 0; c < k; c++) s += p[i * k + c]!
      expect(s).toBeCloseTo(1, 5)
    }
    expect(accuracy(rowArgmax(p, X.rows, k).label, y)).toBeGreaterThan(0.9)
  })

  it('weights: a sample weight of 2 is the same as the row twice; soft one-hot targets are hard labels', () => {
    const w = Float32Array.from({ length: X.rows }, (_, i) => (i % 3 === 0 ? 2 : 1))
    const dupIdx: number[] = []
    for (let i = 0; i < X.rows; i++) for (let t = 0; t < w[i]!; t++) dupIdx.push(i)
    const opts = { C: 1, gtol: 1e-8, ftol: 0, maxIter: 3000 }
    const a = new LogisticHead(k, opts).fit(X, y, { sampleWeight: w })
    const b = new LogisticHead(k, opts).fit(takeRows(X, dupIdx), Int32Array.from(dupIdx, (i) => y[i]!))
    // same C with twice the total weight is not the same objective: compare via the gradient
    const T = Array.from(y, (c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)))
    expect(naiveGradient(a, X, T, Array.from(w), 1)).toBeLessThan(1e-5)
    for (let i = 0; i < a.W.length; i++) expect(a.W[i]).toBeCloseTo(b.W[i]!, 3)
    const soft = matrix(X.rows, k, Float32Array.from(onehot.flat()))
    const c = new LogisticHead(k, opts).fit(X, soft)
    const hard = new LogisticHead(k, opts).fit(X, y)
    for (let i = 0; i < c.W.length; i++) expect(c.W[i]).toBeCloseTo(hard.W[i]!, 4)
  })

  it('soft targets: the fitted probabilities follow them (no penalty, one input)', () => {
    // one constant feature: the optimum's probabilities equal the mean target
    const Xc = matrix(4, 1, new Float32Array([1, 1, 1, 1]))
    const T = matrix(4, 2, new Float32Array([0.9, 0.1, 0.5, 0.5, 0.6, 0.4, 0.6, 0.4]))
    const h = new LogisticHead(2, { C: 1e6, gtol: 1e-9, ftol: 0, maxIter: 500 }).fit(Xc, T)
    const p = h.predictProba(Xc)
    expect(p[0]).toBeCloseTo(0.65, 3)
  })

  it('balanced class weights lift a minority class', () => {
    const idx: number[] = []
    for (let i = 0; i < X.rows; i++) if (y[i] !== 3 || i % 20 === 3) idx.push(i)
    const Xs = takeRows(X, idx)
    const ys = Int32Array.from(idx, (i) => y[i]!)
    const plain = new LogisticHead(k, { C: 0.05 }).fit(Xs, ys)
    const balanced = new LogisticHead(k, { C: 0.05 }).fit(Xs, ys, { classWeight: 'balanced' })
    const meanP3 = (h: LogisticHead) => {
      const p = h.predictProba(X)
      let s = 0
      for (let i = 0; i < X.rows; i++) if (y[i] === 3) s += p[i * k + 3]!
      return s
    }
    expect(meanP3(balanced)).toBeGreaterThan(meanP3(plain) * 1.2)
  })
})
