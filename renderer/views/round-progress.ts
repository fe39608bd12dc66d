/** Progress of a running round, stage by stage (pure: tested in test/renderer/round-progress.test.ts). */
import type { RoundInfo, RoundStage } from '../../preload/contract'

export interface StageView {
  name: string
  /** 0..1, or null when there is nothing to measure it against yet (the first round). */
  fraction: number | null
  state: 'done' | 'running' | 'waiting'
  /** Images per second of a finished stage. */
  perSecond: number | null
  /** Seconds this stage still needs, estimated from the previous round; null when unknown. */
  etaSeconds: number | null
}

const seconds = (s: RoundStage, now: number) => Math.max(0.001, ((s.finishedAt ?? now) - s.startedAt) / 1000)

/**
 * Where each stage of a running round stands. The round reports stage boundaries only (training
 * runs whole in a worker), so a running stage's share and the ETA come from how long the same stage
 * took in the previous round, scaled by its number of images: honest about being an estimate, and
 * absent (an indeterminate bar) before there is a previous round.
 */
export function stageViews(round: RoundInfo, previous: RoundInfo | null, now: number): StageView[] {
  const names = [...new Set([...(previous?.stages ?? []).map((s) => s.name), ...round.stages.map((s) => s.name)])]
  return names.map((name) => {
    const current = round.stages.find((s) => s.name === name)
    const before = previous?.stages.find((s) => s.name === name && s.finishedAt !== null)
    // A stage not yet started works on as many images as the round's first stage.
    const images = current?.images ?? round.stages[0]?.images ?? before?.images ?? 0
    const expected = before ? seconds(before, now) * (images / Math.max(1, before.images)) : null
    if (current?.finishedAt != null) return { name, fraction: 1, state: 'done', perSecond: current.images / seconds(current, now), etaSeconds: 0 }
    if (current) {
      const elapsed = seconds(current, now)
      // Past the estimate the bar waits near its end rather than claiming to be done.
      return { name, fraction: expected ? Math.min(0.97, elapsed / expected) : null, state: 'running', perSecond: null, etaSeconds: expected ? Math.max(1, expected - elapsed) : null }
    }
    return { name, fraction: 0, state: 'waiting', perSecond: null, etaSeconds: expected }
  })
}
