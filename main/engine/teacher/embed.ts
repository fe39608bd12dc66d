/**
 * The embedding pass: decode (sharp, bounded concurrency) runs ahead of batched inference (worker
 * thread), results are appended to the cache batch by batch. Memory is bounded by the prefetch
 * depth, not the folder size; finished images are never redone.
 */
import os from 'node:os'
import type { CacheRecord, EmbeddingCache } from './cache'
import { decodeInto } from './preprocess'
import type { ProviderReport } from './providers'
import type { Teacher } from './teacher'

export interface EmbedItem {
  /** The image's identity (its content hash); the cache is keyed on it. */
  id: string
  absPath: string
}

export interface EmbedProgress {
  /** Images finished so far, including those already in the cache and those that failed. */
  done: number
  total: number
  embedded: number
  skipped: number
  failed: number
  /** Embedding rate of this run (cached images excluded). */
  imagesPerSecond: number
  etaSeconds: number | null
}

export interface EmbedFailure {
  id: string
  absPath: string
  reason: string
}

export interface EmbedOptions {
  batchSize?: number
  /** Images decoded at once (default DECODE_CONCURRENCY). */
  decodeConcurrency?: number
  /** Batches decoded ahead of the one being inferred (default 2). */
  prefetchBatches?: number
  signal?: AbortSignal
  onProgress?: (p: EmbedProgress) => void
  /** fsync the cache at most this often (default 2 s) and always at the end, on cancel or on error. */
  syncEverySeconds?: number
}

export interface EmbedSummary {
  total: number
  embedded: number
  /** Already in the cache before this run. */
  skipped: number
  failed: EmbedFailure[]
  seconds: number
  imagesPerSecond: number
  provider: ProviderReport
  cacheFile: string
}

/** Images decoded at once by default: 2 per core, at least 4. */
export const DECODE_CONCURRENCY = Math.max(4, 2 * os.availableParallelism())

/** A counting semaphore: at most `n` decodes in flight across all prefetched batches. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const queue: (() => void)[] = []
  return async (fn) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r))
    active++
    try {
      return await fn()
    } finally {
      active--
      queue.shift()?.()
    }
  }
}

interface DecodedBatch {
  pixels: Uint8Array
  items: EmbedItem[]
  failed: EmbedFailure[]
}

export async function embedImages(teacher: Teacher, cache: EmbeddingCache, items: readonly EmbedItem[], opts: EmbedOptions = {}): Promise<EmbedSummary> {
  const batchSize = opts.batchSize ?? 32
  const prefetch = Math.max(1, opts.prefetchBatches ?? 2)
  const limit = limiter(opts.decodeConcurrency ?? DECODE_CONCURRENCY)
  const syncMs = (opts.syncEverySeconds ?? 2) * 1000
  const { signal } = opts
  signal?.throwIfAborted()

  // Unique ids not yet cached, in input order (two files with the same content are one image).
  const seen = new Set<string>()
  const todo: EmbedItem[] = []
  let skipped = 0
  for (const it of items) {
    if (seen.has(it.id)) continue
    seen.add(it.id)
    if (cache.has(it.id)) skipped++
    else todo.push(it)
  }
  const total = seen.size
  const [H, W] = teacher.size
  const per = H * W * 3
  const pre = teacher.manifest.preprocess

  const decodeBatch = async (batch: EmbedItem[]): Promise<DecodedBatch> => {
    const pixels = new Uint8Array(batch.length * per)
    const ok: boolean[] = new Array(batch.length).fill(false)
    const failed: EmbedFailure[] = []
    await Promise.all(
      batch.map((it, i) =>
        limit(async () => {
          if (signal?.aborted) return
          try {
            await decodeInto(it.absPath, pre, [H, W], pixels, i * per)
            ok[i] = true
          } catch (err) {
            failed.push({ ...it, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'decode failed' })
          }
        }),
      ),
    )
    if (failed.length === 0 && ok.every(Boolean)) return { pixels, items: batch, failed }
    // Close the gaps so the batch is contiguous.
    const kept: EmbedItem[] = []
    batch.forEach((it, i) => {
      if (!ok[i]) return
      if (kept.length !== i) pixels.copyWithin(kept.length * per, i * per, (i + 1) * per)
      kept.push(it)
    })
    return { pixels: kept.length === batch.length ? pixels : pixels.slice(0, kept.length * per), items: kept, failed }
  }

  const batches: EmbedItem[][] = []
  for (let i = 0; i < todo.length; i += batchSize) batches.push(todo.slice(i, i + batchSize))
  const inflight: Promise<DecodedBatch>[] = []
  let nextBatch = 0
  const startNext = () => {
    const b = batches[nextBatch++]
    if (b) inflight.push(decodeBatch(b))
  }
  for (let i = 0; i < prefetch; i++) startNext()

  const t0 = performance.now()
  let lastSync = t0
  let embedded = 0
  const failed: EmbedFailure[] = []
  const progress = () => {
    const secs = (performance.now() - t0) / 1000
    const rate = secs > 0 ? embedded / secs : 0
    const done = skipped + embedded + failed.length
    opts.onProgress?.({ done, total, embedded, skipped, failed: failed.length, imagesPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : null })
  }
  progress()
  try {
    while (inflight.length > 0) {
      signal?.throwIfAborted()
      const d = await (inflight.shift() as Promise<DecodedBatch>)
      startNext() // keep `prefetch` batches decoding while this one is inferred
      signal?.throwIfAborted()
      failed.push(...d.failed)
      if (d.items.length > 0) {
        const { embeddings, scores } = await teacher.infer(d.pixels, d.items.length)
        const dim = teacher.dim
        const sd = teacher.scoresDim
        const records: CacheRecord[] = d.items.map((it, i) => ({
          id: it.id,
          embedding: embeddings.subarray(i * dim, (i + 1) * dim),
          ...(scores ? { scores: scores.subarray(i * sd, (i + 1) * sd) } : {}),
        }))
        await cache.append(records)
        embedded += d.items.length
      }
      if (performance.now() - lastSync >= syncMs) {
        await cache.sync()
        lastSync = performance.now()
      }
      progress()
    }
  } finally {
    // Whatever happened, what was appended is made durable, so a resume skips it.
    await cache.sync()
  }
  const seconds = (performance.now() - t0) / 1000
  return { total, embedded, skipped, failed, seconds, imagesPerSecond: seconds > 0 ? embedded / seconds : 0, provider: teacher.provider, cacheFile: cache.file }
}
