/**
 * Runs a round in a worker thread so training never blocks the caller's event loop. Cancelling
 * terminates the worker: the result is delivered whole or not at all.
 */
import type { RoundInput, RoundSettings } from './round'
import { startModuleWorker } from '../worker'
import type { WorkerRoundResult } from './worker'

export function runRoundInWorker(input: RoundInput, settings: Partial<RoundSettings> = {}, signal?: AbortSignal): Promise<WorkerRoundResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const worker = startModuleWorker('worker', import.meta.url)
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
