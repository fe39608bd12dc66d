/**
 * Class-prior debiasing of pseudo-labels (DebiasPL, Wang et al. 2022, arXiv 2201.01490): a head
 * trained on a few labels favours the classes that are easy for it, even on a balanced pool, and
 * self-training feeds that bias back. The running estimate of the bias is p_hat, the mean predicted
 * probability over the unlabelled pool, averaged over rounds (an exponential moving average); the
 * proposals come from the adjusted logits z - tau * log(p_hat), which take mass from the classes
 * the head over-predicts and give it to those it under-predicts (logit adjustment, Menon et al.
 * 2021). With tau = 1 it is ReMixMatch's distribution alignment toward a uniform target.
 */

/** Below this no class's share is taken as real: log(0) would send the adjustment to infinity. */
const MIN_SHARE = 1e-4

/**
 * The class prior after this round: the mean of `proba` over `rows` (the unlabelled images),
 * blended with last round's as previous * momentum + mean * (1 - momentum). With no previous
 * (the first round) or one of another class count (classes added), the mean alone.
 */
export function updateClassPrior(proba: Float32Array, classes: number, rows: Int32Array, previous: Float64Array | undefined, momentum: number): Float64Array {
  const mean = new Float64Array(classes)
  for (const i of rows) for (let c = 0; c < classes; c++) mean[c] = mean[c]! + proba[i * classes + c]!
  const m = Math.max(1, rows.length)
  for (let c = 0; c < classes; c++) mean[c] = rows.length > 0 ? mean[c]! / m : 1 / classes
  if (!previous || previous.length !== classes) return mean
  return Float64Array.from(mean, (v, c) => momentum * previous[c]! + (1 - momentum) * v)
}

/**
 * Probabilities whose logits are moved by -tau * log(prior): softmax(log p - tau log prior),
 * row by row. `prior` need not sum to one (a constant shift does not change a softmax).
 */
export function debiasProba(proba: Float32Array, classes: number, prior: Float64Array, tau: number): Float32Array {
  const n = proba.length / classes
  const shift = Float64Array.from(prior, (p) => tau * Math.log(Math.max(MIN_SHARE, p)))
  const out = new Float32Array(proba.length)
  const z = new Float64Array(classes)
  for (let i = 0; i < n; i++) {
    const o = i * classes
    let max = -Infinity
    for (let c = 0; c < classes; c++) {
      z[c] = Math.log(Math.max(1e-12, proba[o + c]!)) - shift[c]!
      max = Math.max(max, z[c]!)
    }
    let s = 0
    for (let c = 0; c < classes; c++) s += (z[c] = Math.exp(z[c]! - max))
    for (let c = 0; c < classes; c++) out[o + c] = z[c]! / s
  }
  return out
}
