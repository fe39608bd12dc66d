/**
 * Worker-thread entry: runs one round off the main event loop. Messages:
 *   in:  { type: 'round', input: RoundInput, settings: Partial<RoundSettings>, progressMs?: number }
 *   out: { type: 'progress', stage, done, total } any number of times (throttled), then
 *        { type: 'done', result: WorkerRoundResult } | { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads'
import { runRound, type RoundInput, type RoundProgress, type RoundResult, type RoundSettings } from './round'
import { LogisticHead } from './logistic'
import { MlpHead } from './mlp'
import type { Head, HeadWeights } from './head'
import type { WorkerJobMessage } from '../worker'

/** A round result as it crosses a thread: the fitted head travels as its weights. */
export type WorkerRoundResult = Omit<RoundResult, 'head'> & {
  headWeights?: HeadWeights
}

/** The weights of a trained head; undefined for one that has none of its own (zero-shot). */
export function headWeights(head: Head): HeadWeights | undefined {
  if (head instanceof LogisticHead) return { kind: 'logistic', W: head.W, b: head.b, dim: head.dim, classes: head.classes }
  if (head instanceof MlpHead) return { kind: 'mlp', W1: head.W1, b1: head.b1, W2: head.W2, b2: head.b2, dim: head.dim, hidden: head.hidden, classes: head.classes }
  return undefined
}

/** At most one progress message per this many milliseconds within a stage, besides its first and last. */
export const ROUND_PROGRESS_MS = 100

/**
 * Passes the round's progress on to `post`, throttled: a stage's first report (its start) and its
 * first done = total (its end) always, others at most once per `intervalMs`, nothing after its end. The fits report every
 * iteration; posting each would cost more than the iteration.
 */
export function throttledProgress(post: RoundProgress, intervalMs: number, now: () => number = Date.now): RoundProgress {
  let stage = ''
  let last = -Infinity
  let ended = false
  return (s, done, total) => {
    const t = now()
    if (s === stage && (ended || (done < total && t - last < intervalMs))) return
    stage = s
    last = t
    ended = done >= total
    post(s, done, total)
  }
}

parentPort?.on('message', (m: { type: 'round'; input: RoundInput; settings: Partial<RoundSettings>; progressMs?: number }) => {
  if (m.type !== 'round') return
  const post = (msg: WorkerJobMessage<WorkerRoundResult>) => parentPort?.postMessage(msg)
  const progress = throttledProgress((stage, done, total) => post({ type: 'progress', stage, done, total }), m.progressMs ?? ROUND_PROGRESS_MS)
  runRound(m.input, m.settings, undefined, progress).then(
    (r) => {
      const { head, ...rest } = r
      const out: WorkerRoundResult = rest
      const weights = headWeights(head)
      if (weights) out.headWeights = weights
      post({ type: 'done', result: out })
    },
    (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  )
})
