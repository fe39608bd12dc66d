import { top, toSelection, type Selection, type SelectionInput, type SelectionStrategy } from './types'

/**
 * Class-balanced top-k (Noisy Student; the reference method of ../shared/baselines): in round r of
 * R, each class keeps its (r / R) * share * |candidates| / classes most confident predictions, so
 * easy classes cannot crowd out hard ones and the pseudo-labelled set grows with trust in the head.
 */
export class ClassBalancedTopK implements SelectionStrategy {
  readonly name = 'balanced'
  readonly needsGraph = false
  /** `share`: fraction of the candidates labelled by the last round */
  constructor(readonly share = 1) {}

  select(input: SelectionInput): Selection {
    return pickBalanced(input, balancedQuota(input, this.share), (i) => top(input.proba, i, input.classes))
  }
}

/** Per-class quota of the class-balanced schedule: (round / rounds) * share * |candidates| / classes. */
export function balancedQuota(input: SelectionInput, share: number): number {
  const frac = Math.min(1, input.round / Math.max(1, input.rounds))
  return Math.floor((frac * share * input.candidates.length) / input.classes)
}

/** The per-class top-`quota` of the candidates under a scoring function. */
export function pickBalanced(input: SelectionInput, quota: number, score: (i: number) => { label: number; conf: number } | null): Selection {
  const byClass: { i: number; c: number; p: number }[][] = Array.from({ length: input.classes }, () => [])
  for (const i of input.candidates) {
    const s = score(i)
    if (s) byClass[s.label]!.push({ i, c: s.label, p: s.conf })
  }
  const items: { i: number; c: number; p: number }[] = []
  for (const list of byClass) {
    list.sort((a, b) => b.p - a.p || a.i - b.i)
    items.push(...list.slice(0, quota))
  }
  return toSelection(items)
}
