import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * Starts the worker module `name` that sits next to the calling module (`callerUrl`, its
 * import.meta.url). Built code (electron-vite emits each worker as its own entry in out/main) loads
 * `name.js` directly; sources run by tsx or vitest load `name.ts` through tsx's ESM API, because a
 * plain Worker cannot load TypeScript.
 */
export function startModuleWorker(name: string, callerUrl: string): Worker {
  const fromSource = callerUrl.endsWith('.ts')
  // Built code shared by several entries sits in chunks/, one folder below the workers.
  const base = !fromSource && /\/chunks\/[^/]+$/.test(callerUrl) ? new URL('..', callerUrl) : callerUrl
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base)
  if (!fromSource) return new Worker(url)
  // The ESM entry of tsx's API; the CommonJS one cannot register its loader from an eval'd worker.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href
  const boot = `const { workerData } = require('node:worker_threads'); import(workerData.tsxApi).then((m) => m.tsImport(workerData.entry, workerData.entry))`
  return new Worker(boot, { eval: true, workerData: { tsxApi, entry: url.href } })
}

/** What a one-job worker posts back: progress any number of times, then its result or its error. */
export type WorkerJobMessage<R> = { type: 'progress'; stage: string; done: number; total: number } | { type: 'done'; result: R } | { type: 'error'; message: string }

/**
 * Runs one job in a fresh worker `name` (see startModuleWorker): posts `request`, passes progress
 * on, and resolves with the result. Cancelling terminates the worker, so the result arrives whole
 * or not at all.
 */
export function runWorkerJob<R>(
  name: string,
  callerUrl: string,
  request: unknown,
  opts: { signal?: AbortSignal; onProgress?: (stage: string, done: number, total: number) => void } = {},
): Promise<R> {
  const { signal, onProgress } = opts
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const worker = startModuleWorker(name, callerUrl)
    const finish = () => {
      signal?.removeEventListener('abort', onAbort)
      void worker.terminate()
    }
    const onAbort = () => {
      finish()
      reject(signal?.reason ?? new Error('cancelled'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (m: WorkerJobMessage<R>) => {
      if (m.type === 'progress') {
        onProgress?.(m.stage, m.done, m.total)
        return
      }
      finish()
      if (m.type === 'done') resolve(m.result)
      else reject(new Error(m.message))
    })
    worker.on('error', (err) => {
      finish()
      reject(err)
    })
    worker.postMessage(request)
  })
}
