/**
 * Which human labels look wrong: out-of-sample probabilities from k-fold heads (kfold.ts: each
 * label is judged by a head that never saw it) fed to confident learning (issues.ts). The head is
 * the rounds' own (logistic, the round's C), so "the head disagrees" means what it means in a round.
 */
import type { Matrix } from '../math/linalg'
import { findLabelIssues, type LabelIssue } from './issues'
import { crossValProba } from './kfold'
import { LogisticHead } from './logistic'
import { DEFAULT_ROUND_SETTINGS } from './round'

export interface LabelIssues {
  /** Most suspect first (see findLabelIssues); `row` indexes X and labels. */
  issues: LabelIssue[]
  /** n x k out-of-sample probabilities of every labelled row. */
  proba: Float32Array
  /** k-fold accuracy on the labels as given. */
  accuracy: number
  folds: number
}

/**
 * Label issues among `labels` (class slots 0..k-1) of the rows of X. Needs two labels of each class
 * that has any: with one, a fold would hold a class its head never saw.
 */
export function labelIssues(X: Matrix, labels: Int32Array, k: number, opts: { folds?: number; seed?: number; signal?: AbortSignal } = {}): LabelIssues {
  if (X.rows !== labels.length) throw new Error(`${X.rows} feature rows for ${labels.length} labels`)
  const perClass = new Int32Array(k)
  for (const c of labels) perClass[c] = perClass[c]! + 1
  const present = Array.from(perClass).filter((v) => v > 0)
  if (present.length < 2) throw new Error('label issues need human labels of at least two classes')
  const folds = Math.min(opts.folds ?? DEFAULT_ROUND_SETTINGS.folds, ...present)
  if (folds < 2) throw new Error('label issues need at least two human labels of each labelled class (each is judged by a head trained on the others)')
  const oos = crossValProba(() => new LogisticHead(k, { C: DEFAULT_ROUND_SETTINGS.C }), X, labels, k, {
    folds,
    seed: opts.seed ?? DEFAULT_ROUND_SETTINGS.seed,
    ...(opts.signal ? { fit: { signal: opts.signal } } : {}),
  })
  return { issues: findLabelIssues(labels, oos.proba, k), proba: oos.proba, accuracy: oos.accuracy, folds }
}
