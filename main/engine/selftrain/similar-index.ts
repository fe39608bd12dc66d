/**
 * "More like this" off the caller's thread: one long-lived worker (similar-worker.ts) keeps a
 * teacher cache's features between queries. The first query of a cache state loads them (a second
 * or two per 100k images, reported through `onProgress`), unless `warm` already did; later ones
 * cost one matrix-vector product in the worker and a few hundred rows scored again.
 */
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../worker'
import type { LoadStages, SimilarReply, SimilarRequest } from './similar-worker'

type Pending = { resolve: (reply: SimilarReply) => void; reject: (err: Error) => void }

/** Rows of the cache read so far, of at most `total`, while the features load. */
export type LoadProgress = (done: number, total: number) => void

export class SimilarityIndex {
  private worker: Worker | null = null
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private loaded: { key: string; done: Promise<void> } | null = null
  private startedAt = 0
  /** Where the last load's time went (ms; see LoadStages): the worker's start-up (0 if it was running) and the worker's stages. For the bench. */
  lastLoad: { workerStartMs: number; readMs: number; transformMs: number; finishMs: number; rows: number } | null = null
  /** Rows the last query scored exactly (see similar-worker.ts). For tests and the bench. */
  lastCandidates = 0

  constructor(private readonly onProgress: LoadProgress = () => {}) {}

  /**
   * Loads the features of `cacheFile` in state `key` unless they are loaded or loading: a query
   * after this one finds them ready. Resolves when they are.
   */
  load(cacheFile: string, key: string): Promise<void> {
    if (this.loaded?.key !== key) {
      const fresh = !this.worker
      const done = this.ask({ type: 'load', id: 0, cacheFile }).then((reply) => {
        if (reply.type !== 'loaded') return
        const { receivedAt, readMs, transformMs, finishMs } = reply.stages
        this.lastLoad = { workerStartMs: fresh ? receivedAt - this.startedAt : 0, readMs, transformMs, finishMs, rows: reply.rows }
      })
      this.loaded = { key, done }
      // A failed load is not kept: the next query tries again.
      done.catch(() => {
        if (this.loaded?.done === done) this.loaded = null
      })
    }
    return this.loaded.done
  }

  /**
   * The `k` rows nearest to the image with content hash `hash` (itself included, as a rule first),
   * from the features of `cacheFile`; `key` names the cache's state (its size and mtime), and a new
   * state is loaded afresh. An image without an embedding gets an empty list.
   */
  async query(cacheFile: string, key: string, hash: string, k: number): Promise<{ hash: string; similarity: number }[]> {
    await this.load(cacheFile, key)
    const reply = await this.ask({ type: 'query', id: 0, hash, k })
    if (reply.type !== 'result') throw new Error(`similar worker answered ${reply.type}`)
    this.lastCandidates = reply.candidates
    return reply.hashes.map((h, i) => ({ hash: h, similarity: reply.sims[i]! }))
  }

  /** Stops the worker and drops the features (the project closed). */
  close(): void {
    const worker = this.worker
    this.worker = null
    this.loaded = null
    this.failAll(new Error('the similarity index was closed'))
    void worker?.terminate()
  }

  private ask(request: SimilarRequest): Promise<SimilarReply> {
    const id = this.nextId++
    const worker = this.start()
    return new Promise<SimilarReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ ...request, id })
    }).then((reply) => {
      if (reply.type === 'error') throw new Error(reply.message)
      return reply
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    this.startedAt = performance.timeOrigin + performance.now()
    const worker = startModuleWorker('similar-worker', import.meta.url)
    // An idle index must not keep a CLI or test process alive.
    worker.unref()
    worker.on('message', (reply: SimilarReply) => {
      if (reply.type === 'progress') {
        this.onProgress(reply.done, reply.total)
        return
      }
      const p = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      p?.resolve(reply)
    })
    const lost = (err: Error) => {
      if (this.worker !== worker) return
      this.worker = null
      this.loaded = null
      this.failAll(err)
    }
    worker.on('error', lost)
    worker.on('exit', (code) => lost(new Error(`the similarity worker stopped (exit code ${code})`)))
    this.worker = worker
    return worker
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }
}
