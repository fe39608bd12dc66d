/**
 * Dense row-major matrices on typed arrays and the few kernels the heads need.
 *
 * Matrix products dominate training, prediction and kNN. Every kernel here keeps the inner loop
 * over contiguous memory (a dot product of two rows, or an axpy into a row) and reuses each loaded
 * row several times (4 rows at once), which is what V8 turns into tight scalar code.
 */

export interface Matrix {
  rows: number
  cols: number
  /** row-major, length rows * cols */
  data: Float32Array
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const d = data ?? new Float32Array(rows * cols)
  if (d.length !== rows * cols) throw new Error(`matrix: ${d.length} values for ${rows}x${cols}`)
  return { rows, cols, data: d }
}

/** Rows `idx` of `m`, copied into a new matrix. */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols)
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), r * m.cols)
  }
  return { rows: idx.length, cols: m.cols, data: out }
}

/** Scales every row to unit Euclidean length (zero rows stay zero). In place; returns `m`. */
export function l2NormalizeRows(m: Matrix): Matrix {
  const { rows, cols, data } = m
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    let s = 0
    for (let j = 0; j < cols; j++) s += data[o + j]! * data[o + j]!
    if (s > 0) {
      const inv = 1 / Math.sqrt(s)
      for (let j = 0; j < cols; j++) data[o + j] = data[o + j]! * inv
    }
  }
  return m
}

/** Column means. */
export function columnMeans(m: Matrix): Float64Array {
  const mean = new Float64Array(m.cols)
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols
    for (let j = 0; j < m.cols; j++) mean[j] = mean[j]! + m.data[o + j]!
  }
  for (let j = 0; j < m.cols; j++) mean[j] = mean[j]! / Math.max(1, m.rows)
  return mean
}

/** Dot product of a[ao..ao+n) and b[bo..bo+n). */
export function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0
  let j = 0
  for (; j + 3 < n; j += 4) {
    s0 += a[ao + j]! * b[bo + j]!
    s1 += a[ao + j + 1]! * b[bo + j + 1]!
    s2 += a[ao + j + 2]! * b[bo + j + 2]!
    s3 += a[ao + j + 3]! * b[bo + j + 3]!
  }
  for (; j < n; j++) s0 += a[ao + j]! * b[bo + j]!
  return s0 + s1 + s2 + s3
}

/**
 * out[i, c] = sum_j A[i, j] * B[c, j]  (A times B transposed; both row-major with `d` columns).
 * `out` is rowsA x rowsB, row-major. B is walked in blocks that stay in cache while 4 rows of A
 * are held against each of its rows.
 */
export function gemmABt(
  A: Float32Array,
  rowsA: number,
  B: Float32Array,
  rowsB: number,
  d: number,
  out: Float64Array,
  outStride = rowsB,
  outCol0 = 0,
): void {
  // about 64 KiB of B per block at d = 1280 float32
  const blockB = Math.max(4, Math.floor(16384 / Math.max(1, d)))
  for (let b0 = 0; b0 < rowsB; b0 += blockB) {
    const b1 = Math.min(rowsB, b0 + blockB)
    let i = 0
    for (; i + 3 < rowsA; i += 4) {
      const a0 = i * d,
        a1 = a0 + d,
        a2 = a1 + d,
        a3 = a2 + d
      for (let c = b0; c < b1; c++) {
        const bo = c * d
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0
        for (let j = 0; j < d; j++) {
          const bj = B[bo + j]!
          s0 += A[a0 + j]! * bj
          s1 += A[a1 + j]! * bj
          s2 += A[a2 + j]! * bj
          s3 += A[a3 + j]! * bj
        }
        const oc = outCol0 + c
        out[i * outStride + oc] = s0
        out[(i + 1) * outStride + oc] = s1
        out[(i + 2) * outStride + oc] = s2
        out[(i + 3) * outStride + oc] = s3
      }
    }
    for (; i < rowsA; i++) {
      const ao = i * d
      for (let c = b0; c < b1; c++) {
        const bo = c * d
        let s = 0
        for (let j = 0; j < d; j++) s += A[ao + j]! * B[bo + j]!
        out[i * outStride + outCol0 + c] = s
      }
    }
  }
}

/**
 * G[c, j] += sum_i R[i, c] * A[i, j]  (R transposed times A): the gradient of a linear layer.
 * A is n x d, R is n x k, G is k x d. One pass over A; G (k rows) stays in cache.
 */
export function gemmAtB(A: Float32Array, n: number, d: number, R: Float64Array, k: number, G: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ao = i * d
    for (let c = 0; c < k; c++) {
      const r = R[i * k + c]!
      if (r === 0) continue
      const go = c * d
      for (let j = 0; j < d; j++) G[go + j] = G[go + j]! + r * A[ao + j]!
    }
  }
}

/** Softmax of each row of `z` (n x k), in place, numerically stable. */
export function softmaxRows(z: Float32Array | Float64Array, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * k
    let m = -Infinity
    for (let c = 0; c < k; c++) if (z[o + c]! > m) m = z[o + c]!
    let s = 0
    for (let c = 0; c < k; c++) {
      const e = Math.exp(z[o + c]! - m)
      z[o + c] = e
      s += e
    }
    for (let c = 0; c < k; c++) z[o + c] = z[o + c]! / s
  }
}

/** argmax and its probability for row i of an n x k row-major matrix. */
export function top(p: ArrayLike<number>, i: number, k: number): { label: number; conf: number } {
  let label = 0
  let conf = -Infinity
  for (let c = 0; c < k; c++) {
    const v = p[i * k + c]!
    if (v > conf) {
      conf = v
      label = c
    }
  }
  return { label, conf }
}

/** argmax and max of each row. */
export function rowArgmax(p: ArrayLike<number>, n: number, k: number): { label: Int32Array; max: Float32Array } {
  const label = new Int32Array(n)
  const max = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const t = top(p, i, k)
    label[i] = t.label
    max[i] = t.conf
  }
  return { label, max }
}

/** Small deterministic PRNG (mulberry32): trials must be repeatable from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates shuffle, in place. */
export function shuffle<T>(a: T[] | Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = a[i]!
    a[i] = a[j]!
    a[j] = t as never
  }
}

/** Standard normal draw (Box-Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}
