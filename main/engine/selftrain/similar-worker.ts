/**
 * Worker-thread entry for "more like this": holds one teacher cache's features and answers cosine
 * top-k queries on them as the head sees them (L2-normalised, centred: features.ts), so that
 * neither reading ~0.5 GB of embeddings nor a query's matrix-vector product blocks main.
 * Messages:
 *   in:  { type: 'load', id, cacheFile } | { type: 'query', id, hash, k }
 *   out: { type: 'progress', id, done, total } while loading (first done 0, last done = total),
 *        then { type: 'loaded', id, rows, stages }
 *        | { type: 'result', id, hashes, sims } | { type: 'error', id, message }
 * A query names its image by content hash; an unknown hash gets an empty result.
 *
 * The features go straight from the file, a chunk at a time, into the SIMD kernel's memory, where
 * they stay: one copy in memory, and a query is one kernel call over all rows with nothing copied.
 * What is kept is each row powered and normalised (baseRowSummed; at the default power the
 * kernel's sqrtRow and scaleRow, several times faster) but NOT centred: centring needs the mean of
 * all rows, so it would be a second pass over ~0.5 GB (a fifth of the first query's time at
 * 100k). A centred similarity follows from the uncentred rows instead. With b a kept row, m the
 * mean and q the centred query,
 *   cos(b - m, q) = (b.q - m.q) / |b - m|,   |b - m|^2 = b.b - 2 b.m + m.m,
 * so one kernel call with q and m as its two query rows gives every row's similarity. That
 * rearrangement rounds differently from centring first, so it only picks candidates: every row
 * whose similarity could reach the k-th best within a bound on that rounding is centred exactly
 * as applyFeatures does and scored again, and those scores decide. The answer is the exact
 * search's top-k (ties to the earlier row), with a few hundred rows centred per query.
 */
import { parentPort } from 'node:worker_threads'
import { embeddingChunks } from '../teacher/cache'
import { baseRowSummed, centreRow, DEFAULT_FEATURES } from './features'
import { insertTopK } from '../math/knn'
import { pad4, simdHeap, simdKernel } from '../math/simd'

export type SimilarRequest = { type: 'load'; id: number; cacheFile: string } | { type: 'query'; id: number; hash: string; k: number }
export type SimilarReply =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'loaded'; id: number; rows: number; stages: LoadStages }
  | { type: 'result'; id: number; hashes: string[]; sims: number[]; candidates: number }
  | { type: 'error'; id: number; message: string }

/**
 * Where a load's time went, in milliseconds: reading the cache file (with its checksums), powering
 * and normalising the rows as they come (summing for the mean), and the rest. `receivedAt` is the
 * wall clock (performance.timeOrigin + now) when the worker took the request, so that the caller
 * can tell the worker's start-up.
 */
export type LoadStages = { receivedAt: number; readMs: number; transformMs: number; finishMs: number }

const wall = () => performance.timeOrigin + performance.now()

/** WebAssembly's 32-bit memory: 4 GiB, less a page for anything else in it (about 800k images of 1280-d float32). */
const MAX_BYTES = 2 ** 32 - 65536

/** At most one progress message per this many milliseconds while loading. */
const PROGRESS_MS = 100

/** Candidate rows centred and scored again per kernel call (the scratch area's size). */
const RESCORE_BLOCK = 256

/**
 * Bound on how far a rearranged similarity (see the top) can be from the centred one, for a row
 * whose centred norm |b - m| is `norm`. Float32 dot products of unit vectors over a few thousand
 * dimensions are off by at most ~2e-5 (the kernel's 4 lanes sum d / 4 products each); the
 * numerator carries that once and |b - m|^2 twice, and dividing by |b - m| scales both. Taken
 * several times over: a looser bound only centres a few more rows.
 */
const slack = (norm: number) => 1e-4 + 1e-4 / norm + 1e-4 / (norm * norm)

