/**
 * Worker-thread entry: finds label issues (label-issues.ts) off the caller's event loop.
 *   in:  { type: 'issues', X, labels, k, options, progressMs? }
 *   out: { type: 'progress', stage: 'cross-validating', done, total } (throttled), then
 *        { type: 'done', result: LabelIssues } | { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads'
import type { Matrix } from '../math/linalg'
import { labelIssues, type LabelIssues, type LabelIssuesOptions } from './label-issues'
import { ROUND_PROGRESS_MS, throttledProgress } from './worker'
import type { WorkerJobMessage } from '../worker'

export interface WorkerIssuesInput {
  X: Matrix
  labels: Int32Array
  k: number
  options: Omit<LabelIssuesOptions, 'signal' | 'onProgress'>
}

parentPort?.on('message', (m: { type: 'issues'; input: WorkerIssuesInput; progressMs?: number }) => {
  if (m.type !== 'issues') return
  const post = (msg: WorkerJobMessage<LabelIssues>) => parentPort?.postMessage(msg)
  const progress = throttledProgress((stage, done, total) => post({ type: 'progress', stage, done, total }), m.progressMs ?? ROUND_PROGRESS_MS)
  try {
    const { X, labels, k, options } = m.input
    post({ type: 'done', result: labelIssues(X, labels, k, { ...options, onProgress: (done, total) => progress('cross-validating', done, total) }) })
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
})
