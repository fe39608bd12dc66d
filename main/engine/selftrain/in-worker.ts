/**
 * Runs a round in a worker thread so training never blocks the caller's event loop. Cancelling
 * terminates the worker: the result is delivered whole or not at all. Progress arrives within each
 * stage (worker.ts throttles it to one message per `progressMs`, ROUND_PROGRESS_MS by default).
 */
import type { RoundInput, RoundSettings, RoundStageName } from './round'
import { runWorkerJob } from '../worker'
import type { WorkerRoundResult } from './worker'

export function runRoundInWorker(
  input: RoundInput,
  settings: Partial<RoundSettings> = {},
  signal?: AbortSignal,
  onProgress?: (stage: RoundStageName, done: number, total: number) => void,
  progressMs?: number,
): Promise<WorkerRoundResult> {
  return runWorkerJob<WorkerRoundResult>('worker', import.meta.url, { type: 'round', input, settings, ...(progressMs !== undefined ? { progressMs } : {}) }, {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress: (stage, done, total) => onProgress(stage as RoundStageName, done, total) } : {}),
  })
}
