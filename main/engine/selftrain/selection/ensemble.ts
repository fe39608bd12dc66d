import { balancedQuota, pickBalanced } from './balanced'
import { top, type Selection, type SelectionInput, type SelectionStrategy } from './types'

/**
 * The two views averaged instead of required to agree: each candidate's class and confidence come
 * from the mean of the head's and label propagation's probabilities, then the class-balanced
 * schedule picks per class. Softer than `agreement` where one view is weak.
 */
export class Ensemble implements SelectionStrategy {
  readonly name = 'ensemble'
  readonly needsGraph = true
  constructor(readonly share = 1) {}

  select(input: SelectionInput): Selection {
    const g = input.graphProba
    if (!g) throw new Error('ensemble: the round did not build the kNN graph view')
    const k = input.classes
    const mean = new Float32Array(input.proba.length)
    for (let i = 0; i < mean.length; i++) mean[i] = (input.proba[i]! + g[i]!) / 2
    const quota = balancedQuota(input, this.share)
    return pickBalanced(input, quota, (i) => top(mean, i, k))
  }
}
