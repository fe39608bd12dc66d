/**
 * Principal components by randomised subspace iteration (Halko, Martinsson and Tropp 2011): the
 * top k directions of a 1280-d embedding in a few passes of two matrix products, instead of the
 * 1280 x 1280 covariance (n d^2 multiply-adds) and its full eigensolve. Both products go through
 * the SIMD kernel (matmulABt), so the centred rows and their transpose are each kept once.
 *
 * Two uses, one iteration:
 * - the map (fitPca) wants the principal axes themselves, strongest first, with their variances:
 *   a Rayleigh-Ritz step rotates the iterated subspace onto them, and the work is in double
 *   precision;
 * - the approximate kNN index (fitSubspace) wants only the subspace, on a row sample: distances
 *   are rotation-invariant, so no eigen-decomposition follows, and single precision (what the
 *   kernel computes in anyway) is enough.
 */
import { gaussian, matrix, rng, type Matrix } from './linalg'
import { matmulABt } from './products'

export interface Pca {
  /** Column means of the rows the components were fitted on (d). */
  mean: Float64Array
  /** k x d, orthonormal rows: the principal axes strongest first (rotate), else a basis of their span. */
  components: Matrix
  /** Variance along each component (k), descending; empty when the subspace was not rotated. */
  variance: Float64Array
  /** mean W^T (k), taken off every projection. */
  shift: Float64Array
}

export interface PcaOptions {
  /** Extra directions carried through the iteration: they make the top k converge faster. */
  oversample: number
  /** Power iterations; 3-4 suffice for the slowly decaying spectra of image embeddings. */
  iterations: number
  seed: number
  /** Rows fitted on at most, evenly spaced (the others are not read). */
  sample: number
  /** Rotate the subspace onto the principal axes and measure their variances (Rayleigh-Ritz). */
  rotate: boolean
  /**
   * 'double': column means summed, the iterated basis kept and orthonormalised in float64.
   * 'single': means accumulated and the basis kept in float32; Gram-Schmidt runs twice per row
   * (one pass loses orthogonality in single precision) and a row with nothing left is drawn
   * again, so the subspace keeps all its directions.
   */
  precision: 'single' | 'double'
}

/** The map's principal axes. */
const DEFAULTS: PcaOptions = { oversample: 10, iterations: 4, seed: 1, sample: Infinity, rotate: true, precision: 'double' }

/** The kNN index's subspace: a 4096-row sample, no oversampling, no rotation. */
const SUBSPACE: PcaOptions = { oversample: 0, iterations: 3, seed: 11, sample: 4096, rotate: false, precision: 'single' }

/** The top `k` principal components of the rows of X (k is capped by the rank X can have). */
export function fitPca(X: Matrix, k: number, opts: Partial<PcaOptions> = {}): Pca {
  const o = { ...DEFAULTS, ...opts }
  const { rows: n, cols: d } = X
  // Centred rows span n - 1 dimensions at most; only axes with variances are capped there.
  if (o.rotate && n < 2) throw new Error(`PCA needs at least 2 rows, got ${n}`)
  const kk = o.rotate ? Math.max(1, Math.min(k, d, n - 1)) : Math.min(k, d, n)
  const p = Math.min(kk + o.oversample, d, n)
  const single = o.precision === 'single'

  const m = Math.min(n, o.sample)
  const step = n / m
  const mean = sampleMean(X, m, step, single)
  // The centred sample, row-major and transposed: Y = Xc V^T reads rows, Z = Y^T Xc reads columns.
  const Xc = new Float32Array(m * d)
  const XcT = new Float32Array(d * m)
  for (let r = 0; r < m; r++) {
    const at = Math.floor(r * step) * d
    for (let j = 0; j < d; j++) {
      const v = X.data[at + j]! - mean[j]!
      Xc[r * d + j] = v
      XcT[j * m + r] = v
    }
  }

  const rand = rng(o.seed)
  const passes = single ? 2 : 1
  const redraw = single ? rand : undefined
  const V = single ? new Float32Array(p * d) : new Float64Array(p * d)
  for (let t = 0; t < V.length; t++) V[t] = gaussian(rand)
  orthonormaliseRows(V, p, d, passes, redraw)

  const Y = new Float64Array(m * p)
  const Yt = new Float32Array(p * m)
  const Z = new Float64Array(p * d)
  for (let it = 0; it < o.iterations; it++) {
    matmulABt(Xc, m, Float32Array.from(V), p, d, Y)
    for (let i = 0; i < m; i++) for (let c = 0; c < p; c++) Yt[c * m + i] = Y[i * p + c]!
    matmulABt(Yt, p, XcT, d, m, Z)
    V.set(Z)
    orthonormaliseRows(V, p, d, passes, redraw)
  }

  const { components, variance } = o.rotate
    ? rotateOntoAxes(Xc, m, d, V, p, kk)
    : { components: matrix(kk, d, Float32Array.from(V.subarray(0, kk * d))), variance: new Float64Array(0) }
  const shift = new Float64Array(kk)
  if (single) {
    // through the product kernel, in the precision the projections themselves get
    matmulABt(Float32Array.from(mean), 1, components.data, kk, d, shift)
  } else {
    for (let r = 0; r < kk; r++) for (let j = 0; j < d; j++) shift[r] = shift[r]! + components.data[r * d + j]! * mean[j]!
  }
  return { mean, components, variance, shift }
}

