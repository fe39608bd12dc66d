import { matmulABt } from './products'
import type { Matrix } from './linalg'

export interface PrototypeOptions {
  /** sharpness of the assignment: logits = -lambda * squared distance */
  lambda?: number
  iterations?: number
  /** step of the prototype update (1 = plain k-means mean) */
  step?: number
  /** Sinkhorn rounds pushing every class towards an equal share of the unlabelled images */
  sinkhorn?: number
}

/**
 * Transductive class prototypes: soft k-means started from the labelled images' class means, where
 * each step assigns every unlabelled image to prototypes by distance, rebalanced so that no class
 * takes more than its share (Sinkhorn-Knopp towards equal class totals, as PT-MAP does, Hu et al.
 * 2021), and moves each prototype towards the mean of what it was given. Labelled images stay fixed.
 * Returns n x classes assignment probabilities.
 */
export function prototypeAssign(
  X: Matrix,
  labelled: { index: Int32Array; label: Int32Array },
  classes: number,
  opts: PrototypeOptions = {},
): Float32Array {
  const { rows: n, cols: d } = X
  const k = classes
  const lambda = opts.lambda ?? 10
  const iterations = opts.iterations ?? 20
  const step = opts.step ?? 0.4
  const sink = opts.sinkhorn ?? 30
  const fixed = new Int32Array(n).fill(-1)
  for (let j = 0; j < labelled.index.length; j++) fixed[labelled.index[j]!] = labelled.label[j]!
  const mu = new Float32Array(k * d)
  const count = new Float64Array(k)
  for (let j = 0; j < labelled.index.length; j++) {
    const i = labelled.index[j]!
    const c = labelled.label[j]!
    count[c] = count[c]! + 1
    for (let t = 0; t < d; t++) mu[c * d + t] = mu[c * d + t]! + X.data[i * d + t]!
  }
  for (let c = 0; c < k; c++) if (count[c]! > 0) for (let t = 0; t < d; t++) mu[c * d + t] = mu[c * d + t]! / count[c]!
  const xsq = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let t = 0; t < d; t++) s += X.data[i * d + t]! ** 2
    xsq[i] = s
  }
  const G = new Float64Array(n * k)
  const P = new Float64Array(n * k)
  const unl: number[] = []
  for (let i = 0; i < n; i++) if (fixed[i]! < 0) unl.push(i)
  const target = unl.length / k
  for (let it = 0; it <= iterations; it++) {
    matmulABt(X.data, n, mu, k, d, G)
    const musq = new Float64Array(k)
    for (let c = 0; c < k; c++) {
      let s = 0
      for (let t = 0; t < d; t++) s += mu[c * d + t]! ** 2
      musq[c] = s
    }
    for (let i = 0; i < n; i++) {
      const f = fixed[i]!
      let m = -Infinity
      for (let c = 0; c < k; c++) {
        const z = -lambda * (xsq[i]! - 2 * G[i * k + c]! + musq[c]!)
        P[i * k + c] = z
        if (z > m) m = z
      }
      let s = 0
      for (let c = 0; c < k; c++) {
        const e = f >= 0 ? (c === f ? 1 : 0) : Math.exp(P[i * k + c]! - m)
        P[i * k + c] = e
        s += e
      }
      for (let c = 0; c < k; c++) P[i * k + c] = P[i * k + c]! / s
    }
    // Sinkhorn on the unlabelled rows: columns towards `target`, rows back to 1
    for (let r = 0; r < sink; r++) {
      const col = new Float64Array(k)
      for (const i of unl) for (let c = 0; c < k; c++) col[c] = col[c]! + P[i * k + c]!
      for (const i of unl) {
        let s = 0
        for (let c = 0; c < k; c++) {
          const v = P[i * k + c]! * (col[c]! > 0 ? target / col[c]! : 1)
          P[i * k + c] = v
          s += v
        }
        for (let c = 0; c < k; c++) P[i * k + c] = P[i * k + c]! / s
      }
    }
    if (it === iterations) break
    // prototype update towards the soft means
    const sum = new Float64Array(k * d)
    const w = new Float64Array(k)
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        const p = P[i * k + c]!
        if (p < 1e-6) continue
        w[c] = w[c]! + p
        for (let t = 0; t < d; t++) sum[c * d + t] = sum[c * d + t]! + p * X.data[i * d + t]!
      }
    for (let c = 0; c < k; c++) if (w[c]! > 0) for (let t = 0; t < d; t++) mu[c * d + t] = mu[c * d + t]! + step * (sum[c * d + t]! / w[c]! - mu[c * d + t]!)
  }
  return Float32Array.from(P)
}
