/**
 * Progress inside a round: the whole round's share and ETA from its stages' fractions (on a fake
 * clock), the worker's throttle, and the shares the fits themselves report.
 */
import { describe, expect, it } from 'vitest'
import type { RoundStage } from '../../preload/contract'
import { RoundEstimate } from '../../main/app/jobs/round-progress'
import { throttledProgress } from '../../main/engine/selftrain/worker'
import { crossValProba } from '../../main/engine/selftrain/kfold'
import { LogisticHead } from '../../main/engine/selftrain/logistic'
import { MlpHead } from '../../main/engine/selftrain/mlp'
import { mixture } from './synthetic'

const stage = (name: string, startedAt: number, finishedAt: number, images = 1000): RoundStage => ({ name, images, startedAt, finishedAt, fraction: 1 })
// the previous round: 2 s reading, 10 s fitting, 4 s graph, 1 s writing
const previous = [stage('reading', 0, 2000), stage('fitting', 2000, 12_000), stage('graph', 12_000, 16_000), stage('writing', 16_000, 17_000)]

/** Runs stages of the given seconds at steady speed, reporting every 100 ms; the progress after each report. */
function run(estimate: RoundEstimate, plan: [string, number][]): { t: number; fraction: number | null; eta: number | null }[] {
  const seen: { t: number; fraction: number | null; eta: number | null }[] = []
  let t = 0
  for (const [name, secs] of plan) {
    estimate.enter(name, t)
    const steps = Math.round(secs * 10)
    for (let i = 1; i <= steps; i++) {
      t += 100
      estimate.advance(name, i, steps, t)
      const p = estimate.progress(t)
      seen.push({ t, fraction: p.fraction, eta: p.etaSeconds })
    }
  }
  estimate.enter(null, t)
  const p = estimate.progress(t)
  seen.push({ t, fraction: p.fraction, eta: p.etaSeconds })
  return seen
}

describe('RoundEstimate', () => {
  it('at the speeds of the previous round, the share is the time spent over the whole and the ETA the time left', () => {
    const seen = run(new RoundEstimate(previous, 1000), [
      ['reading', 2],
      ['fitting', 10],
      ['graph', 4],
      ['writing', 1],
    ])
    const at = (t: number) => seen.find((s) => s.t === t)!
    // the first reports are young (below a tenth of their stage): the previous round's times then
    for (const t of [1000, 5000, 9000, 14_000, 16_500]) {
      expect(at(t).fraction!).toBeCloseTo(t / 17_000, 2)
      expect(at(t).eta!).toBeCloseTo((17_000 - t) / 1000, 1)
    }
    expect(seen.at(-1)).toMatchObject({ fraction: 1, eta: 0 })
  })

  it('this round twice as slow: the ETA follows its own speed, and the bar never goes back', () => {
    const estimate = new RoundEstimate(previous, 1000)
    const seen = run(estimate, [
      ['reading', 4],
      ['fitting', 20],
      ['graph', 8],
      ['writing', 2],
    ])
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.fraction!).toBeGreaterThanOrEqual(seen[i - 1]!.fraction!)
    // half-way through fitting (14 s in): 10 s of it left at its own speed, then 4 + 1 s from the previous round
    const mid = seen.find((s) => s.t === 14_000)!
    expect(mid.eta!).toBeCloseTo(15, 1)
    expect(seen.at(-1)).toMatchObject({ fraction: 1, eta: 0 })
  })

  it('a stage that suddenly slows down slows the bar instead of moving it back', () => {
    const estimate = new RoundEstimate(previous, 1000)
    let t = 0
    estimate.enter('fitting', t)
    const shown: number[] = []
    // fast at first (half done in 1 s), then a crawl: the estimate of the time left jumps up
    for (const [dt, f] of [
      [500, 0.25],
      [500, 0.5],
      [2000, 0.51],
      [2000, 0.52],
      [2000, 0.6],
    ] as const) {
      t += dt
      estimate.advance('fitting', f, 1, t)
      shown.push(estimate.progress(t).fraction!)
    }
    for (let i = 1; i < shown.length; i++) expect(shown[i]!).toBeGreaterThanOrEqual(shown[i - 1]!)
    expect(shown.at(-1)!).toBeLessThan(1)
  })

  it('a first round: each stage has its share, the whole is unknown until the end, then 1', () => {
    const estimate = new RoundEstimate([], 1000)
    estimate.enter('reading', 0)
    estimate.advance('reading', 1, 2, 1000)
    expect(estimate.progress(1000)).toEqual({ fraction: null, etaSeconds: null })
    expect(estimate.stages[0]!.fraction).toBe(0.5)
    estimate.advance('fitting', 0.3, 1, 3000)
    expect(estimate.stages.map((s) => [s.name, s.fraction, s.finishedAt])).toEqual([
      ['reading', 1, 3000],
      ['fitting', 0.3, null],
    ])
    // a fraction reported lower than before (a stage's units restart) keeps the higher one
    estimate.advance('fitting', 0.2, 1, 3500)
    expect(estimate.stages[1]!.fraction).toBe(0.3)
    estimate.enter(null, 4000)
    expect(estimate.progress(4000)).toEqual({ fraction: 1, etaSeconds: 0 })
  })
})

