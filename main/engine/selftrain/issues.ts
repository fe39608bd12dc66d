/**
 * Label issues among human labels by confident learning (Northcutt et al. 2021), on out-of-sample
 * probabilities (kfold.ts): a label is suspect when the head, not having seen it, is confident of
 * another class beyond that class's own typical confidence, and not confident of the given one.
 */

export interface LabelIssue {
  /** position in the inputs */
  row: number
  given: number
  suggested: number
  /** normalised margin p(given) - p(suggested): the more negative, the more suspect */
  margin: number
}

/**
 * Per-class threshold t_c = mean p_c over rows labelled c. Row i (label y) is an issue when some
 * class j != y has p_j >= t_j and p_y < t_y; suggested = the most probable such j.
 * Ranked most suspect first.
 */
export function findLabelIssues(labels: Int32Array, proba: ArrayLike<number>, k: number): LabelIssue[] {
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
  return issues.sort((a, b) => a.margin - b.margin || a.row - b.row)
}
