import { describe, expect, it } from 'vitest'
import { runRound } from '../../main/engine/selftrain/round'
import { runRoundInWorker } from '../../main/engine/selftrain/in-worker'
import { MlpHead } from '../../main/engine/selftrain/mlp'
import { LogisticHead } from '../../main/engine/selftrain/logistic'
import { matrix, rng, rowArgmax } from '../../main/engine/math/linalg'
import { accuracy, mixture } from './synthetic'

const { X, y } = mixture({ classes: 4, perClass: 100, dim: 32, spread: 1.6, seed: 7 })
const k = 4
// 3 seed labels per class
const seedIdx = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
const human = { index: seedIdx, label: Int32Array.from(seedIdx, (i) => y[i]!) }

describe('a round', () => {
  it('trains, calibrates, predicts every image and proposes pseudo-labels for unlabelled ones only', async () => {
    const r = await runRound({ X, classes: k, human }, { strategy: 'balanced', round: 2, rounds: 4, folds: 3 })
    expect(r.proba.length).toBe(X.rows * k)
    for (let i = 0; i < X.rows; i += 37) {
      let s = 0
      for (let c = 0; c < k; c++) s += r.proba[i * k + c]!
      expect(s).toBeCloseTo(1, 5)
    }
    expect(r.proposals.index.length).toBeGreaterThan(0)
    for (const i of r.proposals.index) expect(seedIdx).not.toContain(i)
    // class-balanced, round 2 of 4: half the candidates, split per class
    expect(r.metrics.proposalsPerClass.reduce((a, b) => a + b, 0)).toBe(r.proposals.index.length)
    expect(Math.max(...r.metrics.proposalsPerClass)).toBeLessThanOrEqual(Math.floor((0.5 * (X.rows - 12)) / k))
    let right = 0
    for (let j = 0; j < r.proposals.index.length; j++) right += r.proposals.label[j] === y[r.proposals.index[j]!] ? 1 : 0
    expect(right / r.proposals.index.length).toBeGreaterThan(0.8)
    expect(r.metrics.kfoldAccuracy).toBeGreaterThanOrEqual(0)
    expect(r.metrics.temperature).toBeGreaterThan(0)
    expect(Number.isFinite(r.metrics.ece)).toBe(true)
  })

  it('self-training rounds beat the seed-only head on the pool', async () => {
    const seedOnly = await runRound({ X, classes: k, human }, { strategy: 'agreement', round: 1, rounds: 3, folds: 0 })
    let unreviewed = { index: seedOnly.proposals.index, label: seedOnly.proposals.label }
    let last = seedOnly
    for (let round = 2; round <= 3; round++) {
      last = await runRound({ X, classes: k, human, unreviewed, previous: last.head, ...(last.graph ? { graph: last.graph } : {}) }, { strategy: 'agreement', round, rounds: 3, folds: 0 })
      unreviewed = { index: last.proposals.index, label: last.proposals.label }
    }
    expect(accuracy(last.predicted, y)).toBeGreaterThan(accuracy(seedOnly.predicted, y) + 0.03)
  })

  it('pseudoCheck measures pseudo-labels against the human labels and follows the measurement', async () => {
    const first = await runRound({ X, classes: k, human }, { strategy: 'balanced', round: 1, rounds: 3, folds: 0 })
    const unreviewed = { index: first.proposals.index, label: first.proposals.label }
    const r = await runRound({ X, classes: k, human, unreviewed }, { strategy: 'balanced', round: 2, rounds: 3, folds: 0, pseudoCheck: true })
    const c = r.metrics.pseudoChecked!
    expect(c.with).toBeGreaterThanOrEqual(0)
    expect(c.without).toBeLessThanOrEqual(1)
    expect(r.metrics.trainedOn.unreviewed > 0).toBe(c.with > c.without)
  })

  it('a cancelled round rejects and delivers nothing', async () => {
    const delivered: unknown[] = []
    const ac = new AbortController()
    const p = runRound({ X, classes: k, human }, { folds: 3 }, ac.signal).then((r) => delivered.push(r))
    ac.abort()
    await expect(p).rejects.toThrow()
    expect(delivered).toEqual([])
    const pre = new AbortController()
    pre.abort()
    await expect(runRound({ X, classes: k, human }, {}, pre.signal)).rejects.toThrow()
  })

  it('runs in a worker thread with the same outcome, and cancels there too', async () => {
    const settings = { strategy: 'balanced' as const, round: 1, rounds: 2, folds: 0 }
    const here = await runRound({ X, classes: k, human }, settings)
    const there = await runRoundInWorker({ X, classes: k, human }, settings)
    expect(Array.from(there.predicted)).toEqual(Array.from(here.predicted))
    const w = there.headWeights
    expect(w?.kind === 'logistic' && w.W.length).toBe(k * X.cols)
    const ac = new AbortController()
    const p = runRoundInWorker({ X, classes: k, human }, settings, ac.signal)
    ac.abort()
    await expect(p).rejects.toThrow()
  })

  it('sends an MLP head’s weights back from the worker (the student export needs them)', async () => {
    const mlp = { strategy: 'balanced' as const, round: 1, rounds: 2, folds: 0, head: 'mlp' as const }
    const here = await runRound({ X, classes: k, human }, mlp)
    const there = await runRoundInWorker({ X, classes: k, human }, mlp)
    expect(Array.from(there.predicted)).toEqual(Array.from(here.predicted))
    const m = there.headWeights
    expect(m?.kind).toBe('mlp')
    if (m?.kind === 'mlp') expect([m.W1.length, m.b1.length, m.W2.length, m.b2.length]).toEqual([m.hidden * X.cols, m.hidden, k * m.hidden, k])
  }, 120_000)
})

describe('MlpHead', () => {
  it('learns a non-linear rule a linear head cannot (XOR of two signs)', () => {
    const r = rng(9)
    const n = 400
    const X2 = matrix(n, 2)
    const y2 = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const a = r() * 2 - 1
      const b = r() * 2 - 1
      X2.data[i * 2] = a
      X2.data[i * 2 + 1] = b
      y2[i] = a * b > 0 ? 1 : 0
    }
    const mlp = new MlpHead(2, { hidden: 32, epochs: 150, inputDropout: 0, dropout: 0.1, learningRate: 1e-2, seed: 1 }).fit(X2, y2)
    const lin = new LogisticHead(2).fit(X2, y2)
    expect(accuracy(rowArgmax(mlp.predictProba(X2), n, 2).label, y2)).toBeGreaterThan(0.9)
    expect(accuracy(rowArgmax(lin.predictProba(X2), n, 2).label, y2)).toBeLessThan(0.7)
  })
})
