/**
 * Runs a round (or finds label issues) in a worker thread so training never blocks the caller's event loop. Cancelling
 * terminates the worker: the result is delivered whole or not at all. Progress arrives within each
 * stage (worker.ts throttles it to one message per `progressMs`, ROUND_PROGRESS_MS by default).
 */
import type { RoundInput, RoundSettings, RoundStageName } from './round'
import { runWorkerJob } from '../worker'
import type { WorkerRoundResult } from './worker'
import type { WorkerIssuesInput } from './issues-worker'
import type { LabelIssues } from './label-issues'

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

/**
 * Finds label issues (label-issues.ts) in a worker thread (issues-worker.ts), reporting folds done
 * (stage 'cross-validating'). Cancelling terminates the worker.
 */
export function labelIssuesInWorker(input: WorkerIssuesInput, signal?: AbortSignal, onProgress?: (done: number, total: number) => void): Promise<LabelIssues> {
  return runWorkerJob<LabelIssues>('issues-worker', import.meta.url, { type: 'issues', input }, {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress: (_stage, done, total) => onProgress(done, total) } : {}),
  })
}
