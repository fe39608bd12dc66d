/**
 * Principal subspace of a large embedding matrix, for approximate neighbour search on reduced
 * dimensions (knn.ts). Randomised subspace iteration (Halko, Martinsson & Tropp 2011) on a row
 * sample: each step is two matrix products through the SIMD kernel, no d x d covariance. Only the
 * subspace matters for distances (they are rotation-invariant), so no eigen-decomposition follows.
 */
import { gaussian, matrix, rng, type Matrix } from './linalg'
import { matmulABt } from './products'

export interface Pca {
  /** p x d orthonormal rows spanning the top-p principal subspace */
  basis: Float32Array
  mean: Float32Array
  dim: number
  components: number
}

function transpose(A: Float32Array, rows: number, cols: number): Float32Array {
  const T = new Float32Array(rows * cols)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = A[i * cols + j]!
  return T
}

/** Modified Gram-Schmidt over the rows of B (p x d), in place (a dependent row becomes random). */
function orthonormaliseRows(B: Float32Array, p: number, d: number, rand: () => number): void {
  for (let i = 0; i < p; i++) {
    const o = i * d
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < i; j++) {
        let s = 0
        for (let t = 0; t < d; t++) s += B[o + t]! * B[j * d + t]!
        for (let t = 0; t < d; t++) B[o + t] = B[o + t]! - s * B[j * d + t]!
      }
    let s = 0
    for (let t = 0; t < d; t++) s += B[o + t]! * B[o + t]!
    if (s < 1e-20) {
      for (let t = 0; t < d; t++) B[o + t] = gaussian(rand)
      i--
      continue
    }
    const inv = 1 / Math.sqrt(s)
    for (let t = 0; t < d; t++) B[o + t] = B[o + t]! * inv
  }
}

/**
 * Top-`components` principal subspace of X's rows, estimated on at most `sample` rows (evenly
 * spaced) with `iterations` power steps.
 */
export function fitPca(X: Matrix, components: number, opts: { sample?: number; iterations?: number; seed?: number } = {}): Pca {
  const { rows: n, cols: d } = X
  const p = Math.min(components, d, n)
  const m = Math.min(n, opts.sample ?? 4096)
  const rand = rng(opts.seed ?? 11)
  const S = new Float32Array(m * d)
  const step = n / m
  for (let r = 0; r < m; r++) S.set(X.data.subarray(Math.floor(r * step) * d, (Math.floor(r * step) + 1) * d), r * d)
  const mean = new Float32Array(d)
  for (let r = 0; r < m; r++) for (let t = 0; t < d; t++) mean[t] = mean[t]! + S[r * d + t]! / m
  for (let r = 0; r < m; r++) for (let t = 0; t < d; t++) S[r * d + t] = S[r * d + t]! - mean[t]!
  const St = transpose(S, m, d)
  const B = Float32Array.from({ length: p * d }, () => gaussian(rand))
  orthonormaliseRows(B, p, d, rand)
  const Y = new Float64Array(m * p)
  const Z = new Float64Array(p * d)
  for (let it = 0; it < (opts.iterations ?? 3); it++) {
    // Y = S B^T (m x p); B <- orth(Y^T S) = orth((S^T Y)^T), both through the product kernel
    matmulABt(S, m, B, p, d, Y)
    const Yt = transpose(Float32Array.from(Y), m, p)
    matmulABt(Yt, p, St, d, m, Z)
    for (let i = 0; i < p * d; i++) B[i] = Z[i]!
    orthonormaliseRows(B, p, d, rand)
  }
  return { basis: B, mean, dim: d, components: p }
}

/** Rows of X in the subspace: (x - mean) B^T, n x p. */
export function projectPca(pca: Pca, X: Matrix): Matrix {
  const { rows: n } = X
  const p = pca.components
  const out = new Float64Array(n * p)
  matmulABt(X.data, n, pca.basis, p, pca.dim, out)
  const shift = new Float64Array(p)
  matmulABt(pca.mean, 1, pca.basis, p, pca.dim, shift)
  const Y = matrix(n, p)
  for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) Y.data[i * p + c] = out[i * p + c]! - shift[c]!
  return Y
}
