/**
 * Clustering: k-means++ and farthest-point seeding (which images to show first, which landmarks
 * to start a graph walk from) and spherical k-means (the cells of the approximate kNN index).
 */
import { rng, shuffle, takeRows, type Matrix } from './linalg'
import { matmulABt } from './products'

/** Squared distances of every row to row `j` (rows are L2-normalised: 2 - 2 cos). */
function distTo(X: Matrix, j: number): Float64Array {
  const out = new Float64Array(X.rows)
  matmulABt(X.data, X.rows, X.data.subarray(j * X.cols, (j + 1) * X.cols), 1, X.cols, out)
  for (let i = 0; i < X.rows; i++) out[i] = Math.max(0, 2 - 2 * out[i]!)
  return out
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007): each next pick is drawn with probability
 * proportional to its squared distance from the nearest pick: spread out, yet drawn from where
 * the images are (not from lone outliers as farthest-point would). Excluded rows are never picked.
 */
export function kmeansPlusPlus(X: Matrix, count: number, seed = 0, exclude?: Int32Array): Int32Array {
  const n = X.rows
  const rand = rng(seed + 7)
  const blocked = new Uint8Array(n)
  if (exclude) for (const i of exclude) blocked[i] = 1
  const near = new Float64Array(n).fill(Infinity)
  // already labelled images count as picks: start from their distances
  if (exclude) for (const j of exclude) {
    const d = distTo(X, j)
    for (let i = 0; i < n; i++) near[i] = Math.min(near[i]!, d[i]!)
  }
  const picks: number[] = []
  while (picks.length < Math.min(count, n - (exclude?.length ?? 0))) {
    let total = 0
    for (let i = 0; i < n; i++) if (!blocked[i]) total += Number.isFinite(near[i]!) ? near[i]! : 1
    let r = rand() * total
    let pick = -1
    for (let i = 0; i < n; i++) {
      if (blocked[i]) continue
      r -= Number.isFinite(near[i]!) ? near[i]! : 1
      pick = i
      if (r <= 0) break
    }
    if (pick < 0) break
    picks.push(pick)
    blocked[pick] = 1
    const d = distTo(X, pick)
    for (let i = 0; i < n; i++) near[i] = Math.min(near[i]!, d[i]!)
  }
  return Int32Array.from(picks)
}

/** Farthest-point traversal: each next pick is the image farthest from every pick so far. */
export function farthestPoint(X: Matrix, count: number, start = 0, exclude?: Int32Array): Int32Array {
  const n = X.rows
  const blocked = new Uint8Array(n)
  const near = new Float64Array(n).fill(Infinity)
  const seedRows = exclude && exclude.length > 0 ? Array.from(exclude) : []
  for (const j of seedRows) blocked[j] = 1
  for (const j of seedRows) {
    const d = distTo(X, j)
    for (let i = 0; i < n; i++) near[i] = Math.min(near[i]!, d[i]!)
  }
  const picks: number[] = []
  let next = seedRows.length > 0 ? -1 : Math.min(start, n - 1)
  while (picks.length < Math.min(count, n - seedRows.length)) {
    if (next < 0) {
      let best = -1
      for (let i = 0; i < n; i++) if (!blocked[i] && (best < 0 || near[i]! > near[best]!)) best = i
      next = best
    }
    if (next < 0) break
    picks.push(next)
    blocked[next] = 1
    const d = distTo(X, next)
    for (let i = 0; i < n; i++) near[i] = Math.min(near[i]!, d[i]!)
    next = -1
  }
  return Int32Array.from(picks)
}

/** Cell of each row: the centre of largest dot product. */
export function nearestCentre(P: Matrix, centres: Float32Array, cells: number): Int32Array {
  const n = P.rows
  const assign = new Int32Array(n)
  const block = 4096
  const out = new Float64Array(block * cells)
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0)
    matmulABt(P.data.subarray(r0 * P.cols, (r0 + rows) * P.cols), rows, centres, cells, P.cols, out)
    for (let r = 0; r < rows; r++) {
      let best = 0
      for (let c = 1; c < cells; c++) if (out[r * cells + c]! > out[r * cells + best]!) best = c
      assign[r0 + r] = best
    }
  }
  return assign
}

/**
 * Spherical k-means (unit-length centres, cosine assignment) on an even sample of up to 64 rows
 * per cell, a few Lloyd steps from a seeded random pick: the cells only need to be compact.
 * `init.seed` picks the start (the approximate kNN index keeps 5; seed suggestions vary it per
 * draw); `init.plusPlus` starts from k-means++ seeding instead of a random pick, so that two
 * centres seldom start in one group and leave another without a centre (seeds.ts needs the
 * groups, the index only compact cells).
 */
export function sphericalKmeans(P: Matrix, cells: number, signal?: AbortSignal, init: { seed?: number; plusPlus?: boolean } = {}): Float32Array {
  const n = P.rows
  const p = P.cols
  const m = Math.min(n, 64 * cells)
  const step = n / m
  const S = takeRows(P, Array.from({ length: m }, (_, r) => Math.floor(r * step)))
  const rand = rng(init.seed ?? 5)
  const order = Array.from({ length: m }, (_, r) => r)
  shuffle(order, rand)
  const centres = takeRows(S, init.plusPlus ? kmeansPlusPlus(S, cells, init.seed ?? 5) : order.slice(0, cells)).data
  for (let it = 0; it < 8; it++) {
    signal?.throwIfAborted()
    const assign = nearestCentre(S, centres, cells)
    const sum = new Float64Array(cells * p)
    const count = new Int32Array(cells)
    for (let r = 0; r < m; r++) {
      const c = assign[r]!
      count[c] = count[c]! + 1
      for (let t = 0; t < p; t++) sum[c * p + t] = sum[c * p + t]! + S.data[r * p + t]!
    }
    for (let c = 0; c < cells; c++) {
      // an empty cell restarts at a random sample row
      if (count[c] === 0) {
        const r = Math.floor(rand() * m)
        centres.set(S.data.subarray(r * p, (r + 1) * p), c * p)
        continue
      }
      let norm = 0
      for (let t = 0; t < p; t++) norm += sum[c * p + t]! * sum[c * p + t]!
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0
      for (let t = 0; t < p; t++) centres[c * p + t] = sum[c * p + t]! * inv
    }
  }
  return centres
}
