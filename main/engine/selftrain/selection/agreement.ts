import { balancedQuota, pickBalanced } from './balanced'
import { top, type Selection, type SelectionInput, type SelectionStrategy } from './types'

/**
 * Two views must agree (de Sa 1993; co-training): the head on the embeddings and label propagation
 * over the kNN graph. A candidate is eligible only when both give it the same class; its confidence
 * is the mean of the two views' probabilities for that class, and the class-balanced schedule picks
 * the most confident eligible candidates per class.
 */
export class Agreement implements SelectionStrategy {
  readonly name = 'agreement'
  readonly needsGraph = true
  constructor(readonly share = 1) {}

  select(input: SelectionInput): Selection {
    const g = input.graphProba
    if (!g) throw new Error('agreement: the round did not build the kNN graph view')
    const k = input.classes
    const quota = balancedQuota(input, this.share)
    return pickBalanced(input, quota, (i) => {
      const h = top(input.proba, i, k)
      const p = top(g, i, k)
      if (h.label !== p.label) return null
      return { label: h.label, conf: (input.proba[i * k + h.label]! + g[i * k + h.label]!) / 2 }
    })
  }
}
