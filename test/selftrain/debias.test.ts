import { describe, expect, it } from 'vitest'
import { knnGraph } from '../../main/engine/math/knn'
import { gaussian, l2NormalizeRows, matrix, rng, rowArgmax, takeRows } from '../../main/engine/math/linalg'
import { debiasProba, updateClassPrior } from '../../main/engine/selftrain/debias'
import { imbalancedSubset } from '../../main/engine/selftrain/evaluate'
import { LogisticHead } from '../../main/engine/selftrain/logistic'
import { runRound } from '../../main/engine/selftrain/round'
import { refineTransductive, relabel, softBalance } from '../../main/engine/selftrain/transductive'
import { accuracy } from './synthetic'

/** A Gaussian mixture with the given class sizes (synthetic.ts mixture() has equal ones), L2-normalised. */
function pool(sizes: number[], dim: number, spread: number, seed: number) {
  const r = rng(seed)
  const centres = sizes.map(() => Float32Array.from({ length: dim }, () => gaussian(r)))
  const n = sizes.reduce((a, b) => a + b, 0)
  const X = matrix(n, dim)
  const y = new Int32Array(n)
  let i = 0
  sizes.forEach((m, c) => {
    for (let t = 0; t < m; t++, i++) {
      y[i] = c
      for (let j = 0; j < dim; j++) X.data[i * dim + j] = centres[c]![j]! + spread * gaussian(r)
    }
  })
  return { X: l2NormalizeRows(X), y }
}

const predicted = (P: Float32Array, n: number, k: number) => rowArgmax(P, n, k).label
const shares = (pred: Int32Array, k: number) => Array.from({ length: k }, (_, c) => pred.filter((v) => v === c).length / pred.length)
const recall = (pred: Int32Array, y: Int32Array, c: number) => {
  let right = 0
  let all = 0
  for (let i = 0; i < y.length; i++)
    if (y[i] === c) {
      all++
      if (pred[i] === c) right++
    }
  return right / all
}