/** The principal subspace of X's rows for neighbour search: fitPca with the SUBSPACE options. */
export function fitSubspace(X: Matrix, k: number, opts: Partial<PcaOptions> = {}): Pca {
  return fitPca(X, k, { ...SUBSPACE, ...opts })
}

/** Coordinates of the rows of X on the components: (X - mean) W^T, n x k. */
export function projectPca(pca: Pca, X: Matrix): Matrix {
  const { rows: n, cols: d } = X
  const W = pca.components
  if (d !== W.cols) throw new Error(`projectPca: rows have ${d} values, the components ${W.cols}`)
  const k = W.rows
  const out = new Float64Array(n * k)
  matmulABt(X.data, n, W.data, k, d, out)
  const Y = matrix(n, k)
  for (let i = 0; i < n; i++) for (let r = 0; r < k; r++) Y.data[i * k + r] = out[i * k + r]! - pca.shift[r]!
  return Y
}

/** Column means of the `m` rows floor(r * step) of X. */
function sampleMean(X: Matrix, m: number, step: number, single: boolean): Float64Array {
  const d = X.cols
  const mean = new Float64Array(d)
  if (single) {
    // each row's share added in float32, as the rows themselves are stored
    const acc = new Float32Array(d)
    for (let r = 0; r < m; r++) {
      const at = Math.floor(r * step) * d
      for (let j = 0; j < d; j++) acc[j] = acc[j]! + X.data[at + j]! / m
    }
    mean.set(acc)
    return mean
  }
  for (let r = 0; r < m; r++) {
    const at = Math.floor(r * step) * d
    for (let j = 0; j < d; j++) mean[j] = mean[j]! + X.data[at + j]!
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / m
  return mean
}

/**
 * Rayleigh-Ritz: the eigenvectors of (Xc V^T)^T (Xc V^T) rotate the p rows of V onto the principal
 * axes; the top k are kept, with their variances.
 */
function rotateOntoAxes(Xc: Float32Array, n: number, d: number, V: Float32Array | Float64Array, p: number, k: number): { components: Matrix; variance: Float64Array } {
  const Y = new Float64Array(n * p)
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

  const components = matrix(k, d)
  const variance = new Float64Array(k)
  for (let r = 0; r < k; r++) {
    const e = order[r]!
    variance[r] = Math.max(0, values[e]!) / (n - 1)
    const out = components.data.subarray(r * d, (r + 1) * d)
    for (let c = 0; c < p; c++) {
      const w = vectors[c * p + e]!
      if (w === 0) continue
      for (let j = 0; j < d; j++) out[j] = out[j]! + w * V[c * d + j]!
    }
  }
  return { components, variance }
}

/**
 * Modified Gram-Schmidt on the rows of V (p x d), in place, each row cleared of the earlier ones
 * `passes` times. A row with nothing left is drawn again from `redraw` when given, else becomes zero.
 */
function orthonormaliseRows(V: Float32Array | Float64Array, p: number, d: number, passes: number, redraw?: () => number): void {
  for (let a = 0; a < p; a++) {
    const ra = a * d
    for (let pass = 0; pass < passes; pass++)
      for (let b = 0; b < a; b++) {
        const rb = b * d
        let s = 0
        for (let j = 0; j < d; j++) s += V[ra + j]! * V[rb + j]!
        if (s !== 0) for (let j = 0; j < d; j++) V[ra + j] = V[ra + j]! - s * V[rb + j]!
      }
    let s = 0
    for (let j = 0; j < d; j++) s += V[ra + j]! * V[ra + j]!
    let inv: number
    if (redraw) {
      if (s < 1e-20) {
        for (let j = 0; j < d; j++) V[ra + j] = gaussian(redraw)
        a--
        continue
      }
      inv = 1 / Math.sqrt(s)
    } else {
      const norm = Math.sqrt(s)
      inv = norm > 1e-9 ? 1 / norm : 0
    }
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