/**
 * The kept features, in the kernel's memory by float offset: `rows` rows (stride d4, powered and
 * normalised, not centred) at 0, the query block (4 rows: the centred query, the mean, zeros) at
 * offQ, the output (4 per row) at offOut, and RESCORE_BLOCK scratch rows with their output at
 * offScratch, then the rows' mean (f64, as centreRow takes it; the kernel adds rows into it).
 * `sq` holds each row's sum of squares.
 */
let held: {
  rows: number
  d: number
  d4: number
  offQ: number
  offOut: number
  offScratch: number
  mean: Float64Array
  sq: Float64Array
  hashes: string[]
  rowOf: Map<string, number>
} | null = null

async function load(m: Extract<SimilarRequest, { type: 'load' }>): Promise<SimilarReply> {
  const receivedAt = wall()
  held = null // the old features go before the new ones are read
  const kernel = simdKernel()
  if (!kernel) throw new Error('"more like this" needs WebAssembly SIMD, which this runtime lacks')
  const { power } = DEFAULT_FEATURES
  let heap: Float32Array | null = null
  let d = 0
  let d4 = 0
  let records = 0
  let mean = new Float64Array(0)
  let offMean = 0
  let sq = new Float64Array(0)
  const hashes: string[] = []
  const rowOf = new Map<string, number>()
  let read = 0
  let shown = 0
  let readMs = 0
  let transformMs = 0
  let t = performance.now()
  for await (const chunk of embeddingChunks(m.cacheFile)) {
    readMs += performance.now() - t
    t = performance.now()
    if (!heap) {
      d = chunk.dim
      d4 = pad4(d)
      records = chunk.records
      // every record the file holds, the query block, the output, the scratch rows and their
      // output, the mean (f64): sized once, so no view detaches
      const bytes = (records * d4 + 4 * d4 + records * 4 + RESCORE_BLOCK * (d4 + 4) + 2 * d4) * 4
      if (bytes > MAX_BYTES) throw new Error(`"more like this" holds at most ${Math.floor((MAX_BYTES - RESCORE_BLOCK * (d4 + 4) * 4) / ((d4 + 4) * 4)).toLocaleString('en')} images' ${d}-d features in memory; ${m.cacheFile} has ${records.toLocaleString('en')}`)
      heap = simdHeap(bytes)
      // rows are written over whole, padding included; the query block's rows 2 and 3 stay zero
      heap.fill(0, records * d4, records * d4 + 4 * d4)
      offMean = records * d4 + 4 * d4 + records * 4 + RESCORE_BLOCK * (d4 + 4)
      mean = new Float64Array(kernel.memory.buffer, offMean * 4, d4).fill(0)
      sq = new Float64Array(records)
      parentPort?.postMessage({ type: 'progress', id: m.id, done: 0, total: records } satisfies SimilarReply)
      shown = Date.now()
    }
    for (let i = 0; i < chunk.ids.length; i++) {
      const id = chunk.ids[i]!
      // a repeated id keeps its first record, as loadEmbeddings does
      if (rowOf.has(id)) continue
      const r = hashes.length
      const row = heap.subarray(r * d4, r * d4 + d)
      row.set(chunk.data.subarray(i * d, (i + 1) * d))
      if (d4 > d) heap.fill(0, r * d4 + d, (r + 1) * d4)
      if (power === 0.5) {
        // the kernel's passes of baseRowSummed: several times faster than JavaScript's loops
        const at = r * d4 * 4
        const s = kernel.sqrtRow(at, d4 * 4)
        sq[r] = kernel.scaleRow(at, d4 * 4, s > 0 ? 1 / Math.sqrt(s) : 1, offMean * 4)
      } else sq[r] = baseRowSummed(row, power, mean)
      rowOf.set(id, r)
      hashes.push(id)
    }
    read += chunk.ids.length
    if (Date.now() - shown >= PROGRESS_MS) {
      shown = Date.now()
      parentPort?.postMessage({ type: 'progress', id: m.id, done: read, total: records } satisfies SimilarReply)
    }
    transformMs += performance.now() - t
    t = performance.now()
  }
  readMs += performance.now() - t
  t = performance.now()
  // the end: done equals total, whatever a torn tail or repeated ids left out
  parentPort?.postMessage({ type: 'progress', id: m.id, done: read, total: read } satisfies SimilarReply)
  const rows = hashes.length
  if (rows > 0) for (let j = 0; j < d; j++) mean[j] = mean[j]! / rows
  // the query block, the output and the scratch rows follow the rows the file held, not `rows`:
  // the heap was laid out before repeated ids were known
  const offQ = records * d4
  const offOut = offQ + 4 * d4
  held = { rows, d, d4, offQ, offOut, offScratch: offOut + records * 4, mean, sq, hashes, rowOf }
  return { type: 'loaded', id: m.id, rows, stages: { receivedAt, readMs, transformMs, finishMs: performance.now() - t } }
}

