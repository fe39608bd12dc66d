/** The rounds panel's per-stage progress: rates of finished stages, estimates from the previous round. */
import { describe, expect, it } from 'vitest'
import type { RoundInfo, RoundStage } from '../../preload/contract'
import { stageViews } from '../../renderer/views/round-progress'

function round(id: number, stages: RoundStage[], status: RoundInfo['status'] = 'done'): RoundInfo {
  return { id, status, startedAt: 0, finishedAt: null, kfoldAccuracy: null, ece: null, proposals: 0, proposalsPerClass: {}, trainedOn: null, error: null, stages, auditedPrecision: null, method: null }
}
const stage = (name: string, images: number, startedAt: number, finishedAt: number | null): RoundStage => ({ name, images, startedAt, finishedAt })

describe('stageViews', () => {
  it('the first round: finished stages have a rate, the running one an unknown share and ETA', () => {
    const running = round(1, [stage('reading', 1000, 0, 2000), stage('training', 1000, 2000, null)], 'running')
    const v = stageViews(running, null, 5000)
    expect(v.map((s) => s.state)).toEqual(['done', 'running'])
    expect(v[0]).toMatchObject({ fraction: 1, perSecond: 500, etaSeconds: 0 })
    expect(v[1]).toMatchObject({ fraction: null, etaSeconds: null })
  })

  it('later rounds: shares and ETAs from the previous round, scaled by the number of images', () => {
    const previous = round(1, [stage('reading', 1000, 0, 1000), stage('training', 1000, 1000, 11_000), stage('writing', 1000, 11_000, 12_000)])
    // Twice the images: training is expected to take 20 s; 5 s in, a quarter done, 15 s left, and writing 2 s after it.
    const running = round(2, [stage('reading', 2000, 0, 2000), stage('training', 2000, 2000, null)], 'running')
    const v = stageViews(running, previous, 7000)
    expect(v.map((s) => [s.name, s.state])).toEqual([
      ['reading', 'done'],
      ['training', 'running'],
      ['writing', 'waiting'],
    ])
    expect(v[1]!.fraction).toBeCloseTo(0.25)
    expect(v[1]!.etaSeconds).toBeCloseTo(15)
    expect(v[2]).toMatchObject({ fraction: 0, etaSeconds: 2 })
    // Past its estimate a stage does not claim to be finished, and still says at least a second is left.
    const late = stageViews(running, previous, 40_000)[1]!
    expect(late.fraction).toBeLessThan(1)
    expect(late.etaSeconds).toBe(1)
  })
})
