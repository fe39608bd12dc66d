/** What every pseudo-label selection strategy sees and returns. */
export interface SelectionInput {
  /** n x classes head probabilities (calibrated) for every image */
  proba: Float32Array
  classes: number
  /** images that may receive a pseudo-label (not human-labelled, not accepted/rejected) */
  candidates: Int32Array
  /** n x classes scores of the second view (label propagation over the kNN graph), when built */
  graphProba?: Float32Array
  /** 1-based round number and the planned number of rounds: schedules grow with it */
  round: number
  rounds: number
}

/** Selected pseudo-labels, most confident first. */
export interface Selection {
  index: Int32Array
  label: Int32Array
  confidence: Float32Array
}

export interface SelectionStrategy {
  readonly name: string
  /** does it need `graphProba`? (then the round builds the kNN graph) */
  readonly needsGraph: boolean
  select(input: SelectionInput): Selection
}

/** argmax and its probability for row i (shared with the rest of the engine). */
export { top } from '../../math/linalg'

/** Packs (index, label, confidence) triples sorted by confidence, highest first (ties: lower index). */
export function toSelection(items: { i: number; c: number; p: number }[]): Selection {
  items.sort((a, b) => b.p - a.p || a.i - b.i)
  return {
    index: Int32Array.from(items, (t) => t.i),
    label: Int32Array.from(items, (t) => t.c),
    confidence: Float32Array.from(items, (t) => t.p),
  }
}
