/**
 * Label issues on the real teacher's embeddings: labels flipped on purpose in a real dataset are
 * what confident learning on k-fold probabilities finds, most of them, and most of what it flags.
 */
import { describe, expect, it } from 'vitest'
import { applyFeatures, fitFeatures } from '../../main/engine/selftrain/features'
import { evalEmbeddings } from '../../main/engine/selftrain/eval-embed'
import { labelIssues } from '../../main/engine/selftrain/label-issues'
import { matrix, rng, shuffle } from '../../main/engine/math/linalg'
import { dataset } from '../shared'

/** The pool of a dataset as the head's features, with `share` of its labels moved to another class (seeded). */
async function flipped(name: string, share: number, seed: number, perClass = Infinity) {
  const e = await evalEmbeddings(dataset(name))
  // the first `perClass` images of each class (the pool lists each class's files together)
  const seen = new Map<number, number>()
  const keep = Array.from(e.pool.labels.keys()).filter((i) => {
    const c = e.pool.labels[i]!
    seen.set(c, (seen.get(c) ?? 0) + 1)
    return seen.get(c)! <= perClass
  })
  const n = keep.length
  const d = e.pool.dim
  const X0 = matrix(n, d, Float32Array.from(keep.flatMap((i) => Array.from(e.pool.data.subarray(i * d, (i + 1) * d)))))
  const truth = Int32Array.from(keep, (i) => e.pool.labels[i]!)
  const X = applyFeatures(fitFeatures(X0), X0)
  const k = e.pool.classes.length
  const labels = Int32Array.from(truth)
  const order = Array.from({ length: n }, (_, i) => i)
  const rand = rng(seed)
  shuffle(order, rand)
  const flips = new Set(order.slice(0, Math.round(share * n)))
  for (const i of flips) labels[i] = (labels[i]! + 1 + Math.floor(rand() * (k - 1))) % k
  return { X, labels, truth, k, flips }
}

/** Precision and recall of the flagged rows against the flips; `top`: precision of the first |flips| flagged (the ranking). */
function score(found: { row: number }[], flips: Set<number>) {
  const hit = found.filter((f) => flips.has(f.row)).length
  const first = found.slice(0, flips.size)
  const round = (x: number) => +x.toFixed(3)
  return { flagged: found.length, precision: round(hit / Math.max(1, found.length)), recall: round(hit / flips.size), top: round(first.filter((f) => flips.has(f.row)).length / Math.max(1, first.length)) }
}

describe('labelIssues on real embeddings', () => {
  it('finds labels flipped in hymenoptera (ants and bees), suggesting the true class', { timeout: 180_000 }, async () => {
    const { X, labels, truth, k, flips } = await flipped('hymenoptera', 0.1, 1)
    const r = labelIssues(X, labels, k)
    const s = score(r.issues, flips)
    console.log(`hymenoptera: ${flips.size} of ${labels.length} labels flipped; ${JSON.stringify(s)}`)
    // measured (off-class rule, issues.ts): 24 of 244 flipped, 23 flagged, precision 0.70, recall
    // 0.67 (confident learning: 25 flagged, 0.64 / 0.67; the rest of what it flags is mostly the
    // teacher's own confusions); a random pick would be right 10% of the time
    expect(s.recall).toBeGreaterThanOrEqual(0.55)
    expect(s.precision).toBeGreaterThanOrEqual(0.5)
    // A found flip's suggestion is its true class (two classes: the other one).
    for (const f of r.issues) if (flips.has(f.row)) expect(f.suggested).toBe(truth[f.row])
    // Most suspect first: flips come early in the ranking.
    const top = r.issues.slice(0, Math.min(10, r.issues.length))
    expect(top.filter((f) => flips.has(f.row)).length / top.length).toBeGreaterThanOrEqual(0.7)
  })

  it('finds labels flipped among the ten classes of cifar10-small', { timeout: 300_000 }, async () => {
    const { X, labels, truth, k, flips } = await flipped('cifar10-small', 0.1, 2, 60)
    const r = labelIssues(X, labels, k)
    const s = score(r.issues, flips)
    const rightClass = r.issues.filter((f) => flips.has(f.row) && f.suggested === truth[f.row]).length / Math.max(1, r.issues.filter((f) => flips.has(f.row)).length)
    console.log(`cifar10-small: ${flips.size} of ${labels.length} labels flipped; ${JSON.stringify(s)}; true class suggested for ${(100 * rightClass).toFixed(0)}% of found flips`)
    // measured (off-class rule): 60 of 600 flipped, 76 flagged, recall 0.63, precision 0.50 (confident
    // learning: 179 flagged, 0.75 / 0.25: the small teacher confuses cifar's classes often, and
    // those keep a fair probability of their given class, which the off-class rule lets through)
    expect(s.recall).toBeGreaterThanOrEqual(0.6)
    expect(s.precision).toBeGreaterThanOrEqual(0.4)
    expect(s.top).toBeGreaterThan(s.precision)
    expect(rightClass).toBeGreaterThanOrEqual(0.6)
  })

  it('refuses a class with a single label', () => {
    const X = matrix(3, 2, new Float32Array([0, 1, 1, 0, 1, 1]))
    expect(() => labelIssues(X, new Int32Array([0, 0, 1]), 2)).toThrow(/two human labels of each/)
  })
})
