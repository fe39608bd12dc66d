/**
 * A teacher: a prepared model running in a worker thread on the best available provider.
 * `open()` then `infer(pixels, n)`; the caller owns decoding (see preprocess.ts).
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { LoadedManifest, Manifest } from './manifest'
import { loadManifest } from './manifest'
import type { PreparedModel } from './model'
import { EMBEDDING, PIXELS, prepareModel } from './model'
import type { FromWorker, InitMessage, OutTensor, RunMessage } from './ort-worker'
import type { ProviderReport } from './providers'
import type { ProviderName, ProviderSetting } from '../../../preload/vocabulary'
import { startModuleWorker } from '../worker'
import { candidatesFor, describeFallback } from './providers'

export interface TeacherOptions {
  /** Folder for edited models. */
  cacheDir: string
  provider?: ProviderSetting
  deviceId?: number
  /** ORT intra-op threads; 0 or absent: DEFAULT_INTRA_OP_THREADS. */
  intraOpThreads?: number
  interOpThreads?: number
  /** A model file the user pointed at instead of the manifest's file.path. */
  modelFile?: string
  searchDirs?: string[]
  /** Profile the first batch to report which provider took which nodes (default true). */
  reportNodes?: boolean
  /** Platform whose `auto` order is used; for tests. */
  platform?: NodeJS.Platform
}

/**
 * ORT's intra-op threads when not set: every core. The embedding pass decodes on the same cores
 * while a batch runs, and under other processes' load one thread fewer did better (0.94 of the
 * bound against 0.76); on a quiet 2-core machine every core wins: cifar10-small end to end 168.5
 * images/s against 140.7 with one thread, 0.86 of the bound (test/bench/results/teacher.json,
 * e2e_threads_compared). Settings -> CPU threads, or --threads, picks another count.
 */
export const DEFAULT_INTRA_OP_THREADS = os.availableParallelism()

export interface InferResult {
  /** n x dim, row-major. */
  embeddings: Float32Array
  /** n x scoresDim when the manifest has scores. */
  scores?: Float32Array
}

export class Teacher {
  readonly manifest: Manifest
  readonly model: PreparedModel
  readonly dim: number
  readonly scoresDim: number
  readonly size: [number, number]
  private worker: Worker
  private seq = 0
  private waiting = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>()
  private report: ProviderReport
  private dead: Error | undefined
  /** For a graph that declares a fixed batch size: whether it really needs it (undefined until tried). */
  private fixedBatch: boolean | undefined

