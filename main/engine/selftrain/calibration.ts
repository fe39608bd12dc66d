/**
 * Confidence a person can trust: temperature scaling (Guo et al. 2017) fitted on held-out human
 * labels, and the expected calibration error that says how far "0.9" is from "right 9 times in 10".
 */

/** softmax(z / T) per row. */
export function softmaxWithTemperature(logits: Float64Array, n: number, k: number, T: number): Float32Array {
  const p = new Float32Array(n * k)
  for (let i = 0; i < n; i++) {
    const o = i * k
    let m = -Infinity
    for (let c = 0; c < k; c++) m = Math.max(m, logits[o + c]! / T)
    let s = 0
    for (let c = 0; c < k; c++) s += Math.exp(logits[o + c]! / T - m)
    for (let c = 0; c < k; c++) p[o + c] = Math.exp(logits[o + c]! / T - m) / s
  }
  return p
}

function nll(logits: Float64Array, labels: Int32Array, k: number, T: number): number {
  let s = 0
  for (let i = 0; i < labels.length; i++) {
    const o = i * k
    let m = -Infinity
    for (let c = 0; c < k; c++) m = Math.max(m, logits[o + c]! / T)
    let se = 0
    for (let c = 0; c < k; c++) se += Math.exp(logits[o + c]! / T - m)
    s += m + Math.log(se) - logits[o + labels[i]!]! / T
  }
  return s / Math.max(1, labels.length)
}

/**
 * The temperature T > 0 that best explains `labels` under softmax(z / T): the maximum a posteriori
 * estimate with a standard normal prior on log T (centred on the head's own probabilities, T = 1).
 * Without the prior, a handful of held-out labels that the head all gets right (common with a few
 * seed labels) drives T to its lower bound and every proposal to "100%"; with hundreds of labels the
 * prior weighs as one label among them. Unimodal in log T: golden-section search over [0.05, 20].
 */
export function fitTemperature(logits: Float64Array, labels: Int32Array, k: number): number {
  const n = labels.length
  if (n === 0) return 1
  const objective = (logT: number) => nll(logits, labels, k, Math.exp(logT)) + (logT * logT) / (2 * n)
  let lo = Math.log(0.05)
  let hi = Math.log(20)
  const g = (Math.sqrt(5) - 1) / 2
  let x1 = hi - g * (hi - lo)
  let x2 = lo + g * (hi - lo)
  let f1 = objective(x1)
  let f2 = objective(x2)
  for (let it = 0; it < 60; it++) {
    if (f1 < f2) {
      hi = x2
      x2 = x1
      f2 = f1
      x1 = hi - g * (hi - lo)
      f1 = objective(x1)
    } else {
      lo = x1
      x1 = x2
      f1 = f2
      x2 = lo + g * (hi - lo)
      f2 = objective(x2)
    }
  }
  return Math.exp((lo + hi) / 2)
}

/**
 * Expected calibration error: the confidence of each prediction (its max probability) is binned
 * into `bins` equal-width bins; ECE = sum over bins of (share of items) * |accuracy - mean confidence|.
 */
export function expectedCalibrationError(proba: ArrayLike<number>, labels: Int32Array, k: number, bins = 15): number {
  const n = labels.length
  if (n === 0) return 0
  const count = new Float64Array(bins)
  const conf = new Float64Array(bins)
  const right = new Float64Array(bins)
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c
    const p = proba[i * k + best]!
    const b = Math.min(bins - 1, Math.floor(p * bins))
    count[b] = count[b]! + 1
    conf[b] = conf[b]! + p
    if (best === labels[i]) right[b] = right[b]! + 1
  }
  let ece = 0
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(right[b]! - conf[b]!) / n
  return ece
}
