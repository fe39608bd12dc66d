/**
 * Runs a round in a worker thread so training never blocks the caller's event loop. Cancelling
 * terminates the worker: the result is delivered whole or not at all.
 */
import type { RoundInput, RoundSettings } from './round'
import { runWorkerJob } from '../worker'
import type { WorkerRoundResult } from './worker'

export function runRoundInWorker(input: RoundInput, settings: Partial<RoundSettings> = {}, signal?: AbortSignal): Promise<WorkerRoundResult> {
  return runWorkerJob<WorkerRoundResult>('worker', import.meta.url, { type: 'round', input, settings }, { signal })
}
