import { nearestCentre, sphericalKmeans } from './kmeans'
import { dot, l2NormalizeRows, takeRows, type Matrix } from './linalg'
import { fitSubspace, projectPca } from './pca'
import { matmulABt } from './products'
import { pad4, putRows, simdHeap, simdKernel } from './simd'

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
 * Above this many rows the graph is approximate. Exact costs n^2 d multiply-adds: ~3 s at
 * 3,000 x 1280 here but ~130 s at 20,000; the approximate index is about as fast at 3,000 and
 * grows ~n^1.5.
 */
export const EXACT_KNN_LIMIT = 4000

export interface KnnOptions {
  /** rows above which the approximate index is used (default EXACT_KNN_LIMIT) */
  exactLimit?: number
  /** approximate index: principal components kept, and cells each cell's rows search */
  components?: number
  probes?: number
  /** rows done of the rows to do (the approximate index counts each row twice: searched, re-scored) */
  onProgress?: (done: number, total: number) => void
}

/**
 * k nearest neighbours of every row: exact up to `exactLimit` rows, else approximate (PCA to a few
 * dozen dimensions, then an inverted-file index; see approximateKnnGraph).
 */
export function knnGraph(X: Matrix, k: number, signal?: AbortSignal, opts: KnnOptions = {}): KnnGraph {
  return X.rows > (opts.exactLimit ?? EXACT_KNN_LIMIT) ? approximateKnnGraph(X, k, signal, opts) : exactKnnGraph(X, k, signal, opts.onProgress)
}

/**
 * Exact kNN over all rows by tiled matrix products (both tiles stay in cache while the SIMD kernel
 * runs over them). n^2 d multiply-adds: about 1.5 s for 3,000 x 1280 here.
 */
export function exactKnnGraph(X: Matrix, k: number, signal?: AbortSignal, onProgress?: (done: number, total: number) => void): KnnGraph {
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
    onProgress?.(i0 + bi, n)
  }
  return { n, k: kk, index, sim }
}

/**
 * Approximate kNN for large pools, an inverted-file index on reduced dimensions (Jegou et al.
 * 2011; NOTES.md: neighbour search on 1280-d vectors costs ~10x that on 128-d):
 * 1. project onto the top `components` principal directions (pca.ts) and re-normalise;
 * 2. spherical k-means (kmeans.ts) into ~sqrt(n) cells (trained on a sample);
 * 3. each cell's rows search, by one matrix product per block, the rows of the `probes` cells
 *    whose centres are nearest to their own cell's centre;
 * 4. the k found are re-scored by their exact similarity in the full dimensions.
 * Cost ~ n * probes * (n / cells) * components instead of n^2 d: at 100,000 x 1280 about 30x less.
 */
export function approximateKnnGraph(X: Matrix, k: number, signal?: AbortSignal, opts: KnnOptions = {}): KnnGraph {
  const n = X.rows
  const d = X.cols
  const kk = Math.min(k, n - 1)
  const P = projectPca(fitSubspace(X, opts.components ?? 64), X)
  l2NormalizeRows(P)
  signal?.throwIfAborted()
  const p = P.cols
  const cells = Math.max(1, Math.min(n, Math.round(Math.sqrt(n))))
  const centres = sphericalKmeans(P, cells, signal)
  const assign = nearestCentre(P, centres, cells)
  const members: number[][] = Array.from({ length: cells }, () => [])
  for (let i = 0; i < n; i++) members[assign[i]!]!.push(i)
  // each cell probes the cells nearest its centre (itself first)
  const probes = Math.min(cells, opts.probes ?? 8)
  const cc = new Float64Array(cells * cells)
  matmulABt(centres, cells, centres, cells, p, cc)
  const wide = 2 * kk // candidates kept per row before exact re-scoring
  const candIndex = new Int32Array(n * wide).fill(-1)
  const candSim = new Float32Array(n * wide).fill(-Infinity)
  const BLOCK = 256
  let searched = 0
  for (let c = 0; c < cells; c++) {
    signal?.throwIfAborted()
    const rows = members[c]!
    if (rows.length === 0) continue
    const near = Array.from({ length: cells }, (_, j) => j).sort((a, b) => cc[c * cells + b]! - cc[c * cells + a]! || a - b).slice(0, probes)
    const cand = near.flatMap((j) => members[j]!)
    const C = takeRows(P, cand)
    const out = new Float64Array(BLOCK * cand.length)
    for (let r0 = 0; r0 < rows.length; r0 += BLOCK) {
      const q = rows.slice(r0, r0 + BLOCK)
      matmulABt(takeRows(P, q).data, q.length, C.data, cand.length, p, out)
      for (let r = 0; r < q.length; r++) {
        const i = q[r]!
        for (let t = 0; t < cand.length; t++) if (cand[t] !== i) insertTopK(candSim, candIndex, i * wide, wide, out[r * cand.length + t]!, cand[t]!)
      }
    }
    searched += rows.length
    opts.onProgress?.(searched, 2 * n)
  }
  // exact similarities of the candidates in the full dimensions, best k kept
  const index = new Int32Array(n * kk).fill(-1)
  const sim = new Float32Array(n * kk).fill(-Infinity)
  for (let i = 0; i < n; i++) {
    if (i % 4096 === 0) {
      signal?.throwIfAborted()
      opts.onProgress?.(n + i, 2 * n)
    }
    for (let t = 0; t < wide; t++) {
      const j = candIndex[i * wide + t]!
      if (j < 0) break
      insertTopK(sim, index, i * kk, kk, dot(X.data, i * d, X.data, j * d, d), j)
    }
  }
  return { n, k: kk, index, sim }
}

/**
 * Keeps row `o`'s k best (similarity, index) pairs sorted, best first: `s` enters by insertion
 * when it beats the current k-th. k is small, so this beats a heap.
 */
export function insertTopK(sim: Float32Array, index: Int32Array, o: number, k: number, s: number, j: number): void {
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
