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
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl)
  if (!fromSource) return new Worker(url)
  // The ESM entry of tsx's API; the CommonJS one cannot register its loader from an eval'd worker.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href
  const boot = `const { workerData } = require('node:worker_threads'); import(workerData.tsxApi).then((m) => m.tsImport(workerData.entry, workerData.entry))`
  return new Worker(boot, { eval: true, workerData: { tsxApi, entry: url.href } })
}
