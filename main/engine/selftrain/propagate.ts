/** Label propagation: how the seed labels spread over the kNN graph of the pool. */
import type { KnnGraph } from '../math/knn'

export interface PropagationOptions {
  /** weight of the graph against the seeds (Zhou et al. 2004) */
  alpha?: number
  /** edge weight = max(sim, 0)^gamma (Iscen et al. 2019) */
  gamma?: number
  iterations?: number
  /** iterations done of the iterations */
  onProgress?: (done: number, total: number) => void
}

/**
 * Label propagation over the symmetric kNN graph: F = (1 - alpha) (I - alpha S)^-1 Y with
 * S = D^-1/2 W D^-1/2, by fixed-point iteration. Seeds are weighted 1 / (seeds of their class)
 * so a class with more labels does not flood the graph. Returns n x classes row-normalised scores.
 */
export function propagateLabels(
  graph: KnnGraph,
  seeds: { index: Int32Array; label: Int32Array; weight?: Float32Array },
  classes: number,
  opts: PropagationOptions = {},
): Float32Array {
  const Y = new Float64Array(graph.n * classes)
  const perClass = new Float64Array(classes)
  for (let s = 0; s < seeds.index.length; s++) perClass[seeds.label[s]!] = perClass[seeds.label[s]!]! + (seeds.weight?.[s] ?? 1)
  for (let s = 0; s < seeds.index.length; s++) {
    const c = seeds.label[s]!
    const at = seeds.index[s]! * classes + c
    Y[at] = Y[at]! + (seeds.weight?.[s] ?? 1) / perClass[c]!
  }
  return propagate(graph, Y, classes, opts)
}

/**
 * The propagation itself, from any n x classes starting scores Y (one-hot seeds, or soft scores
 * such as a head's probabilities for transductive smoothing): F = (1 - alpha) (I - alpha S)^-1 Y.
 * Returns F row-normalised (negative parts dropped; a row with nothing reached is uniform).
 */
export function propagate(graph: KnnGraph, Y: Float64Array, classes: number, opts: PropagationOptions = {}): Float32Array {
  const { n, k } = graph
  const alpha = opts.alpha ?? 0.99
  const gamma = opts.gamma ?? 3
  const iterations = opts.iterations ?? 30
  // symmetric weights as adjacency lists (W + W^T)
  const deg = new Float64Array(n)
  const w = new Float64Array(n * k)
  for (let i = 0; i < n * k; i++) {
    const s = Math.max(0, graph.sim[i]!)
    w[i] = Math.pow(s, gamma)
  }
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) {
      const j = graph.index[i * k + t]!
      if (j < 0) continue
      deg[i] = deg[i]! + w[i * k + t]!
      deg[j] = deg[j]! + w[i * k + t]!
    }
  const dinv = Float64Array.from(deg, (v) => (v > 0 ? 1 / Math.sqrt(v) : 0))
  let F = Float64Array.from(Y)
  let next = new Float64Array(n * classes)
  for (let it = 0; it < iterations; it++) {
    next.fill(0)
    for (let i = 0; i < n; i++)
      for (let t = 0; t < k; t++) {
        const j = graph.index[i * k + t]!
        if (j < 0) continue
        const e = w[i * k + t]! * dinv[i]! * dinv[j]!
        const oi = i * classes
        const oj = j * classes
        for (let c = 0; c < classes; c++) {
          next[oi + c] = next[oi + c]! + e * F[oj + c]!
          next[oj + c] = next[oj + c]! + e * F[oi + c]!
        }
      }
    for (let i = 0; i < n * classes; i++) next[i] = alpha * next[i]! + (1 - alpha) * Y[i]!
    const t = F
    F = next
    next = t
    opts.onProgress?.(it + 1, iterations)
  }
  const P = new Float32Array(n * classes)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let c = 0; c < classes; c++) s += Math.max(0, F[i * classes + c]!)
    for (let c = 0; c < classes; c++) P[i * classes + c] = s > 0 ? Math.max(0, F[i * classes + c]!) / s : 1 / classes
  }
  return P
}
