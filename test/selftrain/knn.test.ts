import { describe, expect, it } from 'vitest'
import { farthestPoint, kmeansPlusPlus } from '../../main/engine/math/kmeans'
import { knnGraph, similar } from '../../main/engine/math/knn'
import { takeRows } from '../../main/engine/math/linalg'
import { mostInformative } from '../../main/engine/selftrain/next'
import { propagateLabels } from '../../main/engine/selftrain/propagate'
import { accuracy, mixture } from './synthetic'

describe('kNN graph and label propagation', () => {
  const { X, y } = mixture({ classes: 3, perClass: 70, dim: 40, spread: 0.9 })

  it('exact kNN equals brute force', () => {
    const g = knnGraph(X, 5)
    const d = X.cols
    for (const i of [0, 17, 133, 209]) {
      const sims = Array.from({ length: X.rows }, (_, j) => {
        let s = 0
        for (let t = 0; t < d; t++) s += X.data[i * d + t]! * X.data[j * d + t]!
        return { j, s }
      }).filter((e) => e.j !== i)
      sims.sort((a, b) => b.s - a.s)
      expect(Array.from(g.index.subarray(i * 5, i * 5 + 5))).toEqual(sims.slice(0, 5).map((e) => e.j))
      expect(g.sim[i * 5]).toBeCloseTo(sims[0]!.s, 4)
    }
  })

  it('propagation from one seed per class labels the clusters', () => {
    const g = knnGraph(X, 10)
    const seeds = { index: new Int32Array([0, 1, 2]), label: new Int32Array([y[0]!, y[1]!, y[2]!]) }
    const P = propagateLabels(g, seeds, 3)
    const pred = Array.from({ length: X.rows }, (_, i) => [0, 1, 2].reduce((b, c) => (P[i * 3 + c]! > P[i * 3 + b]! ? c : b), 0))
    expect(accuracy(pred, y)).toBeGreaterThan(0.9)
  })

  it('similarity search finds the query itself first, then its class', () => {
    const q = takeRows(X, [5, 100])
    const s = similar(X, q, 6)
    expect(s.index[0]).toBe(5)
    expect(s.index[6]).toBe(100)
    expect(s.sim[0]).toBeCloseTo(1, 4)
    for (let t = 1; t < 6; t++) expect(y[s.index[t]!]).toBe(y[5])
  })
})

describe('what to label next', () => {
  const { X, y } = mixture({ classes: 6, perClass: 30, dim: 30, spread: 0.3, seed: 4 })

  it('k-means++ and farthest-point seeds cover every cluster', () => {
    for (const picks of [kmeansPlusPlus(X, 6, 1), farthestPoint(X, 6, 0)]) {
      expect(picks.length).toBe(6)
      expect(new Set(Array.from(picks, (i) => y[i])).size).toBe(6)
    }
  })

  it('already labelled images are not picked again and count as covered', () => {
    const labelled = Int32Array.from([0, 1, 2, 3, 4])
    const picks = kmeansPlusPlus(X, 20, 1, labelled)
    for (const i of picks) expect(labelled).not.toContain(i)
    expect(new Set(picks).size).toBe(20)
    // the farthest image from clusters 0..4 is in cluster 5
    const far = farthestPoint(X, 1, 0, labelled)
    expect(y[far[0]!]).toBe(5)
  })

  it('uncertain and disagreeing candidates come first', () => {
    const proba = new Float32Array([0.9, 0.1, 0.55, 0.45, 0.7, 0.3])
    const view = new Float32Array([0.9, 0.1, 0.6, 0.4, 0.2, 0.8])
    expect(Array.from(mostInformative(proba, 2, Int32Array.from([0, 1, 2])))).toEqual([1, 2, 0])
    expect(Array.from(mostInformative(proba, 2, Int32Array.from([0, 1, 2]), view))).toEqual([2, 1, 0])
  })
})