describe('class-prior debiasing', () => {
  // a balanced pool, and a head that saw 20 labels of class 0 and 2 of each other: it over-predicts class 0
  const { X, y } = pool([200, 200, 200], 32, 2, 5)
  const k = 3
  const seeds = [...Array.from({ length: 20 }, (_, i) => i), 200, 201, 400, 401]
  const proba = new LogisticHead(k, { C: 10 }).fit(takeRows(X, seeds), Int32Array.from(seeds, (i) => y[i]!)).predictProba(X)
  const all = Int32Array.from({ length: X.rows }, (_, i) => i)

  it("moves a biased head's proposals toward the prior, and they get more right", () => {
    const prior = updateClassPrior(proba, k, all, undefined, 0.5)
    expect(prior[0]).toBeGreaterThan(0.6)
    const before = predicted(proba, X.rows, k)
    const after = predicted(debiasProba(proba, k, prior, 1), X.rows, k)
    const gap = (s: number[]) => Math.max(...s.map((v) => Math.abs(v - 1 / k)))
    expect(shares(before, k)[0]).toBeGreaterThan(0.85)
    expect(gap(shares(after, k))).toBeLessThan(gap(shares(before, k)) / 2)
    expect(accuracy(after, y)).toBeGreaterThan(accuracy(before, y) + 0.15)
    // tau 0 changes nothing
    expect(Array.from(predicted(debiasProba(proba, k, prior, 0), X.rows, k))).toEqual(Array.from(before))
  })

  it('keeps a running prior: the mean over the given rows, blended with the previous one', () => {
    const p = Float32Array.from([0.9, 0.1, 0.5, 0.5, 0, 1])
    const first = updateClassPrior(p, 2, Int32Array.from([0, 1]), undefined, 0.5)
    expect(Array.from(first)).toEqual([expect.closeTo(0.7, 6), expect.closeTo(0.3, 6)])
    const second = updateClassPrior(p, 2, Int32Array.from([2]), first, 0.5)
    expect(Array.from(second)).toEqual([expect.closeTo(0.35, 6), expect.closeTo(0.65, 6)])
    // a prior of another class count (a class added) is not blended in
    expect(Array.from(updateClassPrior(p, 2, Int32Array.from([2]), Float64Array.from([0.2, 0.3, 0.5]), 0.5))).toEqual([0, 1])
  })

  it('travels between rounds: a round divides out the prior it is given', async () => {
    const human = { index: Int32Array.from([0, 1, 200, 201, 400, 401]), label: Int32Array.from([0, 0, 1, 1, 2, 2]) }
    const settings = { strategy: 'threshold' as const, strategyParam: 0, folds: 0, debias: 1 }
    const plain = await runRound({ X, classes: k, human }, settings)
    expect(plain.classPrior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    // told the pool leans to class 2, the round proposes class 2 less
    const leaning = await runRound({ X, classes: k, human, classPrior: Float64Array.from([0.1, 0.1, 0.8]) }, settings)
    const count = (r: typeof plain) => r.proposals.label.filter((c) => c === 2).length
    expect(count(leaning)).toBeLessThan(count(plain) * 0.8)
    // and the prior it hands on is the blend of the one it got and its own mean
    expect(leaning.classPrior[2]).toBeGreaterThan(plain.classPrior[2]!)
  })
})

describe('transductive refinement with soft class balance', () => {
  // a 10:1 imbalanced pool: 300, 300 and 30 images, three labels of each class
  const { X, y } = pool([300, 300, 30], 32, 1.5, 3)
  const k = 3
  const seeds = [0, 1, 2, 300, 301, 302, 600, 601, 602]
  const labelled = { index: Int32Array.from(seeds), label: Int32Array.from(seeds, (i) => y[i]!) }
  const proba = new LogisticHead(k, { C: 10 }).fit(takeRows(X, seeds), labelled.label).predictProba(X)
  const graph = knnGraph(X, 10)

  it("keeps every class's recall, the small class's included, where a hard balanced assignment gives a big class away", () => {
    const head = predicted(proba, X.rows, k)
    const soft = predicted(refineTransductive(graph, labelled, proba, k, { balance: 0.5 }), X.rows, k)
    const hard = predicted(refineTransductive(graph, labelled, proba, k, { balance: 1 }), X.rows, k)
    expect(accuracy(soft, y)).toBeGreaterThan(accuracy(head, y) + 0.03)
    for (let c = 0; c < k; c++) expect(recall(soft, y, c)).toBeGreaterThan(0.8)
    expect(recall(soft, y, 2)).toBeGreaterThanOrEqual(recall(head, y, 2) - 0.05)
    // forced to equal thirds, the small class must take in images of the big ones
    expect(Math.min(...[0, 1].map((c) => recall(hard, y, c)))).toBeLessThan(0.7)
    expect(accuracy(hard, y)).toBeLessThan(accuracy(soft, y) - 0.05)
  })

  it('is a round setting: the round builds the graph for it and its proposals get more right', async () => {
    const settings = { strategy: 'balanced' as const, folds: 0, round: 5, rounds: 5 }
    const plain = await runRound({ X, classes: k, human: labelled }, settings)
    const refined = await runRound({ X, classes: k, human: labelled }, { ...settings, transductive: true })
    expect(plain.graph).toBeUndefined()
    expect(refined.graph).toBeDefined()
    const right = (r: typeof plain) => r.proposals.label.filter((c, j) => c === y[r.proposals.index[j]!]).length / r.proposals.index.length
    expect(right(refined)).toBeGreaterThan(right(plain) + 0.03)
  })

  it('relabel keeps the picks and their order, and takes their classes from the refinement (with the second view)', () => {
    const picks = { index: Int32Array.from([2, 0]), label: Int32Array.from([0, 0]), confidence: Float32Array.from([0.9, 0.8]) }
    const refined = Float32Array.from([0.2, 0.8, 0.5, 0.5, 0.4, 0.6])
    const out = relabel(picks, refined, 2)
    expect(Array.from(out.index)).toEqual([2, 0])
    expect(Array.from(out.label)).toEqual([1, 1])
    expect(Array.from(out.confidence)).toEqual(Array.from(picks.confidence))
    // averaged with a view that is sure of class 0 for image 2, image 2 goes back to class 0
    expect(Array.from(relabel(picks, refined, 2, Float32Array.from([0.5, 0.5, 0, 0, 1, 0])).label)).toEqual([0, 1])
  })

  it('soft balance: strength 0 changes nothing, 1 forces the target totals, between lies between', () => {
    const P = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.4, 0.6])
    const total = (Q: Float32Array) => (Q[0]! + Q[2]! + Q[4]! + Q[6]!) / 4
    expect(Array.from(softBalance(P, 2, 0))).toEqual(Array.from(P))
    expect(total(softBalance(P, 2, 1))).toBeCloseTo(0.5, 3)
    const half = total(softBalance(P, 2, 0.5))
    expect(half).toBeLessThan(total(P))
    expect(half).toBeGreaterThan(0.5 + 0.01)
  })
})

describe('an imbalanced pool for the eval', () => {
  it('keeps class sizes decaying geometrically from all to a tenth, the same for the same seed', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 5)
    const kept = imbalancedSubset(labels, 5, 10, 0)
    const sizes = Array.from({ length: 5 }, (_, c) => Array.from(kept).filter((i) => labels[i] === c).length).sort((a, b) => b - a)
    expect(sizes[0]).toBe(200)
    expect(sizes[4]).toBe(20)
    for (let r = 1; r < 5; r++) expect(sizes[r]).toBe(Math.round(200 * Math.pow(10, -r / 4)))
    expect(Array.from(imbalancedSubset(labels, 5, 10, 0))).toEqual(Array.from(kept))
    expect(Array.from(imbalancedSubset(labels, 5, 10, 1))).not.toEqual(Array.from(kept))
    expect(imbalancedSubset(labels, 5, 1, 0).length).toBe(1000)
    expect(() => imbalancedSubset(labels, 5, 0.5, 0)).toThrow(/ratio/)
  })
})
