import { top, toSelection, type Selection, type SelectionInput, type SelectionStrategy } from './types'

/**
 * Self-adaptive per-class thresholds in the style of FreeMatch (Wang et al. 2023): the global
 * threshold is the mean top confidence over the candidates (the model's own confidence level), and
 * each class's threshold is scaled by how much probability mass the class receives, so a class the
 * head is still unsure of (low mass) gets a lower bar instead of never being pseudo-labelled.
 */
export class AdaptiveThreshold implements SelectionStrategy {
  readonly name = 'adaptive'
  readonly needsGraph = false
  /** `floor`: no threshold goes below this */
  constructor(readonly floor = 0) {}

  thresholds({ proba, classes, candidates }: SelectionInput): Float64Array {
    const mass = new Float64Array(classes)
    let global = 0
    for (const i of candidates) {
      global += top(proba, i, classes).conf
      for (let c = 0; c < classes; c++) mass[c] = mass[c]! + proba[i * classes + c]!
    }
    const m = Math.max(1, candidates.length)
    global /= m
    let maxMass = 0
    for (let c = 0; c < classes; c++) maxMass = Math.max(maxMass, mass[c]!)
    return Float64Array.from(mass, (v) => Math.max(this.floor, maxMass > 0 ? (global * v) / maxMass : global))
  }

  select(input: SelectionInput): Selection {
    const tau = this.thresholds(input)
    const items: { i: number; c: number; p: number }[] = []
    for (const i of input.candidates) {
      const t = top(input.proba, i, input.classes)
      if (t.conf >= tau[t.label]!) items.push({ i, c: t.label, p: t.conf })
    }
    return toSelection(items)
  }
}
