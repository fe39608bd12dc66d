/**
 * A 2-D layout of a kNN graph the way UMAP makes one (McInnes, Healy and Melville 2018): each
 * point's neighbour distances become fuzzy memberships (its own bandwidth, so dense and sparse
 * regions count alike), the two directions of each edge are joined by fuzzy union, and stochastic
 * gradient descent pulls edges together while a few random points per edge push apart. Cost is
 * edges x epochs, never n^2, and the result is repeatable from the seed.
 */
import type { KnnGraph } from '../math/knn'
import { rng } from '../math/linalg'

/** A symmetric weighted graph as an edge list, both directions of every edge present. */
export interface FuzzyGraph {
  n: number
  head: Int32Array
  tail: Int32Array
  weight: Float32Array
}

/** Cosine similarity of unit vectors to Euclidean distance. */
const distance = (sim: number) => Math.sqrt(Math.max(0, 2 - 2 * sim))

/**
 * Memberships from a kNN graph (rows L2-normalised, similarities cosine): w_ij = exp(-(d_ij - rho_i)
 * / sigma_i), rho_i the distance to i's nearest neighbour, sigma_i set so that i's memberships sum
 * to log2(k); then w = a + b - ab for the two directions.
 */
export function fuzzyGraph(knn: KnnGraph): FuzzyGraph {
  const { n, k } = knn
  const target = Math.log2(Math.max(2, k))
  const directed = new Map<number, number>()
  const dist = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    let m = 0
    for (let t = 0; t < k; t++) {
      if (knn.index[i * k + t]! < 0) break
      dist[m++] = distance(knn.sim[i * k + t]!)
    }
    if (m === 0) continue
    let rho = 0
    for (let t = 0; t < m; t++)
      if (dist[t]! > 0) {
        rho = dist[t]!
        break
      }
    let lo = 0
    let hi = Infinity
    let sigma = 1
    for (let iter = 0; iter < 64; iter++) {
      let s = 0
      for (let t = 0; t < m; t++) {
        const e = dist[t]! - rho
        s += e > 0 ? Math.exp(-e / sigma) : 1
      }
      if (Math.abs(s - target) < 1e-5) break
      if (s > target) {
        hi = sigma
        sigma = (lo + hi) / 2
      } else {
        lo = sigma
        sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2
      }
    }
    let meanDist = 0
    for (let t = 0; t < m; t++) meanDist += dist[t]!
    sigma = Math.max(sigma, 1e-3 * (meanDist / m))
    for (let t = 0; t < m; t++) {
      const j = knn.index[i * k + t]!
      const e = dist[t]! - rho
      directed.set(i * n + j, e > 0 ? Math.exp(-e / sigma) : 1)
    }
  }
  const head: number[] = []
  const tail: number[] = []
  const weight: number[] = []
  for (const [key, w] of directed) {
    const i = Math.floor(key / n)
    const j = key - i * n
    const back = directed.get(j * n + i)
    // Each unordered pair once from here, then both directions below.
    if (back !== undefined && j < i) continue
    const u = back === undefined ? w : w + back - w * back
    head.push(i, j)
    tail.push(j, i)
    weight.push(u, u)
  }
  return { n, head: Int32Array.from(head), tail: Int32Array.from(tail), weight: Float32Array.from(weight) }
}

export interface LayoutOptions {
  epochs: number
  /** Random points pushed away per attracted edge. */
  negativeRate: number
  /**
   * Curve of the low-dimensional similarity 1 / (1 + a d^2b). UMAP fits a = 1.577, b = 0.895 for
   * min_dist 0.1; b = 1 with a refitted (1.558) draws nearly the same curve and saves the two
   * Math.pow calls per sample that otherwise take half of the layout's time.
   */
  a: number
  b: number
  seed: number
}

export const LAYOUT_DEFAULTS: LayoutOptions = { epochs: 300, negativeRate: 5, a: 1.558, b: 1, seed: 1 }

const clip = (v: number) => (v > 4 ? 4 : v < -4 ? -4 : v)

/**
 * Optimises `init` (n x 2, changed in place and returned) for the graph. `onEpoch` is called after
 * each epoch; a throw from it (a cancel) stops the layout.
 */
export function layoutGraph(g: FuzzyGraph, init: Float32Array, opts: Partial<LayoutOptions> = {}, onEpoch?: (epoch: number, epochs: number) => void): Float32Array {
  const { epochs, negativeRate, a, b, seed } = { ...LAYOUT_DEFAULTS, ...opts }
  const Y = init
  const n = g.n
  const m = g.head.length
  let maxW = 0
  for (let e = 0; e < m; e++) maxW = Math.max(maxW, g.weight[e]!)
  // An edge is sampled in proportion to its weight: every maxW/w epochs.
  const perSample = new Float64Array(m)
  const nextSample = new Float64Array(m)
  const perNegative = new Float64Array(m)
  const nextNegative = new Float64Array(m)
  for (let e = 0; e < m; e++) {
    const w = g.weight[e]!
    perSample[e] = w > maxW / epochs ? maxW / w : -1
    nextSample[e] = perSample[e]!
    perNegative[e] = perSample[e]! / negativeRate
    nextNegative[e] = perNegative[e]!
  }
  const rand = rng(seed)
  for (let epoch = 0; epoch < epochs; epoch++) {
    const alpha = 1 - epoch / epochs
    for (let e = 0; e < m; e++) {
      if (perSample[e]! < 0 || nextSample[e]! > epoch) continue
      const i = g.head[e]!
      const j = g.tail[e]!
      let dx = Y[2 * i]! - Y[2 * j]!
      let dy = Y[2 * i + 1]! - Y[2 * j + 1]!
      let d2 = dx * dx + dy * dy
      if (d2 > 0) {
        const pb = b === 1 ? d2 : Math.pow(d2, b)
        const coeff = (-2 * a * b * pb) / d2 / (a * pb + 1)
        const gx = clip(coeff * dx) * alpha
        const gy = clip(coeff * dy) * alpha
        Y[2 * i] = Y[2 * i]! + gx
        Y[2 * i + 1] = Y[2 * i + 1]! + gy
        Y[2 * j] = Y[2 * j]! - gx
        Y[2 * j + 1] = Y[2 * j + 1]! - gy
      }
      nextSample[e] = nextSample[e]! + perSample[e]!
      const negatives = Math.floor((epoch - nextNegative[e]!) / perNegative[e]!)
      for (let s = 0; s < negatives; s++) {
        const k = Math.floor(rand() * n)
        if (k === i) continue
        dx = Y[2 * i]! - Y[2 * k]!
        dy = Y[2 * i + 1]! - Y[2 * k + 1]!
        d2 = dx * dx + dy * dy
        // Coincident points have no direction to part along (the init's jitter avoids them).
        if (d2 === 0) continue
        const coeff = (2 * b) / ((0.001 + d2) * (a * (b === 1 ? d2 : Math.pow(d2, b)) + 1))
        Y[2 * i] = Y[2 * i]! + clip(coeff * dx) * alpha
        Y[2 * i + 1] = Y[2 * i + 1]! + clip(coeff * dy) * alpha
      }
      nextNegative[e] = nextNegative[e]! + Math.max(0, negatives) * perNegative[e]!
    }
    onEpoch?.(epoch + 1, epochs)
  }
  return Y
}
