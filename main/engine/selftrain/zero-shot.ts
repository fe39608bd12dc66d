/**
 * Classes by name, for a text-aligned teacher: the class text directions t_c (text.ts) become a
 * classifier with no label at all (zero-shot), and with labels a prior the logistic head is pulled
 * toward.
 *
 * Both live in the space of the L2-normalised image embeddings, untransformed. There the zero-shot
 * classifier of CLIP, logits = s * <x, t_c>, is exactly a logistic head with W_c = s * t_c and b = 0,
 * so the prior is that head: as its weight grows the fitted head becomes the zero-shot classifier,
 * as it falls the plain head. The studio's usual feature transform (features.ts: signed square
 * root, centring on the pool mean, normalising again) is not linear, so a text direction has no
 * exact image there; rounds with a text tower use the plain normalised embeddings instead.
 */
import { softmaxRows, type Matrix } from '../math/linalg'
import { LogisticHead } from './logistic'

/** The text side of a round: k x d class directions (unit rows) and the model's logit scale. */
export interface ClassText {
  T: Matrix
  logitScale: number
}

/**
 * How strongly the head is held to the prior: the penalty's weight per class, and its centre. The
 * biases are held to the prior's (zero) with the extra weight (strength - 1): with one label per
 * class, free biases would be fitted to those few images and undo the ranking the text gives
 * (measured on the synthetic problem of test/selftrain/text-prior.test.ts: 0.77 accuracy with free
 * biases, 0.83 with held ones, where the zero-shot classifier alone gets 0.82).
 */
export interface HeadPrior {
  /** k x d: W_c is pulled toward M_c = logitScale * t_c. */
  M: Float32Array
  /** k weights; 1 is the plain head's L2 strength. */
  strength: Float64Array
}

/**
 * The prior's weight for a class with n labels: lambda0 / (1 + n / 4) (lambda0: RoundSettings
 * textPriorStrength, 1 by default: on the synthetic problem of the test, 1 beat 3 and 10 at one,
 * four and thirty labels per class; stronger pulls cost accuracy once labels come). Its pull halves at four
 * labels, the number of labels per class published results credit a text prior with (CLIP's
 * zero-shot classifier matches a 4-shot linear probe, Radford et al. 2021), and vanishes as labels
 * grow, when the head is the plain one again.
 */
export function priorStrength(labels: number, lambda0: number): number {
  return lambda0 / (1 + labels / 4)
}

/**
 * The head prior for class label counts `counts`: the plain head's penalty |W_c|^2 plus
 * lambda_c |W_c - s t_c|^2, written as one pull (1 + lambda_c) |W_c - M_c|^2 toward
 * M_c = lambda_c / (1 + lambda_c) * s t_c (the same objective up to a constant).
 */
export function headPrior(text: ClassText, counts: ArrayLike<number>, lambda0: number): HeadPrior {
  const { T, logitScale } = text
  const d = T.cols
  const lambda = Float64Array.from({ length: T.rows }, (_, c) => priorStrength(counts[c] ?? 0, lambda0))
  const M = new Float32Array(T.rows * d)
  for (let i = 0; i < M.length; i++) {
    const l = lambda[Math.floor(i / d)]!
    M[i] = (l / (1 + l)) * logitScale * T.data[i]!
  }
  return { M, strength: lambda.map((l) => 1 + l) }
}

/** The zero-shot classifier as a fitted logistic head (W = s * T, b = 0): rounds, the student export and audits take it as any head. */
export function zeroShotHead(text: ClassText): LogisticHead {
  const { T, logitScale } = text
  const head = new LogisticHead(T.rows)
  head.W = Float32Array.from(T.data, (v) => v * logitScale)
  head.b = new Float64Array(T.rows)
  head.dim = T.cols
  return head
}

/** softmax(s * X T^T): the zero-shot class probabilities of the rows of X (unit rows). */
export function zeroShotProba(X: Matrix, text: ClassText): Float32Array {
  const Z = zeroShotHead(text).decision(X)
  softmaxRows(Z, X.rows, text.T.rows)
  return Float32Array.from(Z)
}
