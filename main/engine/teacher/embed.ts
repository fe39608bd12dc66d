/**
 * The embedding pass: decode (sharp, bounded concurrency) runs ahead of batched inference (worker
 * thread), results are appended to the cache batch by batch. Memory is bounded by the prefetch
 * depth, not the folder size; finished images are never redone.
 */
import os from 'node:os'
import { augmentInto } from './augment'
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
  /**
   * Augmented views (augment.ts): views[v] is view v's cache. An image is decoded once for its clean
   * embedding and every view missing from its cache; what a cache holds already is not redone.
   */
  views?: EmbeddingCache[]
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
  /** Per view (EmbedOptions.views), the images whose view was embedded by this run. */
  viewsEmbedded: number[]
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

/** An image and what it still needs: -1 its clean embedding, v >= 0 view v. */
interface Work {
  item: EmbedItem
  slots: number[]
}

/** A batch of decoded images: one H x W x 3 block per (image, slot) unit, in order. */
interface DecodedBatch {
  pixels: Uint8Array
  units: { item: EmbedItem; slot: number }[]
  /** images whose every unit is in the batch (each is counted done once its batch is inferred) */
  images: number
  failed: EmbedFailure[]
}

export async function embedImages(teacher: Teacher, cache: EmbeddingCache, items: readonly EmbedItem[], opts: EmbedOptions = {}): Promise<EmbedSummary> {
  const batchSize = opts.batchSize ?? 32
  const prefetch = Math.max(1, opts.prefetchBatches ?? 2)
  const limit = limiter(opts.decodeConcurrency ?? DECODE_CONCURRENCY)
  const syncMs = (opts.syncEverySeconds ?? 2) * 1000
  const { signal } = opts
  signal?.throwIfAborted()

  const views = opts.views ?? []
  // Unique ids with something not yet cached, in input order (two files with the same content are one image).
  const seen = new Set<string>()
  const todo: Work[] = []
  let skipped = 0
  for (const it of items) {
    if (seen.has(it.id)) continue
    seen.add(it.id)
    const slots = [...(cache.has(it.id) ? [] : [-1]), ...views.flatMap((v, i) => (v.has(it.id) ? [] : [i]))]
    if (slots.length === 0) skipped++
    else todo.push({ item: it, slots })
  }
  const total = seen.size
  const [H, W] = teacher.size
  const per = H * W * 3
  const pre = teacher.manifest.preprocess

  const decodeBatch = async (batch: Work[]): Promise<DecodedBatch> => {
    const units = batch.flatMap((w) => w.slots.map((slot) => ({ item: w.item, slot })))
    const pixels = new Uint8Array(units.length * per)
    // each image's first unit
    const first: number[] = []
    batch.reduce((at, w) => (first.push(at), at + w.slots.length), 0)
    const ok: boolean[] = new Array(batch.length).fill(false)
    const failed: EmbedFailure[] = []
    await Promise.all(
      batch.map((w, i) =>
        limit(async () => {
          if (signal?.aborted) return
          const at = first[i]!
          try {
            // decoded once: into the clean unit's block when it is missing (slot -1 comes first),
            // else into a scratch block; the views are made from that
            const clean = w.slots[0] === -1
            const scratch = clean ? pixels : new Uint8Array(per)
            await decodeInto(w.item.absPath, pre, [H, W], scratch, clean ? at * per : 0)
            w.slots.forEach((slot, s) => slot >= 0 && augmentInto(scratch, clean ? at * per : 0, [H, W], w.item.id, slot, pixels, (at + s) * per))
            ok[i] = true
          } catch (err) {
            failed.push({ ...w.item, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'decode failed' })
          }
        }),
      ),
    )
    if (failed.length === 0 && ok.every(Boolean)) return { pixels, units, images: batch.length, failed }
    // Close the gaps so the batch is contiguous.
    const bad = new Set(batch.flatMap((w, i) => (ok[i] ? [] : [w.item])))
    const kept: DecodedBatch['units'] = []
    units.forEach((u, j) => {
      if (bad.has(u.item)) return
      if (kept.length !== j) pixels.copyWithin(kept.length * per, j * per, (j + 1) * per)
      kept.push(u)
    })
    return { pixels: kept.length === units.length ? pixels : pixels.slice(0, kept.length * per), units: kept, images: batch.length - bad.size, failed }
  }

  // Batches of about `batchSize` units (an image with views brings several), whole images each.
  const batches: Work[][] = []
  let current: Work[] = []
  let size = 0
  for (const w of todo) {
    if (size > 0 && size + w.slots.length > batchSize) {
      batches.push(current)
      current = []
      size = 0
    }
    current.push(w)
    size += w.slots.length
  }
  if (current.length) batches.push(current)
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
  const viewsEmbedded = views.map(() => 0)
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
      if (d.units.length > 0) {
        const { embeddings, scores } = await teacher.infer(d.pixels, d.units.length)
        const dim = teacher.dim
        const sd = teacher.scoresDim
        const bySlot = new Map<number, CacheRecord[]>()
        d.units.forEach((u, i) => {
          const rec: CacheRecord = { id: u.item.id, embedding: embeddings.subarray(i * dim, (i + 1) * dim), ...(scores ? { scores: scores.subarray(i * sd, (i + 1) * sd) } : {}) }
          bySlot.set(u.slot, [...(bySlot.get(u.slot) ?? []), rec])
        })
        for (const [slot, records] of bySlot) {
          if (slot >= 0) {
            await views[slot]!.append(records)
            viewsEmbedded[slot] = viewsEmbedded[slot]! + records.length
          } else await cache.append(records)
        }
        embedded += d.images
      }
      if (performance.now() - lastSync >= syncMs) {
        for (const v of views) await v.sync()
        await cache.sync()
        lastSync = performance.now()
      }
      progress()
    }
  } finally {
    // Whatever happened, what was appended is made durable, so a resume skips it.
    for (const v of views) await v.sync()
    await cache.sync()
  }
  const seconds = (performance.now() - t0) / 1000
  return { total, embedded, skipped, failed, seconds, imagesPerSecond: seconds > 0 ? embedded / seconds : 0, provider: teacher.provider, cacheFile: cache.file, viewsEmbedded }
}