function query(m: Extract<SimilarRequest, { type: 'query' }>): SimilarReply {
  if (!held) throw new Error('no features loaded')
  const { rows, d, d4, offQ, offOut, offScratch, mean, sq, hashes } = held
  const qRow = held.rowOf.get(m.hash)
  if (qRow === undefined) return { type: 'result', id: m.id, hashes: [], sims: [], candidates: 0 }
  const kernel = simdKernel()!
  const heap = simdHeap(0)
  // the query block: the query centred as applyFeatures centres it, then the mean
  const q = heap.subarray(offQ, offQ + d)
  q.set(heap.subarray(qRow * d4, qRow * d4 + d))
  centreRow(q, mean)
  const m32 = heap.subarray(offQ + d4, offQ + d4 + d)
  for (let j = 0; j < d; j++) m32[j] = mean[j]!
  let mq = 0
  let mm = 0
  for (let j = 0; j < d; j++) {
    mq += m32[j]! * q[j]!
    mm += m32[j]! * m32[j]!
  }
  kernel.abt(0, rows, offQ * 4, 4, d4, offOut * 4)
  const k = Math.min(m.k, rows)
  // the k-th best lower bound: the exact k-th similarity is at least this
  const lowSim = new Float32Array(k).fill(-Infinity)
  const lowIndex = new Int32Array(k).fill(-1)
  const approx = new Float64Array(rows)
  const room = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    const n2 = sq[i]! - 2 * heap[offOut + i * 4 + 1]! + mm
    // a row at (or next to) the mean has no direction to speak of: always scored exactly
    const norm = n2 > 1e-6 ? Math.sqrt(n2) : 0
    approx[i] = norm > 0 ? (heap[offOut + i * 4]! - mq) / norm : 0
    room[i] = norm > 0 ? slack(norm) : Infinity
    insertTopK(lowSim, lowIndex, 0, k, approx[i]! - room[i]!, i)
  }
  const floor = lowSim[k - 1]!
  // every row that could reach the k-th best, centred and scored as the centred rows would be
  const sim = new Float32Array(k).fill(-Infinity)
  const index = new Int32Array(k).fill(-1)
  const block: number[] = []
  let candidates = 0
  const rescore = () => {
    for (let b = 0; b < block.length; b++) {
      const at = offScratch + b * d4
      heap.copyWithin(at, block[b]! * d4, block[b]! * d4 + d4)
      centreRow(heap.subarray(at, at + d), mean)
    }
    const offS = offScratch + RESCORE_BLOCK * d4
    kernel.abt(offScratch * 4, block.length, offQ * 4, 4, d4, offS * 4)
    // rows in ascending order, as a full scan inserts them: ties go to the earlier row
    for (let b = 0; b < block.length; b++) insertTopK(sim, index, 0, k, heap[offS + b * 4]!, block[b]!)
    candidates += block.length
    block.length = 0
  }
  for (let i = 0; i < rows; i++) {
    if (approx[i]! + room[i]! < floor) continue
    block.push(i)
    if (block.length === RESCORE_BLOCK) rescore()
  }
  if (block.length > 0) rescore()
  const out: string[] = []
  const sims: number[] = []
  index.forEach((i, j) => {
    if (i < 0) return
    out.push(hashes[i]!)
    sims.push(sim[j]!)
  })
  return { type: 'result', id: m.id, hashes: out, sims, candidates }
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
