/**
 * The linear layer's products (products.ts linearProducts) on every core: this thread does the
 * first share of X's rows, long-lived helper threads (products-worker.ts) the others, each with
 * its own SIMD memory. A helper's rows reach it once per fit through a SharedArrayBuffer; each
 * product then costs one hand-off through Atomics (tens of microseconds) on shared parameter and
 * output buffers, so the L-BFGS loop that calls the products stays synchronous.
 *
 * Forward (Z = X W^T) splits by rows with no sum; backward (G = R^T X) adds the shares' partial
 * sums, in a fixed order, so a fit is deterministic for a given thread count (and agrees with one
 * thread to float rounding).
 *
 * Helpers are started on the first fit big enough to gain (MIN_WORK), waited for at most BOOT_MS
 * that once, and unref'd: an idle pool keeps no process alive. A helper that fails or does not
 * answer is dropped and its rows are done here from then on.
 */
import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../worker'
import type { Matrix } from './linalg'
import { linearProducts, type LinearProducts, type ProductShare } from './products'
import { simdKernel } from './simd'

/** Multiply-adds per product (n * d * k) below which one thread is faster than a hand-off. */
export const MIN_WORK = 4_000_000
/** Threads at most, this one included: more only share the same memory bandwidth. */
const MAX_THREADS = 4
/** How long the first big fit waits for the helpers to start (seconds under tsx, far less built). */
const BOOT_MS = 10_000
/** A product a helper has not finished in this long is taken as lost. */
const ANSWER_MS = 60_000

/** Control words of a helper, in an Int32Array on a SharedArrayBuffer. */
export const CTL = { ready: 0, seq: 1, cmd: 2, done: 3, failed: 4, size: 5 } as const
export const CMD = { forward: 1, backward: 2, end: 3 } as const

/** What a fit hands a helper (postMessage; the buffers are shared, not copied). */
export interface ShareMessage {
  type: 'fit'
  /** the seq value before this fit's first command */
  seq: number
  n: number
  d: number
  k: number
  share: ProductShare
  /** n x d float32 */
  X: SharedArrayBuffer
  /** k x d float64 */
  params: SharedArrayBuffer
  /** n x k float64: forward's output, backward's input */
  Z: SharedArrayBuffer
  R: SharedArrayBuffer
  /** k x d float64: backward's output */
  G: SharedArrayBuffer
}

interface Helper {
  worker: Worker
  ctl: Int32Array
}

let helpers: Helper[] = []
let started = false
/** Set when helpers could not be started or failed: fits stay on one thread from then on. */
let disabled = false

/** How many threads a fit would use now (for tests and benches). */
export function poolThreads(): number {
  return 1 + helpers.length
}

function startHelpers(): void {
  started = true
  const want = Math.min(MAX_THREADS, availableParallelism()) - 1
  for (let i = 0; i < want; i++) {
    const ctl = new Int32Array(new SharedArrayBuffer(CTL.size * 4))
    let worker: Worker
    try {
      worker = startModuleWorker('products-worker', import.meta.url)
    } catch {
      disabled = true
      return
    }
    worker.postMessage({ type: 'control', ctl: ctl.buffer })
    worker.unref()
    const helper = { worker, ctl }
    // Seen only when this thread's event loop runs, i.e. between fits.
    worker.on('error', () => drop(helper))
    worker.on('exit', () => drop(helper))
    helpers.push(helper)
  }
}

function drop(h: Helper): void {
  const i = helpers.indexOf(h)
  if (i < 0) return
  helpers.splice(i, 1)
  void h.worker.terminate()
}

/** Starts the helpers, if not yet, and waits until they are up: the fit ahead is big enough to gain. */
function readyHelpers(): Helper[] {
  if (disabled) return []
  if (!started) startHelpers()
  const deadline = performance.now() + BOOT_MS
  for (const h of [...helpers]) {
    while (Atomics.load(h.ctl, CTL.ready) === 0) {
      const left = deadline - performance.now()
      if (left <= 0 || Atomics.wait(h.ctl, CTL.ready, 0, left) === 'timed-out') break
    }
    if (Atomics.load(h.ctl, CTL.ready) !== 1) {
      // did not start (or failed to): no more helpers in this process
      disabled = true
      for (const g of [...helpers]) drop(g)
      return []
    }
  }
  return helpers.slice()
}

/** Starts the helpers now, if not yet, and waits until they are up; answers how many threads a big fit will use. */
export function startProductsPool(): number {
  return 1 + readyHelpers().slice(0, MAX_THREADS - 1).length
}

/** Stops the helpers (tests, and a process that wants its threads back now). */
export function closeProductsPool(): Promise<void> {
  const all = helpers
  helpers = []
  started = false
  return Promise.all(all.map((h) => h.worker.terminate())).then(() => undefined)
}