describe('throttledProgress', () => {
  it("passes a stage's start and end, one report per interval between, and nothing after its end", () => {
    let t = 0
    const posted: string[] = []
    const report = throttledProgress((stage, done, total) => posted.push(`${stage} ${done}/${total}`), 100, () => t)
    for (let i = 0; i <= 10; i++) {
      report('fitting the head', i, 10)
      t += 30
    }
    report('fitting the head', 10, 10)
    report('building the kNN graph', 0, 5)
    expect(posted).toEqual(['fitting the head 0/10', 'fitting the head 4/10', 'fitting the head 8/10', 'fitting the head 10/10', 'building the kNN graph 0/5'])
  })
})

describe('the shares fits report', () => {
  const { X, y } = mixture({ classes: 3, perClass: 60, dim: 24, spread: 1.4, seed: 3 })
  const grows = (xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]!)

  it('a logistic fit (L-BFGS): from each iteration, growing, below 1 until it ends', () => {
    const shares: number[] = []
    const head = new LogisticHead(3).fit(X, y, { onProgress: (p) => shares.push(p) })
    expect(shares.length).toBe(head.iterations + 1)
    expect(grows(shares)).toBe(true)
    expect(shares.slice(0, -1).every((p) => p < 1)).toBe(true)
    expect(shares.at(-1)).toBe(1)
    // half-way through its iterations it says it has come a fair way, not nothing
    expect(shares[Math.floor(head.iterations / 2)]!).toBeGreaterThan(0.2)
  })

  it('an MLP fit: its epochs done, exactly', () => {
    const shares: number[] = []
    new MlpHead(3, { epochs: 8 }).fit(X, y, { onProgress: (p) => shares.push(p) })
    expect(shares).toEqual([0, 1 / 8, 2 / 8, 3 / 8, 4 / 8, 5 / 8, 6 / 8, 7 / 8, 1])
  })

  it('k-fold: folds done, the running one by its fit, growing to all of them', () => {
    const reports: [number, number][] = []
    crossValProba(() => new LogisticHead(3), X, y, 3, { folds: 4, onProgress: (done, total) => reports.push([done, total]) })
    expect(reports.every(([, total]) => total === 4)).toBe(true)
    expect(grows(reports.map(([done]) => done))).toBe(true)
    // every fold reports from inside its fit
    for (let f = 0; f < 4; f++) expect(reports.some(([done]) => done > f && done < f + 1)).toBe(true)
    expect(reports.at(-1)).toEqual([4, 4])
  })
})
