/**
 * Runs a round in a worker thread so training never blocks the caller's event loop. Cancelling
 * terminates the worker: the result is delivered whole or not at all.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { RoundInput, RoundSettings } from './round'
import type { WorkerRoundResult } from './worker'

/** A built .js entry loads directly; a .ts source (tsx, vitest) is loaded through tsx's ESM API. */
function startWorker(): Worker {
  const url = new URL('./worker' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url)
  if (!url.pathname.endsWith('.ts')) return new Worker(url)
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href
  const boot = `const { workerData } = require('node:worker_threads'); import(workerData.tsxApi).then((m) => m.tsImport(workerData.entry, workerData.entry))`
  return new Worker(boot, { eval: true, workerData: { tsxApi, entry: url.href } })
}

export function runRoundInWorker(input: RoundInput, settings: Partial<RoundSettings> = {}, signal?: AbortSignal): Promise<WorkerRoundResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const worker = startWorker()
    const onAbort = () => {
      void worker.terminate()
      reject(signal?.reason ?? new Error('cancelled'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const finish = () => {
      signal?.removeEventListener('abort', onAbort)
      void worker.terminate()
    }
    worker.on('message', (m: { type: 'done'; result: WorkerRoundResult } | { type: 'error'; message: string }) => {
      finish()
      if (m.type === 'done') resolve(m.result)
      else reject(new Error(m.message))
    })
    worker.on('error', (err) => {
      finish()
      reject(err)
    })
    worker.postMessage({ type: 'round', input, settings })
  })
}
