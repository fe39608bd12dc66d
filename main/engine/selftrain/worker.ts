/**
 * Worker-thread entry: runs one round off the main event loop. Messages:
 *   in:  { type: 'round', input: RoundInput, settings: Partial<RoundSettings> }
 *   out: { type: 'done', result: WorkerRoundResult } | { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads'
import { runRound, type RoundInput, type RoundResult, type RoundSettings } from './round'
import { LogisticHead } from './logistic'

/** A round result as it crosses a thread: the fitted head travels as its weights. */
export type WorkerRoundResult = Omit<RoundResult, 'head'> & {
  headWeights?: { W: Float32Array; b: Float64Array; dim: number; classes: number }
}

parentPort?.on('message', (m: { type: 'round'; input: RoundInput; settings: Partial<RoundSettings> }) => {
  if (m.type !== 'round') return
  runRound(m.input, m.settings).then(
    (r) => {
      const { head, ...rest } = r
      const out: WorkerRoundResult = rest
      if (head instanceof LogisticHead) out.headWeights = { W: head.W, b: head.b, dim: head.dim, classes: head.classes }
      parentPort?.postMessage({ type: 'done', result: out })
    },
    (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  )
})
