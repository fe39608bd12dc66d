/**
 * The text prior on a deterministic synthetic problem: five classes whose "text directions" are
 * their centres plus noise (an imperfect zero-shot classifier, as CLIP's is). With one label per
 * class the head pulled toward the text beats the plain head; its pull falls as labels grow; with
 * no label the round is the zero-shot classifier itself.
 */
import { describe, expect, it } from 'vitest'
import { gaussian, l2NormalizeRows, matrix, rng, type Matrix } from '../../main/engine/math/linalg'
import { runRound } from '../../main/engine/selftrain/round'
import { evaluate, summarise } from '../../main/engine/selftrain/evaluate'
import { headPrior, priorStrength, zeroShotProba } from '../../main/engine/selftrain/zero-shot'
import { accuracy } from './synthetic'

const k = 5
const dim = 32
const perClass = 60

/** Points around k centres (spread `spread`) and text directions = centre + noise, all unit rows. */
function problem(seed: number): { X: Matrix; y: Int32Array; T: Matrix } {
  const r = rng(seed)
  const centres = Array.from({ length: k }, () => Float32Array.from({ length: dim }, () => gaussian(r)))
  const X = matrix(k * perClass, dim)
  const y = new Int32Array(k * perClass)
  for (let i = 0; i < X.rows; i++) {
    y[i] = i % k
    for (let j = 0; j < dim; j++) X.data[i * dim + j] = centres[i % k]![j]! + 1.5 * gaussian(r)
  }
  const T = matrix(k, dim)
  for (let c = 0; c < k; c++) for (let j = 0; j < dim; j++) T.data[c * dim + j] = centres[c]![j]! + 1.2 * gaussian(r)
  return { X: l2NormalizeRows(X), y, T: l2NormalizeRows(T) }
}

/** `n` labels per class: the first n images of each class after a seeded shuffle. */
function seeds(y: Int32Array, n: number, seed: number): { index: Int32Array; label: Int32Array } {
  const r = rng(seed)
  const order = Array.from(y.keys()).sort(() => r() - 0.5)
  const index: number[] = []
  for (let c = 0; c < k; c++) index.push(...order.filter((i) => y[i] === c).slice(0, n))
  return { index: Int32Array.from(index), label: Int32Array.from(index, (i) => y[i]!) }
}

const settings = { strategy: 'balanced' as const, folds: 0 }
const text = (T: Matrix) => ({ T, logitScale: 20 })

async function meanAccuracy(labelsPerClass: number, withText: boolean): Promise<number> {
  let sum = 0
  const trials = 6
  for (let t = 0; t < trials; t++) {
    const { X, y, T } = problem(100 + t)
    const human = seeds(y, labelsPerClass, 7 + t)
    const r = await runRound({ X, classes: k, human, ...(withText ? { text: text(T) } : {}) }, settings)
    expect(r.metrics.method).toBe(withText ? 'text-prior' : 'head')
    sum += accuracy(r.predicted, y)
  }
  return sum / trials
}

describe('the text prior', () => {
  it('with one label per class, beats the plain head (and the zero-shot classifier alone)', async () => {
    const plain = await meanAccuracy(1, false)
    const prior = await meanAccuracy(1, true)
    let zs = 0
    for (let t = 0; t < 6; t++) {
      const { X, y, T } = problem(100 + t)
      const p = zeroShotProba(X, text(T))
      zs += accuracy(Array.from({ length: X.rows }, (_, i) => [...p.subarray(i * k, i * k + k)].indexOf(Math.max(...p.subarray(i * k, i * k + k)))), y) / 6
    }
    console.log(`1 label/class: plain ${plain.toFixed(3)}, zero-shot ${zs.toFixed(3)}, text prior ${prior.toFixed(3)}`)
    expect(prior).toBeGreaterThan(plain + 0.05)
    expect(prior).toBeGreaterThanOrEqual(zs - 0.01)
  })

  it('matters less as labels grow: no worse at 4 per class, the same at 30', async () => {
    for (const n of [4, 30]) {
      const plain = await meanAccuracy(n, false)
      const prior = await meanAccuracy(n, true)
      console.log(`${n} labels/class: plain ${plain.toFixed(3)}, text prior ${prior.toFixed(3)}`)
      expect(prior).toBeGreaterThanOrEqual(plain - 0.01)
      if (n === 30) expect(Math.abs(prior - plain)).toBeLessThan(0.01)
    }
  })

  it('its weight falls with the labels of the class: halved extra pull at four, the plain strength in the limit', () => {
    const w = [0, 1, 2, 4, 8, 16, 64, 1e6].map((n) => priorStrength(n, 2))
    for (let i = 1; i < w.length; i++) expect(w[i]).toBeLessThan(w[i - 1]!)
    expect(w[0]).toBe(2)
    expect(priorStrength(4, 2)).toBeCloseTo(1, 12)
    expect(w.at(-1)).toBeCloseTo(0, 4)
    // |W|^2 + lambda |W - s t|^2 == (1 + lambda) |W - lambda / (1 + lambda) s t|^2 + const
    const T = matrix(2, 2, Float32Array.from([1, 0, 0, 1]))
    const p = headPrior({ T, logitScale: 100 }, [0, 12], 2)
    expect(Array.from(p.strength)).toEqual([3, 1.5])
    expect(p.M[0]).toBeCloseTo((2 / 3) * 100, 4)
    expect(p.M[3]).toBeCloseTo((0.5 / 1.5) * 100, 4)
    expect(p.M[1]).toBe(0)
  })

  it('with no label at all the round is the zero-shot classifier, uncalibrated (T = 1)', async () => {
    const { X, y, T } = problem(100)
    const none = { index: new Int32Array(0), label: new Int32Array(0) }
    await expect(runRound({ X, classes: k, human: none }, settings)).rejects.toThrow(/at least one human label/)
    const r = await runRound({ X, classes: k, human: none, text: text(T) }, { ...settings, strategy: 'ensemble' })
    expect(r.metrics).toMatchObject({ method: 'zero-shot', temperature: 1, strategy: 'balanced' })
    expect(Array.from(r.proba)).toEqual(Array.from(zeroShotProba(X, text(T))))
    expect(accuracy(r.predicted, y)).toBeGreaterThan(0.5)
  })

  it('the eval gains zero_shot and text_prior when the teacher has a text tower, and only then', async () => {
    const { X, y, T } = problem(101)
    const split = (from: number, to: number) => matrix(to - from, dim, X.data.slice(from * dim, to * dim))
    const data = { classes: ['a', 'b', 'c', 'd', 'e'], pool: split(0, 200), poolLabels: y.slice(0, 200), test: split(200, 300), testLabels: y.slice(200, 300) }
    const opts = { ks: [1], trials: 4, rounds: 1, reviewShare: 0, settings: { strategy: 'balanced' as const } }
    const without = new Set(summarise((await evaluate(data, opts)).acc).map((r) => r.method))
    expect(without.has('zero_shot') || without.has('text_prior')).toBe(false)
    const rows = summarise((await evaluate({ ...data, text: text(T) }, opts)).acc)
    const get = (m: string) => rows.find((r) => r.method === m && r.round === 0)!.accuracy_mean
    console.log(`eval k=1: seed_only ${get('seed_only').toFixed(3)}, zero_shot ${get('zero_shot').toFixed(3)}, text_prior ${get('text_prior').toFixed(3)}`)
    expect(get('text_prior')).toBeGreaterThan(get('seed_only'))
  })
})
