import { top, toSelection, type Selection, type SelectionInput, type SelectionStrategy } from './types'

/** Every candidate whose top probability reaches a fixed threshold (scikit-learn's SelfTrainingClassifier). */
export class GlobalThreshold implements SelectionStrategy {
  readonly name = 'threshold'
  readonly needsGraph = false
  constructor(readonly threshold = 0.9) {}

  select({ proba, classes, candidates }: SelectionInput): Selection {
    const items: { i: number; c: number; p: number }[] = []
    for (const i of candidates) {
      const t = top(proba, i, classes)
      if (t.conf >= this.threshold) items.push({ i, c: t.label, p: t.conf })
    }
    return toSelection(items)
  }
}
