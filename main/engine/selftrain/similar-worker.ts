/**
 * Worker-thread entry for "more like this": holds one teacher cache's features (L2-normalised,
 * centred, as the head sees them: features.ts) and answers cosine top-k queries against them, so
 * that neither reading ~0.5 GB of embeddings nor a query's matrix-vector product blocks main.
 * Messages:
 *   in:  { type: 'load', id, cacheFile } | { type: 'query', id, hash, k }
 *   out: { type: 'progress', id, done, total } while loading (first done 0, last done = total),
 *        then { type: 'loaded', id, rows }
 *        | { type: 'result', id, hashes, sims } | { type: 'error', id, message }
 * A query names its image by content hash; an unknown hash gets an empty result.
 *
 * The features go straight from the file, a chunk at a time, into the SIMD kernel's memory, where
 * they stay: one copy in memory (not the three a matrix, its transformed copy and the kernel's
 * chunks would take), and a query is one kernel call over all rows with nothing copied. The
 * transform is fitFeatures + applyFeatures done in two passes: power and normalise each row as it
 * is read (summing for the mean), then centre and normalise again once the mean is known.
 */
import { parentPort } from 'node:worker_threads'
import { embeddingChunks } from '../teacher/cache'
import { baseRow, centreRow, DEFAULT_FEATURES } from './features'
import { insertTopK } from '../math/knn'
import { pad4, simdHeap, simdKernel } from '../math/simd'

export type SimilarRequest = { type: 'load'; id: number; cacheFile: string } | { type: 'query'; id: number; hash: string; k: number }
export type SimilarReply =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'loaded'; id: number; rows: number }
  | { type: 'result'; id: number; hashes: string[]; sims: number[] }
  | { type: 'error'; id: number; message: string }

/** WebAssembly's 32-bit memory: 4 GiB, less a page for anything else in it (about 800k images of 1280-d float32). */
const MAX_BYTES = 2 ** 32 - 65536

/** At most one progress message per this many milliseconds while loading. */
const PROGRESS_MS = 100

/** The kept features: `rows` rows of stride d4 floats at float offset 0 of the kernel's memory, then the query (4 rows) and the output. */
let held: { rows: number; d: number; d4: number; offQ: number; offOut: number; hashes: string[]; rowOf: Map<string, number> } | null = null

async function load(m: Extract<SimilarRequest, { type: 'load' }>): Promise<SimilarReply> {
  held = null // the old features go before the new ones are read
  const kernel = simdKernel()
  if (!kernel) throw new Error('"more like this" needs WebAssembly SIMD, which this runtime lacks')
  const { power } = DEFAULT_FEATURES
  let heap: Float32Array | null = null
  let d = 0
  let d4 = 0
  let mean = new Float64Array(0)
  const hashes: string[] = []
  const rowOf = new Map<string, number>()
  let read = 0
  let shown = 0
  for await (const chunk of embeddingChunks(m.cacheFile)) {
    if (!heap) {
      d = chunk.dim
      d4 = pad4(d)
      // every record the file holds, the query's 4 rows, the output: sized once, so no view detaches
      const bytes = (chunk.records * d4 + 4 * d4 + chunk.records * 4) * 4
      if (bytes > MAX_BYTES) throw new Error(`"more like this" holds at most ${Math.floor(MAX_BYTES / ((d4 + 4) * 4)).toLocaleString('en')} images' ${d}-d features in memory; ${m.cacheFile} has ${chunk.records.toLocaleString('en')}`)
      heap = simdHeap(bytes)
      heap.fill(0, 0, chunk.records * d4 + 4 * d4)
      mean = new Float64Array(d)
      parentPort?.postMessage({ type: 'progress', id: m.id, done: 0, total: chunk.records } satisfies SimilarReply)
      shown = Date.now()
    }
    for (let i = 0; i < chunk.ids.length; i++) {
      const id = chunk.ids[i]!
      // a repeated id keeps its first record, as loadEmbeddings does
      if (rowOf.has(id)) continue
      const row = heap.subarray(hashes.length * d4, hashes.length * d4 + d)
      row.set(chunk.data.subarray(i * d, (i + 1) * d))
      baseRow(row, power)
      for (let j = 0; j < d; j++) mean[j] = mean[j]! + row[j]!
      rowOf.set(id, hashes.length)
      hashes.push(id)
    }
    read += chunk.ids.length
    if (Date.now() - shown >= PROGRESS_MS) {
      shown = Date.now()
      parentPort?.postMessage({ type: 'progress', id: m.id, done: read, total: chunk.records } satisfies SimilarReply)
    }
  }
  // the end: done equals total, whatever a torn tail or repeated ids left out
  parentPort?.postMessage({ type: 'progress', id: m.id, done: read, total: read } satisfies SimilarReply)
  const rows = hashes.length
  if (heap && rows > 0) {
    for (let j = 0; j < d; j++) mean[j] = mean[j]! / rows
    for (let i = 0; i < rows; i++) centreRow(heap.subarray(i * d4, i * d4 + d), mean)
  }
  const offQ = rows * d4
  held = { rows, d, d4, offQ, offOut: offQ + 4 * d4, hashes, rowOf }
  return { type: 'loaded', id: m.id, rows }
}

function query(m: Extract<SimilarRequest, { type: 'query' }>): SimilarReply {
  if (!held) throw new Error('no features loaded')
  const { rows, d, d4, offQ, offOut, hashes } = held
  const row = held.rowOf.get(m.hash)
  if (row === undefined) return { type: 'result', id: m.id, hashes: [], sims: [] }
  const kernel = simdKernel()!
  const heap = simdHeap(0)
  heap.copyWithin(offQ, row * d4, row * d4 + d)
  kernel.abt(0, rows, offQ * 4, 4, d4, offOut * 4)
  const k = Math.min(m.k, rows)
  const sim = new Float32Array(k).fill(-Infinity)
  const index = new Int32Array(k).fill(-1)
  for (let i = 0; i < rows; i++) insertTopK(sim, index, 0, k, heap[offOut + i * 4]!, i)
  const out: string[] = []
  const sims: number[] = []
  index.forEach((i, j) => {
    if (i < 0) return
    out.push(hashes[i]!)
    sims.push(sim[j]!)
  })
  return { type: 'result', id: m.id, hashes: out, sims }
}

async function handle(m: SimilarRequest): Promise<SimilarReply> {
  return m.type === 'load' ? load(m) : query(m)
}

/** Requests run one at a time, in order: two loads share the kernel's one heap (a second one
 *  would write over the first's rows, or detach its view by growing the memory), and a query sent
 *  during a load must see the features that load gives. */
let queue: Promise<unknown> = Promise.resolve()

parentPort?.on('message', (m: SimilarRequest) => {
  queue = queue.then(() => handle(m)).then(
    (reply) => parentPort?.postMessage(reply),
    (err: unknown) => parentPort?.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies SimilarReply),
  )
})
