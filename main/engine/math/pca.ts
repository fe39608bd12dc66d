/**
 * Principal components by randomised subspace iteration (Halko, Martinsson and Tropp 2011): the
 * top k directions of a 1280-d embedding in a few passes of two matrix products, instead of the
 * 1280 x 1280 covariance (n d^2 multiply-adds) and its full eigensolve. Both products go through
 * the SIMD kernel (matmulABt), so X and its transpose are each kept once.
 */
import { gaussian, matrix, rng, type Matrix } from './linalg'
import { matmulABt } from './products'

export interface Pca {
  /** Column means of the data the components were fitted on (d). */
  mean: Float64Array
  /** k x d, orthonormal rows, strongest first. */
  components: Matrix
  /** Variance along each component (k), descending. */
  variance: Float64Array
}

export interface PcaOptions {
  /** Extra directions carried through the iteration: they make the top k converge faster. */
  oversample: number
  /** Power iterations; 3-4 suffice for the slowly decaying spectra of image embeddings. */
  iterations: number
  seed: number
}

const DEFAULTS: PcaOptions = { oversample: 10, iterations: 4, seed: 1 }

/** The top `k` principal components of the rows of X (k is capped by the rank X can have). */
export function fitPca(X: Matrix, k: number, opts: Partial<PcaOptions> = {}): Pca {
  const o = { ...DEFAULTS, ...opts }
  const { rows: n, cols: d } = X
  if (n < 2) throw new Error(`PCA needs at least 2 rows, got ${n}`)
  const kk = Math.max(1, Math.min(k, d, n - 1))
  const p = Math.min(kk + o.oversample, d, n)

  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + X.data[i * d + j]!
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n
  // The centred data, row-major and transposed: Y = Xc V^T reads rows, Z = Y^T Xc reads columns.
  const Xc = new Float32Array(n * d)
  const XcT = new Float32Array(d * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = X.data[i * d + j]! - mean[j]!
      Xc[i * d + j] = v
      XcT[j * n + i] = v
    }
  }

  const rand = rng(o.seed)
  const V = new Float64Array(p * d)
  for (let t = 0; t < V.length; t++) V[t] = gaussian(rand)
  orthonormaliseRows(V, p, d)

  const Y = new Float64Array(n * p)
  const Yt = new Float32Array(p * n)
  const Z = new Float64Array(p * d)
  for (let it = 0; it < o.iterations; it++) {
    matmulABt(Xc, n, Float32Array.from(V), p, d, Y)
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) Yt[c * n + i] = Y[i * p + c]!
    matmulABt(Yt, p, XcT, d, n, Z)
    V.set(Z)
    orthonormaliseRows(V, p, d)
  }

  // Rayleigh-Ritz: the eigenvectors of (Xc V^T)^T (Xc V^T) rotate V onto the components.
  matmulABt(Xc, n, Float32Array.from(V), p, d, Y)
  const C = new Float64Array(p * p)
  for (let i = 0; i < n; i++) {
    const o2 = i * p
    for (let a = 0; a < p; a++) {
      const ya = Y[o2 + a]!
      for (let b = a; b < p; b++) C[a * p + b] = C[a * p + b]! + ya * Y[o2 + b]!
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) C[a * p + b] = C[b * p + a]!
  const { values, vectors } = symmetricEigen(C, p)
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => values[b]! - values[a]!)

  const components = matrix(kk, d)
  const variance = new Float64Array(kk)
  for (let r = 0; r < kk; r++) {
    const e = order[r]!
    variance[r] = Math.max(0, values[e]!) / (n - 1)
    const out = components.data.subarray(r * d, (r + 1) * d)
    for (let c = 0; c < p; c++) {
      const w = vectors[c * p + e]!
      if (w === 0) continue
      for (let j = 0; j < d; j++) out[j] = out[j]! + w * V[c * d + j]!
    }
  }
  return { mean, components, variance }
}

/** Coordinates of the rows of X on the components: (X - mean) W^T, n x k. */
export function projectPca(pca: Pca, X: Matrix): Matrix {
  const { rows: n, cols: d } = X
  const W = pca.components
  if (d !== W.cols) throw new Error(`projectPca: rows have ${d} values, the components ${W.cols}`)
  const k = W.rows
  const shift = new Float64Array(k)
  for (let r = 0; r < k; r++) for (let j = 0; j < d; j++) shift[r] = shift[r]! + W.data[r * d + j]! * pca.mean[j]!
  const out = new Float64Array(n * k)
  matmulABt(X.data, n, W.data, k, d, out)
  const Y = matrix(n, k)
  for (let i = 0; i < n; i++) for (let r = 0; r < k; r++) Y.data[i * k + r] = out[i * k + r]! - shift[r]!
  return Y
}

/** Modified Gram-Schmidt on the rows of V (p x d); a row with nothing left becomes zero. */
function orthonormaliseRows(V: Float64Array, p: number, d: number): void {
  for (let a = 0; a < p; a++) {
    const ra = a * d
    for (let b = 0; b < a; b++) {
      const rb = b * d
      let s = 0
      for (let j = 0; j < d; j++) s += V[ra + j]! * V[rb + j]!
      if (s !== 0) for (let j = 0; j < d; j++) V[ra + j] = V[ra + j]! - s * V[rb + j]!
    }
    let norm = 0
    for (let j = 0; j < d; j++) norm += V[ra + j]! * V[ra + j]!
    norm = Math.sqrt(norm)
    const inv = norm > 1e-9 ? 1 / norm : 0
    for (let j = 0; j < d; j++) V[ra + j] = V[ra + j]! * inv
  }
}

/**
 * Eigen-decomposition of a small symmetric matrix (cyclic Jacobi rotations). Returns the
 * eigenvalues and the eigenvectors as the columns of `vectors` (p x p, row-major).
 */
export function symmetricEigen(S: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(S)
  const Vv = new Float64Array(p * p)
  for (let i = 0; i < p; i++) Vv[i * p + i] = 1
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0
    let diag = 0
    for (let i = 0; i < p; i++) {
      diag += A[i * p + i]! * A[i * p + i]!
      for (let j = i + 1; j < p; j++) off += A[i * p + j]! * A[i * p + j]!
    }
    if (off <= 1e-22 * Math.max(diag, 1e-300)) break
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = A[i * p + j]!
        if (aij === 0) continue
        const theta = (A[j * p + j]! - A[i * p + i]!) / (2 * aij)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let r = 0; r < p; r++) {
          const ari = A[r * p + i]!
          const arj = A[r * p + j]!
          A[r * p + i] = c * ari - s * arj
          A[r * p + j] = s * ari + c * arj
        }
        for (let r = 0; r < p; r++) {
          const air = A[i * p + r]!
          const ajr = A[j * p + r]!
          A[i * p + r] = c * air - s * ajr
          A[j * p + r] = s * air + c * ajr
        }
        for (let r = 0; r < p; r++) {
          const vri = Vv[r * p + i]!
          const vrj = Vv[r * p + j]!
          Vv[r * p + i] = c * vri - s * vrj
          Vv[r * p + j] = s * vri + c * vrj
        }
      }
    }
  }
  const values = new Float64Array(p)
  for (let i = 0; i < p; i++) values[i] = A[i * p + i]!
  return { values, vectors: Vv }
}