  private constructor(manifest: Manifest, model: PreparedModel, worker: Worker, report: ProviderReport) {
    this.manifest = manifest
    this.model = model
    this.worker = worker
    this.report = report
    this.dim = manifest.outputs.embedding.dim
    this.scoresDim = manifest.outputs.scores?.count ?? 0
    this.size = manifest.input.size
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'result' || m.type === 'error') {
        const w = this.waiting.get(m.seq)
        this.waiting.delete(m.seq)
        w?.resolve(m)
      }
    })
    const fail = (err: Error) => {
      this.dead = err
      for (const w of this.waiting.values()) w.reject(err)
      this.waiting.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`teacher worker exited (code ${code})`)))
  }

  /** Loads the manifest (an id or a .json path, or an already loaded one), prepares the model and starts a session. */
  static async open(manifest: string | LoadedManifest, opts: TeacherOptions): Promise<Teacher> {
    const loaded = typeof manifest === 'string' ? await loadManifest(manifest, opts.searchDirs) : manifest
    const model = await prepareModel(loaded, { cacheDir: opts.cacheDir, ...(opts.searchDirs ? { searchDirs: opts.searchDirs } : {}), ...(opts.modelFile ? { modelFile: opts.modelFile } : {}) })
    const requested = opts.provider ?? 'auto'
    const intra = opts.intraOpThreads || DEFAULT_INTRA_OP_THREADS
    const inter = opts.interOpThreads ?? 1
    const worker = startModuleWorker('ort-worker', import.meta.url)
    const outputs = [EMBEDDING, ...(model.scoresOutput ? [model.scoresOutput] : [])]
    const init: InitMessage = {
      type: 'init',
      model: model.bytes,
      candidates: candidatesFor(requested, opts.platform),
      deviceId: opts.deviceId ?? 0,
      intraOpThreads: intra,
      interOpThreads: inter,
      profile: opts.reportNodes ?? true,
      input: PIXELS,
      outputs,
    }
    const ready = await new Promise<FromWorker>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.postMessage(init)
    })
    if (ready.type !== 'ready') {
      await worker.terminate()
      throw new Error(ready.type === 'error' ? ready.message : 'teacher worker did not start')
    }
    const report: ProviderReport = {
      requested,
      used: ready.used,
      deviceId: init.deviceId,
      attempts: ready.attempts,
      intraOpThreads: intra,
      interOpThreads: inter,
    }
    const fb = describeFallback(report)
    if (fb) report.fallback = fb
    return new Teacher(loaded.manifest, model, worker, report)
  }

  /** Which provider runs, what failed on the way, and (after the first batch) which nodes it took. */
  get provider(): ProviderReport {
    return this.report
  }

  /**
   * Runs a batch and returns the outputs as the model gives them, unchecked against the manifest:
   * what an import measures its embedding's width with. `pixels` is n x H x W x 3 RGB uint8 (it is
   * transferred to the worker: do not reuse it).
   */
  async inferRaw(pixels: Uint8Array, n: number): Promise<{ embedding: OutTensor; scores?: OutTensor }> {
    if (this.dead) throw this.dead
    const [h, w] = this.size
    if (pixels.length !== n * h * w * 3) throw new Error(`batch has ${pixels.length} bytes, expected ${n}x${h}x${w}x3`)
    const most = this.model.maxBatch
    if (most !== null && n > most && this.fixedBatch !== false) {
      // The graph declares a fixed batch size. Many such graphs run any batch once their input is
      // replaced (the edit does that), others reshape to it: try the whole batch once, and run
      // chunks of the declared size from then on if it fails.
      if (this.fixedBatch === undefined) {
        try {
          const whole = await this.run(pixels.slice(), n)
          if (whole.embedding.dims[0] !== n) throw new Error(`the whole batch gave ${whole.embedding.dims[0]} rows for ${n} images`)
          this.fixedBatch = false
          return whole
        } catch {
          this.fixedBatch = true
        }
      }
      const image = h * w * 3
      const parts: { embedding: OutTensor; scores?: OutTensor }[] = []
      for (let i = 0; i < n; i += most) parts.push(await this.runPadded(pixels.subarray(i * image, Math.min(n, i + most) * image), Math.min(most, n - i), most))
      const join = (ts: OutTensor[]): OutTensor => ({ dims: [n, ...(ts[0]?.dims.slice(1) ?? [])], data: concatRows(ts.map((t) => t.data)) })
      const scores = parts.flatMap((p) => (p.scores ? [p.scores] : []))
      return { embedding: join(parts.map((p) => p.embedding)), ...(scores.length ? { scores: join(scores) } : {}) }
    }
    if (most !== null && n > 0 && n < most && this.fixedBatch === true) return this.runPadded(pixels, n, most)
    if (most !== null && n > 0 && n < most && this.fixedBatch === undefined) {
      // A short batch first: the graph may run it as it is; if not, padded to the batch it needs.
      try {
        return await this.run(pixels.slice(), n)
      } catch (err) {
        const padded = await this.runPadded(pixels, n, most).catch(() => {
          throw err
        })
        this.fixedBatch = true
        return padded
      }
    }
    return this.run(pixels, n)
  }

  /**
   * Runs `n` images (n <= m) as a batch of exactly `m`, for a graph that needs its declared batch:
   * the last image repeated to fill it, and only the first `n` rows of each output kept.
   */
  private async runPadded(pixels: Uint8Array, n: number, m: number): Promise<{ embedding: OutTensor; scores?: OutTensor }> {
    if (n === m) return this.run(pixels.slice(), n)
    const image = pixels.length / n
    const full = new Uint8Array(m * image)
    full.set(pixels)
    const last = pixels.subarray((n - 1) * image, n * image)
    for (let i = n; i < m; i++) full.set(last, i * image)
    const out = await this.run(full, m)
    const firstRows = (t: OutTensor): OutTensor => {
      const rows = t.dims[0] ?? m
      const per = rows > 0 ? t.data.length / rows : 0
      return { dims: [n, ...t.dims.slice(1)], data: t.data.slice(0, n * per) }
    }
    return { embedding: firstRows(out.embedding), ...(out.scores ? { scores: firstRows(out.scores) } : {}) }
  }

  /** One run of the worker's session on n images. */
  private async run(pixels: Uint8Array, n: number): Promise<{ embedding: OutTensor; scores?: OutTensor }> {
    const [h, w] = this.size
    const seq = this.seq++
    const msg: RunMessage = { type: 'run', seq, pixels, dims: [n, h, w, 3] }
    const reply = await new Promise<FromWorker>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject })
      const whole = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength
      this.worker.postMessage(msg, whole ? [pixels.buffer as ArrayBuffer] : [])
    })
    if (reply.type === 'error') throw new Error(`inference failed: ${reply.message}`)
    if (reply.type !== 'result') throw new Error('unexpected reply from the teacher worker')
    this.updateReport(reply.used, reply.attempts, reply.nodes)
    const scores = this.model.scoresOutput ? reply.outputs[this.model.scoresOutput] : undefined
    return { embedding: reply.outputs[EMBEDDING] as OutTensor, ...(scores ? { scores } : {}) }
  }

  /** Runs a batch: `pixels` is n x H x W x 3 RGB uint8 (it is transferred to the worker: do not reuse it). */
  async infer(pixels: Uint8Array, n: number): Promise<InferResult> {
    const raw = await this.inferRaw(pixels, n)
    const emb = raw.embedding
    if (emb.data.length !== n * this.dim) {
      throw new Error(`manifest outputs.embedding.dim is ${this.dim} but the model gives ${emb.data.length / n} values per image (shape [${emb.dims.join(',')}])`)
    }
    const out: InferResult = { embeddings: emb.data }
    const sc = raw.scores
    if (sc) {
      if (sc.data.length !== n * this.scoresDim) {
        throw new Error(`manifest outputs.scores.count is ${this.scoresDim} but the model gives ${sc.data.length / n} scores per image`)
      }
      out.scores = sc.data
    }
    return out
  }

  private updateReport(used: ProviderName, attempts: ProviderReport['attempts'], nodes?: Record<string, number>): void {
    this.report = { ...this.report, used, attempts }
    if (nodes) this.report.nodes = nodes
    const fb = describeFallback(this.report)
    if (fb) this.report.fallback = fb
  }

  async close(): Promise<void> {
    if (this.dead) return
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (m: FromWorker) => m.type === 'closed' && resolve())
      this.worker.once('exit', () => resolve())
    })
    this.worker.postMessage({ type: 'close' })
    await closed
    await this.worker.terminate()
    this.dead = new Error('teacher is closed')
  }
}

function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
