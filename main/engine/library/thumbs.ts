/**
 * Thumbnails on demand: WebP, longest side 256, cached on disk by content hash, made by a bounded
 * number of workers in priority order (what is on screen first). Requests for the same image share
 * one job; a request whose signal aborts stops waiting, and a job nobody waits for any more is
 * dropped before it starts.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'

/** Longest side of a thumbnail, in pixels. */
export const THUMB_SIZE = 256
import { MAX_INPUT_PIXELS } from './scan'

interface Waiter {
  resolve: (b: Buffer) => void
  reject: (e: unknown) => void
  signal?: AbortSignal
  onAbort?: () => void
}

interface Job {
  hash: string
  source: string
  priority: number
  seq: number
  waiters: Set<Waiter>
  running: boolean
}

/** Thrown when the image cannot be decoded; the caller records the reason against the image. */
export class ThumbnailDecodeError extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'ThumbnailDecodeError'
  }
}

/** Renders one thumbnail (EXIF orientation applied; CMYK, 16-bit, palette and grey become 8-bit sRGB). */
export async function renderThumbnail(source: string): Promise<Buffer> {
  return sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true })
    .rotate()
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, effort: 2 })
    .toBuffer()
}

interface HeapEntry {
  job: Job
  priority: number
  seq: number
}

/** Higher priority first; among equals, the earlier request first. */
function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq
}

export class ThumbnailQueue {
  private readonly jobs = new Map<string, Job>()
  private heap: HeapEntry[] = []
  private running = 0
  private seq = 0
  private generation = 0
  readonly concurrency: number

  constructor(
    readonly cacheDir: string,
    opts: { concurrency?: number } = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? availableParallelism())
  }

  cachePath(hash: string): string {
    return path.join(this.cacheDir, hash.slice(0, 2), `${hash}.webp`)
  }

  /** The thumbnail of the image with content `hash`, read from `source` when not cached. */
  get(hash: string, source: string, opts: { priority?: number; signal?: AbortSignal } = {}): Promise<Buffer> {
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason)
    // Checked synchronously so that the job is queued before this returns: a focus() or cancel()
    // right after get() sees it. A cached thumbnail skips the queue.
    const cached = this.cachePath(hash)
    if (existsSync(cached)) return readFile(cached).catch(() => this.enqueue(hash, source, opts))
    return this.enqueue(hash, source, opts)
  }

  private enqueue(hash: string, source: string, opts: { priority?: number; signal?: AbortSignal }): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let job = this.jobs.get(hash)
      if (!job) {
        job = { hash, source, priority: opts.priority ?? 0, seq: this.seq++, waiters: new Set(), running: false }
        this.jobs.set(hash, job)
        this.push(job)
      } else if ((opts.priority ?? 0) > job.priority) {
        this.setPriority(job, opts.priority ?? 0)
      }
      const w: Waiter = { resolve, reject, signal: opts.signal }
      if (opts.signal) {
        const j = job
        w.onAbort = () => {
          j.waiters.delete(w)
          reject(opts.signal?.reason)
          if (j.waiters.size === 0 && !j.running) this.jobs.delete(j.hash) // left in the heap, skipped when popped
        }
        opts.signal.addEventListener('abort', w.onAbort, { once: true })
      }
      job.waiters.add(w)
      this.pump()
    })
  }

  /** Moves these images ahead of everything queued before (call with what is on screen now). */
  focus(hashes: readonly string[]): void {
    const p = ++this.generation * 1e6
    hashes.forEach((h, i) => {
      const job = this.jobs.get(h)
      if (job) this.setPriority(job, p - i) // keep screen order: first visible first
    })
  }

  /** Drops queued (not yet running) jobs for these images; their waiters get an AbortError. */
  cancel(hashes: readonly string[]): void {
    for (const h of hashes) {
      const job = this.jobs.get(h)
      if (!job || job.running) continue
      this.jobs.delete(h)
      this.settle(job, (w) => w.reject(new DOMException('thumbnail cancelled', 'AbortError')))
    }
  }

  get pending(): number {
    return this.jobs.size
  }

  /** Deletes the whole cache; thumbnails are made again when asked for. */
  async clear(): Promise<void> {
    await rm(this.cacheDir, { recursive: true, force: true })
  }

  private setPriority(job: Job, priority: number): void {
    job.priority = priority
    job.seq = this.seq++
    this.push(job) // the stale heap entry is skipped when popped (its seq no longer matches)
  }

  private push(job: Job): void {
    // Heap entries are snapshots; an entry whose seq no longer matches its job's is stale and skipped.
    this.heap.push({ job, priority: job.priority, seq: job.seq })
    let i = this.heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(this.heap[i] as HeapEntry, this.heap[parent] as HeapEntry)) break
      this.swap(i, parent)
      i = parent
    }
  }

  private pop(): HeapEntry | undefined {
    const top = this.heap[0]
    const last = this.heap.pop()
    if (top === undefined || last === undefined) return undefined
    if (this.heap.length > 0) {
      this.heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let best = i
        if (l < this.heap.length && before(this.heap[l] as HeapEntry, this.heap[best] as HeapEntry)) best = l
        if (r < this.heap.length && before(this.heap[r] as HeapEntry, this.heap[best] as HeapEntry)) best = r
        if (best === i) break
        this.swap(i, best)
        i = best
      }
    }
    return top
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i] as HeapEntry
    this.heap[i] = this.heap[j] as HeapEntry
    this.heap[j] = t
  }

  private next(): Job | undefined {
    for (;;) {
      const entry = this.pop()
      if (!entry) return undefined
      const job = entry.job
      // Skip dropped jobs, running jobs and outdated priorities.
      if (this.jobs.get(job.hash) === job && !job.running && job.seq === entry.seq) return job
    }
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const job = this.next()
      if (!job) return
      job.running = true
      this.running++
      void this.make(job).then(
        (buf) => this.settle(job, (w) => w.resolve(buf)),
        (err: unknown) => this.settle(job, (w) => w.reject(err)),
      ).finally(() => {
        this.jobs.delete(job.hash)
        this.running--
        this.pump()
      })
    }
  }

  private settle(job: Job, fn: (w: Waiter) => void): void {
    for (const w of job.waiters) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort)
      fn(w)
    }
    job.waiters.clear()
  }

  private async make(job: Job): Promise<Buffer> {
    let bytes: Buffer
    try {
      bytes = await renderThumbnail(job.source)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'EACCES') throw err // the file's problem, not the content's
      throw new ThumbnailDecodeError(`cannot be decoded: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`)
    }
    const file = this.cachePath(job.hash)
    try {
      await mkdir(path.dirname(file), { recursive: true })
      // Write then rename: a crash never leaves a half-written thumbnail in the cache.
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, bytes)
      await rename(tmp, file)
    } catch {
      // A full disk only costs the cache, not the thumbnail.
    }
    return bytes
  }
}
