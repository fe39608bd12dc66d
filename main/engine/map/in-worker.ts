/**
 * Builds the embedding map in a worker thread (map-worker.ts). Cancelling terminates the worker:
 * the map arrives whole or not at all.
 */
import { startModuleWorker } from '../worker'
import type { MapWorkerMessage, WorkerMapInput, WorkerMapResult } from './map-worker'

export function buildMapInWorker(input: WorkerMapInput, onProgress?: (stage: string, done: number, total: number) => void, signal?: AbortSignal): Promise<WorkerMapResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const worker = startModuleWorker('map-worker', import.meta.url)
    const finish = () => {
      signal?.removeEventListener('abort', onAbort)
      void worker.terminate()
    }
    const onAbort = () => {
      finish()
      reject(signal?.reason ?? new Error('cancelled'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (m: MapWorkerMessage) => {
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
    worker.postMessage({ type: 'map', input })
  })
}
