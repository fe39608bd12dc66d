import { matmulABt } from './products'
import { pad4, putRows, simdHeap, simdKernel } from './simd'
import type { Matrix } from './linalg'

/** k nearest neighbours of every row (cosine = dot product on L2-normalised rows), self excluded. */
export interface KnnGraph {
  n: number
  k: number
  /** n x k neighbour indices, most similar first */
  index: Int32Array
  /** n x k similarities */
  sim: Float32Array
}

const TILE = 128

/**
 * Exact kNN over all rows by tiled matrix products (both tiles stay in cache while the SIMD kernel
 * runs over them). n^2 d multiply-adds: about 1.5 s for 3,000 x 1280 here; above ~20,000 rows
 * reduce dimensions first (pca.ts), as NOTES.md measured for index builds.
 */
export function knnGraph(X: Matrix, k: number, signal?: AbortSignal): KnnGraph {
  const n = X.rows
  const d = X.cols
  const kk = Math.min(k, n - 1)
  const index = new Int32Array(n * kk).fill(-1)
  const sim = new Float32Array(n * kk).fill(-Infinity)
  const kernel = simdKernel()
  const d4 = pad4(d)
  const tileOut = new Float64Array(TILE * TILE)
  let heap: Float32Array | null = null
  const offOut = pad4(n + TILE) * d4
  if (kernel) {
    heap = simdHeap((offOut + TILE * TILE) * 4)
    putRows(heap, 0, X.data, n, d, d4, pad4(n + TILE))
  }
  for (let i0 = 0; i0 < n; i0 += TILE) {
    signal?.throwIfAborted()
    const bi = Math.min(TILE, n - i0)
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const bj = Math.min(TILE, n - j0)
      const bj4 = pad4(bj)
      if (kernel && heap) {
        kernel.abt(i0 * d4 * 4, bi, j0 * d4 * 4, bj4, d4, offOut * 4)
        heap = simdHeap(0)
        for (let r = 0; r < bi; r++) for (let c = 0; c < bj; c++) tileOut[r * bj + c] = heap[offOut + r * bj4 + c]!
      } else {
        matmulABt(X.data.subarray(i0 * d, (i0 + bi) * d), bi, X.data.subarray(j0 * d, (j0 + bj) * d), bj, d, tileOut)
      }
      for (let r = 0; r < bi; r++) {
        const i = i0 + r
        for (let c = 0; c < bj; c++) {
          const j = j0 + c
          if (j === i) continue
          insertTopK(sim, index, i * kk, kk, tileOut[r * bj + c]!, j)
        }
      }
    }
  }
  return { n, k: kk, index, sim }
}

/**
 * Keeps row `o`'s k best (similarity, index) pairs sorted, best first: `s` enters by insertion
 * when it beats the current k-th. k is small, so this beats a heap.
 */
function insertTopK(sim: Float32Array, index: Int32Array, o: number, k: number, s: number, j: number): void {
  if (s <= sim[o + k - 1]!) return
  let p = k - 1
  while (p > 0 && sim[o + p - 1]! < s) {
    sim[o + p] = sim[o + p - 1]!
    index[o + p] = index[o + p - 1]!
    p--
  }
  sim[o + p] = s
  index[o + p] = j
}

/** Cosine top-k of each query against all rows of X ("more like this"). */
export function similar(X: Matrix, queries: Matrix, k: number): { index: Int32Array; sim: Float32Array } {
  const n = X.rows
  const q = queries.rows
  const kk = Math.min(k, n)
  const index = new Int32Array(q * kk).fill(-1)
  const sim = new Float32Array(q * kk).fill(-Infinity)
  const block = 2048
  const out = new Float64Array(q * block)
  for (let j0 = 0; j0 < n; j0 += block) {
    const bj = Math.min(block, n - j0)
    // queries are few: they are the B side, so X streams once through the kernel
    matmulABt(X.data.subarray(j0 * X.cols, (j0 + bj) * X.cols), bj, queries.data, q, X.cols, out)
    for (let c = 0; c < bj; c++) {
      for (let r = 0; r < q; r++) {
        insertTopK(sim, index, r * kk, kk, out[c * q + r]!, j0 + c)
      }
    }
  }
  return { index, sim }
}

export interface PropagationOptions {
  /** weight of the graph against the seeds (Zhou et al. 2004) */
  alpha?: number
  /** edge weight = max(sim, 0)^gamma (Iscen et al. 2019) */
  gamma?: number
  iterations?: number
}

/**
 * Label propagation over the symmetric kNN graph: F = (1 - alpha) (I - alpha S)^-1 Y with
 * S = D^-1/2 W D^-1/2, by fixed-point iteration. Seeds are weighted 1 / (seeds of their class)
 * so a class with more labels does not flood the graph. Returns n x classes row-normalised scores.
 */
export function propagateLabels(
  graph: KnnGraph,
  seeds: { index: Int32Array; label: Int32Array; weight?: Float32Array },
  classes: number,
  opts: PropagationOptions = {},
): Float32Array {
  const { n, k } = graph
  const alpha = opts.alpha ?? 0.99
  const gamma = opts.gamma ?? 3
  const iterations = opts.iterations ?? 30
  // symmetric weights as adjacency lists (W + W^T)
  const deg = new Float64Array(n)
  const w = new Float64Array(n * k)
  for (let i = 0; i < n * k; i++) {
    const s = Math.max(0, graph.sim[i]!)
    w[i] = Math.pow(s, gamma)
  }
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) {
      const j = graph.index[i * k + t]!
      if (j < 0) continue
      deg[i] = deg[i]! + w[i * k + t]!
      deg[j] = deg[j]! + w[i * k + t]!
    }
  const dinv = Float64Array.from(deg, (v) => (v > 0 ? 1 / Math.sqrt(v) : 0))
  const Y = new Float64Array(n * classes)
  const perClass = new Float64Array(classes)
  for (let s = 0; s < seeds.index.length; s++) perClass[seeds.label[s]!] = perClass[seeds.label[s]!]! + (seeds.weight?.[s] ?? 1)
  for (let s = 0; s < seeds.index.length; s++) {
    const c = seeds.label[s]!
    const at = seeds.index[s]! * classes + c
    Y[at] = Y[at]! + (seeds.weight?.[s] ?? 1) / perClass[c]!
  }
  let F = Float64Array.from(Y)
  let next = new Float64Array(n * classes)
  for (let it = 0; it < iterations; it++) {
    next.fill(0)
    for (let i = 0; i < n; i++)
      for (let t = 0; t < k; t++) {
        const j = graph.index[i * k + t]!
        if (j < 0) continue
        const e = w[i * k + t]! * dinv[i]! * dinv[j]!
        const oi = i * classes
        const oj = j * classes
        for (let c = 0; c < classes; c++) {
          next[oi + c] = next[oi + c]! + e * F[oj + c]!
          next[oj + c] = next[oj + c]! + e * F[oi + c]!
        }
      }
    for (let i = 0; i < n * classes; i++) next[i] = alpha * next[i]! + (1 - alpha) * Y[i]!
    const t = F
    F = next
    next = t
  }
  const P = new Float32Array(n * classes)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let c = 0; c < classes; c++) s += Math.max(0, F[i * classes + c]!)
    for (let c = 0; c < classes; c++) P[i * classes + c] = s > 0 ? Math.max(0, F[i * classes + c]!) / s : 1 / classes
  }
  return P
}
