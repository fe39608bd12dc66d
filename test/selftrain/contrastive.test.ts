/**
 * The MoCo projection (contrastive.ts) on a synthetic pool with cluster structure: its InfoNCE
 * loss falls, and in its space an image's nearest neighbour is of its own cluster far more often
 * than chance. No label is used in training; the clusters are only for scoring.
 */
import { describe, expect, it } from 'vitest'
import { concatUnit, contrastiveSpace, embeddingViews, trainContrastive, withProjection } from '../../main/engine/selftrain/contrastive'
import { runRound } from '../../main/engine/selftrain/round'
import { matrix, type Matrix } from '../../main/engine/math/linalg'
import { accuracy, mixture } from './synthetic'

/** Share of rows whose nearest other row (cosine; rows are unit) has the same cluster. */
function nearestSameCluster(Z: Matrix, y: Int32Array): number {
  let same = 0
  for (let i = 0; i < Z.rows; i++) {
    let best = -1
    let bestSim = -Infinity
    for (let j = 0; j < Z.rows; j++) {
      if (j === i) continue
      let s = 0
      for (let c = 0; c < Z.cols; c++) s += Z.data[i * Z.cols + c]! * Z.data[j * Z.cols + c]!
      if (s > bestSim) [best, bestSim] = [j, s]
    }
    if (y[best] === y[i]) same++
  }
  return same / Z.rows
}

describe('contrastive projection (MoCo v2)', () => {
  const classes = 5
  const { X, y } = mixture({ classes, perClass: 60, dim: 48, spread: 0.6, seed: 3 })

  it('its loss falls and its space separates the clusters better than chance', () => {
    const losses: number[] = []
    const views = embeddingViews(X, 4, { seed: 1 })
    const p = trainContrastive(views, { hidden: 64, out: 16, batch: 64, queue: 128, steps: 150, seed: 2, onStep: (_, l) => losses.push(l) })
    expect(losses).toHaveLength(150)
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
    // from step 3 the queue holds real keys (2 x 64 = 128) instead of its random start, which are easy negatives
    const first = mean(losses.slice(2, 12))
    const last = mean(losses.slice(-10))
    expect(last).toBeLessThan(0.85 * first)
    const Z = p.apply(X)
    expect([Z.rows, Z.cols]).toEqual([X.rows, 16])
    for (let i = 0; i < Z.rows; i++) expect(Math.hypot(...Z.data.subarray(i * 16, (i + 1) * 16))).toBeCloseTo(1, 5)
    const purity = nearestSameCluster(Z, y)
    expect(purity).toBeGreaterThan(3 / classes)
    console.log(`loss ${first.toFixed(3)} -> ${last.toFixed(3)}; nearest neighbour in the same cluster: ${(100 * purity).toFixed(1)} % (chance ${100 / classes} %)`)
  })

  it('is deterministic for a seed, kept per pool, and refuses a single view', () => {
    const a = contrastiveSpace(X, { hidden: 32, out: 8, steps: 5, seed: 4 }).Z
    expect(contrastiveSpace(X, { hidden: 32, out: 8, steps: 5, seed: 4 }).Z).toBe(a)
    const b = trainContrastive(embeddingViews(X, 4, { seed: 4 }), { hidden: 32, out: 8, steps: 5, seed: 4 }).apply(X)
    expect(Array.from(b.data)).toEqual(Array.from(a.data))
    expect(() => trainContrastive([X], { steps: 1 })).toThrow(/at least two views/)
    expect(() => trainContrastive([X, matrix(3, 48)], { steps: 1 })).toThrow(/differ in shape/)
  })

  it('feeds a round: the graph, the head (X beside its projection) or both', async () => {
    const human = { index: Int32Array.from({ length: 10 }, (_, i) => i), label: Int32Array.from({ length: 10 }, (_, i) => y[i]!) }
    for (const contrastive of ['graph', 'head', 'both'] as const) {
      const r = await runRound({ X, classes, human }, { contrastive, folds: 0, seed: 1 })
      expect(r.head.predictProba(contrastive === 'graph' ? X : withProjection(X, contrastiveSpace(X, { seed: 1 }).projection)).length).toBe(X.rows * classes)
      expect(accuracy(r.predicted, y)).toBeGreaterThan(0.8)
      expect(r.graph?.k).toBe(10)
    }
    // one projection trained (kept for this X and seed), at the round's default size: about 10 s on a quiet machine
  }, 300_000)

  it('concatenates two spaces as unit rows', () => {
    const Z = concatUnit(matrix(2, 2, Float32Array.from([3, 4, 0, 2])), matrix(2, 1, Float32Array.from([5, -1])))
    expect(Array.from(Z.data).map((v) => +v.toFixed(4))).toEqual([0.4243, 0.5657, 0.7071, 0, 0.7071, -0.7071])
  })
})
