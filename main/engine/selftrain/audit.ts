/**
 * Audit: a stratified random sample of pseudo-labels per class for a person to check, and a
 * precision estimate per class with a Wilson score interval (Wilson 1927), which stays inside
 * [0, 1] and behaves at small samples and at 0 or 100 % where the normal interval does not.
 */
import { rng, shuffle } from '../math/linalg'

/** Wilson score interval for `successes` of `trials` at normal quantile z (1.96: 95 %). */
export function wilson(successes: number, trials: number, z = 1.959963984540054): { estimate: number; low: number; high: number } {
  if (trials <= 0) return { estimate: NaN, low: 0, high: 1 }
  const p = successes / trials
  const z2 = z * z
  const denom = 1 + z2 / trials
  const centre = (p + z2 / (2 * trials)) / denom
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}

/**
 * Up to `perClass` pseudo-labelled items of each class, drawn uniformly at random (seeded), so
 * each class's precision is estimated from its own sample. Returns positions into the inputs.
 */
export function auditSample(labels: Int32Array, classes: number, perClass: number, seed = 0): Int32Array {
  const rand = rng(seed + 31)
  const by: number[][] = Array.from({ length: classes }, () => [])
  for (let j = 0; j < labels.length; j++) by[labels[j]!]!.push(j)
  const out: number[] = []
  for (const list of by) {
    shuffle(list, rand)
    out.push(...list.slice(0, perClass).sort((a, b) => a - b))
  }
  return Int32Array.from(out)
}

/** Two raters' agreement on the items both judged: how many, how many alike, and Cohen's kappa. */
export interface Agreement {
  shared: number
  agreed: number
  /** (p_o - p_e) / (1 - p_e); null when chance agreement is already certain (both used one and the same category throughout) or nothing is shared. */
  kappa: number | null
}

/**
 * Cohen's kappa (Cohen 1960) for two raters' categories of the same items, `a[i]` and `b[i]` of
 * item i: the observed agreement p_o corrected for the agreement p_e that raters with the same
 * category frequencies would reach by chance, p_e = sum over categories of p_a(k) p_b(k).
 * 1 is perfect agreement, 0 what chance gives, below 0 worse than chance.
 */
export function cohenKappa<T>(a: readonly T[], b: readonly T[]): Agreement {
  if (a.length !== b.length) throw new Error(`cohenKappa: ${a.length} and ${b.length} ratings; each item needs one from each rater`)
  const n = a.length
  const countA = new Map<T, number>()
  const countB = new Map<T, number>()
  let agreed = 0
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) agreed++
    countA.set(a[i]!, (countA.get(a[i]!) ?? 0) + 1)
    countB.set(b[i]!, (countB.get(b[i]!) ?? 0) + 1)
  }
  if (n === 0) return { shared: 0, agreed: 0, kappa: null }
  let chance = 0
  for (const [k, na] of countA) chance += (na / n) * ((countB.get(k) ?? 0) / n)
  const observed = agreed / n
  return { shared: n, agreed, kappa: chance >= 1 ? null : (observed - chance) / (1 - chance) }
}

export interface AuditDecision {
  /** the pseudo-label shown */
  label: number
  /** the person's verdict: right, or wrong (rejected or relabelled) */
  correct: boolean
}

export interface ClassPrecision {
  checked: number
  correct: number
  estimate: number
  low: number
  high: number
}

/** Per-class precision with Wilson 95 % intervals from audit decisions. */
export function auditPrecision(decisions: AuditDecision[], classes: number): ClassPrecision[] {
  const checked = new Array<number>(classes).fill(0)
  const correct = new Array<number>(classes).fill(0)
  for (const d of decisions) {
    checked[d.label] = checked[d.label]! + 1
    if (d.correct) correct[d.label] = correct[d.label]! + 1
  }
  return checked.map((n, c) => ({ checked: n, correct: correct[c]!, ...wilson(correct[c]!, n) }))
}
