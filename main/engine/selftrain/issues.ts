/**
 * Label issues among human labels, on out-of-sample probabilities (kfold.ts): each label is judged
 * by a head that never saw it. Two rules (LABEL_ISSUE_RULES), both ranked by the same margin:
 * - 'confident': confident learning (Northcutt et al. 2021): the head is confident of another class
 *   beyond that class's own typical confidence, and below the given class's typical confidence.
 * - 'offclass' (the default): the head's probability of the given class looks like what it gives
 *   that class on images labelled otherwise, not like what it gives it on images labelled with it.
 *   Measured (the eval's label_issues: 10% of 25 seeds per class flipped, 5 trials): on
 *   fashion-mnist-small 'confident' flags twice the flips (precision 0.35, recall 0.74), as the
 *   small teacher confuses shirts, T-shirts and pullovers, and those natural confusions keep a fair
 *   probability of their given class; a flip to a random class has next to none. 'offclass':
 *   0.74 / 0.83 there, 0.92 / 0.72 on hymenoptera (confident learning 0.97 / 0.72).
 */

export interface LabelIssue {
  /** position in the inputs */
  row: number
  given: number
  suggested: number
  /** normalised margin p(given) - p(suggested): the more negative, the more suspect */
  margin: number
}

export const LABEL_ISSUE_RULES = ['offclass', 'confident'] as const
export type LabelIssueRule = (typeof LABEL_ISSUE_RULES)[number]

export interface LabelIssueOptions {
  rule: LabelIssueRule
  /**
   * 'offclass': where between the two typical log-probabilities of the given class the line lies,
   * as the in-class one's share (0.5: their middle; lower: nearer the off-class one, fewer flags).
   * Measured on fashion-mnist-small (the eval): 0.3 gives precision 0.74, recall 0.83; 0.4 lets
   * precision fall to 0.66 (recall 0.85).
   */
  inClassShare: number
}

export const DEFAULT_LABEL_ISSUE_OPTIONS: LabelIssueOptions = { rule: 'offclass', inClassShare: 0.3 }

/** Ranked most suspect first (most negative margin). */
export function findLabelIssues(labels: Int32Array, proba: ArrayLike<number>, k: number, options: Partial<LabelIssueOptions> = {}): LabelIssue[] {
  const o = { ...DEFAULT_LABEL_ISSUE_OPTIONS, ...options }
  const issues = o.rule === 'confident' ? confidentIssues(labels, proba, k) : offClassIssues(labels, proba, k, o.inClassShare)
  return issues.sort((a, b) => a.margin - b.margin || a.row - b.row)
}

/**
 * Per-class threshold t_c = mean p_c over rows labelled c. Row i (label y) is an issue when some
 * class j != y has p_j >= t_j and p_y < t_y; suggested = the most probable such j.
 */
function confidentIssues(labels: Int32Array, proba: ArrayLike<number>, k: number): LabelIssue[] {
  const n = labels.length
  const sum = new Float64Array(k)
  const cnt = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    const y = labels[i]!
    sum[y] = sum[y]! + proba[i * k + y]!
    cnt[y] = cnt[y]! + 1
  }
  const t = Float64Array.from(sum, (s, c) => (cnt[c]! > 0 ? s / cnt[c]! : 1))
  const issues: LabelIssue[] = []
  for (let i = 0; i < n; i++) {
    const y = labels[i]!
    if (proba[i * k + y]! >= t[y]!) continue
    let best = -1
    for (let j = 0; j < k; j++) {
      if (j === y || proba[i * k + j]! < t[j]!) continue
      if (best < 0 || proba[i * k + j]! > proba[i * k + best]!) best = j
    }
    if (best < 0) continue
    issues.push({ row: i, given: y, suggested: best, margin: proba[i * k + y]! - proba[i * k + best]! })
  }
  return issues
}

/** Probabilities this small count as this (the log of an exact 0 would swamp the means). */
const FLOOR = 1e-6

/**
 * Per class c: `inside` = mean log p_c over rows labelled c, `outside` = over rows labelled
 * otherwise. Row i (label y) is an issue when the head prefers another class (suggested: its most
 * probable) and log p_y < share * inside_y + (1 - share) * outside_y.
 */
function offClassIssues(labels: Int32Array, proba: ArrayLike<number>, k: number, share: number): LabelIssue[] {
  const n = labels.length
  const inSum = new Float64Array(k)
  const inCnt = new Float64Array(k)
  const outSum = new Float64Array(k)
  const outCnt = new Float64Array(k)
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      const v = Math.log(Math.max(FLOOR, proba[i * k + c]!))
      if (labels[i] === c) {
        inSum[c] = inSum[c]! + v
        inCnt[c] = inCnt[c]! + 1
      } else {
        outSum[c] = outSum[c]! + v
        outCnt[c] = outCnt[c]! + 1
      }
    }
  const issues: LabelIssue[] = []
  for (let i = 0; i < n; i++) {
    const y = labels[i]!
    let best = 0
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c
    // a class no other row is labelled with has no off-class mean: nothing to compare with
    if (best === y || outCnt[y] === 0) continue
    const line = (share * inSum[y]!) / inCnt[y]! + ((1 - share) * outSum[y]!) / outCnt[y]!
    if (Math.log(Math.max(FLOOR, proba[i * k + y]!)) >= line) continue
    issues.push({ row: i, given: y, suggested: best, margin: proba[i * k + y]! - proba[i * k + best]! })
  }
  return issues
}
