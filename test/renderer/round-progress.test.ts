/** The rounds panel's per-stage progress: shares reported from inside each stage, rates of finished ones. */
import { describe, expect, it } from 'vitest'
import type { RoundInfo, RoundStage } from '../../preload/contract'
import { stageViews } from '../../renderer/views/round-progress'

function round(id: number, stages: RoundStage[], status: RoundInfo['status'] = 'done'): RoundInfo {
  return { id, status, startedAt: 0, finishedAt: null, kfoldAccuracy: null, ece: null, proposals: 0, proposalsPerClass: {}, trainedOn: null, error: null, stages, progress: null, auditedPrecision: null, method: null }
}
const stage = (name: string, images: number, startedAt: number, finishedAt: number | null, fraction = finishedAt === null ? 0 : 1): RoundStage => ({ name, images, startedAt, finishedAt, fraction })

describe('stageViews', () => {
  it('the first round: finished stages have a rate, the running one its own share and the ETA at its speed', () => {
    const running = round(1, [stage('reading', 1000, 0, 2000), stage('training', 1000, 2000, null, 0.25)], 'running')
    const v = stageViews(running, null, 6000)
    expect(v.map((s) => s.state)).toEqual(['done', 'running'])
    expect(v[0]).toMatchObject({ fraction: 1, perSecond: 500, etaSeconds: 0 })
    // a quarter in 4 s: 12 s to go
    expect(v[1]!.fraction).toBe(0.25)
    expect(v[1]!.etaSeconds).toBeCloseTo(12)
    // before it has reported anything there is nothing to time it by
    expect(stageViews(round(1, [stage('training', 1000, 2000, null)], 'running'), null, 3000)[0]).toMatchObject({ fraction: 0, etaSeconds: null })
  })

  it('later rounds: stages not reached yet wait with the previous round time, scaled by images', () => {
    const previous = round(1, [stage('reading', 1000, 0, 1000), stage('training', 1000, 1000, 11_000), stage('writing', 1000, 11_000, 12_000)])
    const running = round(2, [stage('reading', 2000, 0, 2000), stage('training', 2000, 2000, null)], 'running')
    const v = stageViews(running, previous, 7000)
    expect(v.map((s) => [s.name, s.state])).toEqual([
      ['reading', 'done'],
      ['training', 'running'],
      ['writing', 'waiting'],
    ])
    // nothing reported yet: the previous round's 10 s, twice the images, 5 s spent
    expect(v[1]!.etaSeconds).toBeCloseTo(15)
    expect(v[2]).toMatchObject({ fraction: 0, etaSeconds: 2 })
    // once it reports, its own speed: 80% in 5 s, 1.25 s to go
    const reported = round(2, [stage('reading', 2000, 0, 2000), stage('training', 2000, 2000, null, 0.8)], 'running')
    expect(stageViews(reported, previous, 7000)[1]!.etaSeconds).toBeCloseTo(1.25)
  })
})
