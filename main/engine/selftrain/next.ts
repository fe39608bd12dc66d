/**
 * What to label next once a round has scored the images: the most informative ones (smallest
 * margin between the two top classes, or where the head and label propagation disagree). Before
 * any round the studio suggests seeds instead (seeds.ts).
 */
import type { Matrix } from '../math/linalg'
import { kmeansPlusPlus } from '../math/kmeans'

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
