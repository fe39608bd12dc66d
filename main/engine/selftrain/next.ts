/**
 * What to label next. At the start: diverse, representative images (k-means++ seeding, or
 * farthest-point traversal) so the first seed labels cover the pool. Later: the most informative
 * ones (smallest margin between the two top classes, or where the head and label propagation
 * disagree).
 */
import { matmulABt } from '../math/products'
import { rng, type Matrix } from '../math/linalg'

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

/** Margin between the two most probable classes of row i (small = uncertain). */
export function margin(proba: ArrayLike<number>, i: number, k: number): number {
  let a = -Infinity
  let b = -Infinity
  for (let c = 0; c < k; c++) {
    const v = proba[i * k + c]!
    if (v > a) {
      b = a
      a = v
    } else if (v > b) b = v
  }
  return a - (k > 1 ? b : 0)
}

/**
 * Candidates ordered most informative first: images where the two views disagree come first
 * (when a second view is given), then by smallest margin of the head.
 */
export function mostInformative(proba: Float32Array, k: number, candidates: Int32Array, viewProba?: Float32Array): Int32Array {
  const score = (i: number) => {
    const m = margin(proba, i, k)
    if (!viewProba) return m
    let a = 0
    let b = 0
    for (let c = 1; c < k; c++) {
      if (proba[i * k + c]! > proba[i * k + a]!) a = c
      if (viewProba[i * k + c]! > viewProba[i * k + b]!) b = c
    }
    return a !== b ? m - 1 : m
  }
  const s = new Map<number, number>()
  for (const i of candidates) s.set(i, score(i))
  return Int32Array.from([...candidates].sort((x, y) => s.get(x)! - s.get(y)! || x - y))
}

/**
 * The studio's review queue for a budget of `count` decisions: every unlabelled image carries a
 * proposal (its predicted class), and the queue shows the most informative ones (mostInformative),
 * spread out: from the 4 x count most informative, k-means++ picks `count` that are not
 * near-duplicates of each other or of what is already labelled, so one decision is not spent
 * on ten copies of the same confusion.
 */
export function reviewQueue(
  X: Matrix,
  proba: Float32Array,
  k: number,
  candidates: Int32Array,
  count: number,
  opts: { viewProba?: Float32Array; labelled?: Int32Array; seed?: number; diverse?: boolean } = {},
): Int32Array {
  const ranked = mostInformative(proba, k, candidates, opts.viewProba)
  if (!(opts.diverse ?? true) || count <= 0) return ranked.slice(0, count)
  const poolIdx = ranked.slice(0, Math.min(ranked.length, 4 * count))
  const labelled = opts.labelled ?? new Int32Array(0)
  const rows = Int32Array.from([...poolIdx, ...labelled])
  const sub = { rows: rows.length, cols: X.cols, data: new Float32Array(rows.length * X.cols) }
  for (let r = 0; r < rows.length; r++) sub.data.set(X.data.subarray(rows[r]! * X.cols, (rows[r]! + 1) * X.cols), r * X.cols)
  const labelledRows = Int32Array.from({ length: labelled.length }, (_, j) => poolIdx.length + j)
  const picks = kmeansPlusPlus(sub, count, opts.seed ?? 0, labelledRows)
  return Int32Array.from(picks, (r) => rows[r]!)
}
