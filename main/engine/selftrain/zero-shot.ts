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

/** How strongly the head is held to the prior: the penalty's weight per class, and its centre. */
export interface HeadPrior {
  /** k x d: W_c is pulled toward M_c = logitScale * t_c. */
  M: Float32Array
  /** k weights; 1 is the plain head's L2 strength. */
  strength: Float64Array
}

/**
 * The prior's weight for a class with n labels: 1 + lambda0 / (1 + n / 4). It halves its extra pull
 * at four labels, the number of labels per class published results credit a text prior with
 * (CLIP's zero-shot matches a 4-shot linear probe, Radford et al. 2021), and tends to the plain
 * L2 strength (1, now centred on the text direction instead of zero) as labels grow; the data term
 * grows with n meanwhile, so the labels take over.
 */
export function priorStrength(labels: number, lambda0: number): number {
  return 1 + lambda0 / (1 + labels / 4)
}

/** The head prior for class label counts `counts`. */
export function headPrior(text: ClassText, counts: ArrayLike<number>, lambda0: number): HeadPrior {
  const { T, logitScale } = text
  const M = new Float32Array(T.rows * T.cols)
  for (let i = 0; i < M.length; i++) M[i] = logitScale * T.data[i]!
  return { M, strength: Float64Array.from({ length: T.rows }, (_, c) => priorStrength(counts[c] ?? 0, lambda0)) }
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