/**
 * The products of linearProducts shared among the pool's threads: each thread computes some rows
 * of Z and some columns of G, every entry as one thread would, so the result is the same to the
 * bit. `close()` ends the fit (helpers go back to waiting). One thread below MIN_WORK, without
 * helpers, or without SIMD.
 */
export function pooledLinearProducts(X: Matrix, k: number, opts: { threads?: number } = {}): LinearProducts & { close(): void; threads: number } {
  const n = X.rows
  const d = X.cols
  const wanted = opts.threads ?? (n * d * k >= MIN_WORK ? MAX_THREADS : 1)
  const pool = wanted > 1 && simdKernel() ? readyHelpers().slice(0, wanted - 1) : []
  // at least 64 rows and 64 columns a thread, or fewer threads
  const parts = Math.max(1, Math.min(1 + pool.length, Math.floor(n / 64), Math.floor(d / 64)))
  if (parts === 1) return { ...linearProducts(X, k), close() {}, threads: 1 }
  const cut = (p: number, of: number) => Math.round((p * of) / parts)
  const shareOf = (p: number): ProductShare => ({ rows: [cut(p, n), cut(p + 1, n)], cols: [cut(p, d), cut(p + 1, d)] })
  const buffers = { X: new SharedArrayBuffer(n * d * 4), params: new SharedArrayBuffer(k * d * 8), Z: new SharedArrayBuffer(n * k * 8), R: new SharedArrayBuffer(n * k * 8), G: new SharedArrayBuffer(k * d * 8) }
  new Float32Array(buffers.X).set(X.data.subarray(0, n * d))
  const params = new Float64Array(buffers.params)
  const Zs = new Float64Array(buffers.Z)
  const Rs = new Float64Array(buffers.R)
  const Gs = new Float64Array(buffers.G)
  const helpersUsed = pool.slice(0, parts - 1).map((h, i) => {
    const share = shareOf(i + 1)
    h.worker.postMessage({ type: 'fit', seq: Atomics.load(h.ctl, CTL.seq), n, d, k, share, ...buffers } satisfies ShareMessage)
    return { h, share }
  })
  const mine = shareOf(0)
  let local: LinearProducts
  try {
    local = linearProducts(X, k, mine)
  } catch (err) {
    // the helpers took the fit: end it, or the next fit would find them serving this one's buffers
    for (const { h } of helpersUsed) drop(h)
    throw err
  }
  let single: LinearProducts | null = null
  // a helper failed or did not answer: this thread does everything from here on
  const fallBack = (): LinearProducts => {
    disabled = true
    for (const { h } of helpersUsed) drop(h)
    local = linearProducts(X, k)
    single = local
    return local
  }
  const send = (cmd: number): boolean =>
    helpersUsed.every(({ h }) => {
      if (Atomics.load(h.ctl, CTL.done) !== Atomics.load(h.ctl, CTL.seq)) return false
      Atomics.store(h.ctl, CTL.cmd, cmd)
      Atomics.add(h.ctl, CTL.seq, 1)
      Atomics.notify(h.ctl, CTL.seq)
      return true
    })
  const finished = (): boolean =>
    helpersUsed.every(({ h }) => {
      const want = Atomics.load(h.ctl, CTL.seq)
      const deadline = performance.now() + ANSWER_MS
      for (;;) {
        const done = Atomics.load(h.ctl, CTL.done)
        if (done === want) return Atomics.load(h.ctl, CTL.failed) === 0
        const left = deadline - performance.now()
        if (left <= 0) return false
        Atomics.wait(h.ctl, CTL.done, done, left)
      }
    })
  return {
    threads: parts,
    forward(x, Z) {
      if (single) return single.forward(x, Z)
      for (let i = 0; i < k * d; i++) params[i] = x[i]!
      const sent = send(CMD.forward)
      local.forward(x, Z)
      if (!sent || !finished()) return fallBack().forward(x, Z)
      const [own0, own1] = mine.rows
      Z.set(Zs.subarray(0, own0 * k))
      Z.set(Zs.subarray(own1 * k), own1 * k)
    },
    backward(R, G) {
      if (single) return single.backward(R, G)
      Rs.set(R)
      const sent = send(CMD.backward)
      local.backward(R, G)
      if (!sent || !finished()) return fallBack().backward(R, G)
      const [own0, own1] = mine.cols
      for (let c = 0; c < k; c++) {
        G.set(Gs.subarray(c * d, c * d + own0), c * d)
        G.set(Gs.subarray(c * d + own1, (c + 1) * d), c * d + own1)
      }
    },
    close() {
      if (single) return
      if (!send(CMD.end) || !finished()) for (const { h } of helpersUsed) drop(h)
    },
  }
}
