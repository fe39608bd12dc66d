/**
 * Which human labels look wrong: out-of-sample probabilities from k-fold heads (kfold.ts: each
 * label is judged by a head that never saw it) fed to the rules of issues.ts. The head is the
 * rounds' own (logistic, the round's C), so "the head disagrees" means what it means in a round.
 */
import type { Matrix } from '../math/linalg'
import { DEFAULT_LABEL_ISSUE_OPTIONS, findLabelIssues, type LabelIssue, type LabelIssueOptions } from './issues'
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

export interface LabelIssuesOptions extends Partial<LabelIssueOptions> {
  folds?: number
  seed?: number
  /**
   * L-BFGS iterations per fold. Each fold's head starts from the previous fold's weights (4 of 5
   * folds' rows are shared), so few are needed; measured on 250 fashion-mnist-small labels: 50
   * flag the same flips as 300 (the rounds' cap), at a fifth of the time.
   */
  maxIter?: number
  signal?: AbortSignal
  /** folds done (fractional within a fold) of the folds */
  onProgress?: (done: number, total: number) => void
}

export const LABEL_ISSUES_MAX_ITER = 50

/**
 * Label issues among `labels` (class slots 0..k-1) of the rows of X. Needs two labels of each class
 * that has any: with one, a fold would hold a class its head never saw.
 */
export function labelIssues(X: Matrix, labels: Int32Array, k: number, opts: LabelIssuesOptions = {}): LabelIssues {
  if (X.rows !== labels.length) throw new Error(`${X.rows} feature rows for ${labels.length} labels`)
  const perClass = new Int32Array(k)
  for (const c of labels) perClass[c] = perClass[c]! + 1
  const present = Array.from(perClass).filter((v) => v > 0)
  if (present.length < 2) throw new Error('label issues need human labels of at least two classes')
  const folds = Math.min(opts.folds ?? DEFAULT_ROUND_SETTINGS.folds, ...present)
  if (folds < 2) throw new Error('label issues need at least two human labels of each labelled class (each is judged by a head trained on the others)')
  // warm start: the factory is called for a fold once the previous fold's head is fitted
  let previous: LogisticHead | null = null
  const makeHead = () => {
    const head: LogisticHead = new LogisticHead(k, { C: DEFAULT_ROUND_SETTINGS.C, maxIter: opts.maxIter ?? LABEL_ISSUES_MAX_ITER, ...(previous ? { init: { W: previous.W, b: previous.b } } : {}) })
    previous = head
    return head
  }
  const oos = crossValProba(makeHead, X, labels, k, {
    folds,
    seed: opts.seed ?? DEFAULT_ROUND_SETTINGS.seed,
    ...(opts.signal ? { fit: { signal: opts.signal } } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  })
  const rule = { rule: opts.rule ?? DEFAULT_LABEL_ISSUE_OPTIONS.rule, inClassShare: opts.inClassShare ?? DEFAULT_LABEL_ISSUE_OPTIONS.inClassShare }
  return { issues: findLabelIssues(labels, oos.proba, k, rule), proba: oos.proba, accuracy: oos.accuracy, folds }
}
