/** Progress of a running round, stage by stage (pure: tested in test/renderer/round-progress.test.ts). */
import type { RoundInfo, RoundStage } from '../../preload/contract'

export interface StageView {
  name: string
  /** 0..1 as the stage reports it from inside. */
  fraction: number
  state: 'done' | 'running' | 'waiting'
  /** Images per second of a finished stage. */
  perSecond: number | null
  /** Seconds this stage still needs: a running one's at its own speed so far, a waiting one's from
   *  the previous round; null when unknown. */
  etaSeconds: number | null
}

const seconds = (s: RoundStage, now: number) => Math.max(0.001, ((s.finishedAt ?? now) - s.startedAt) / 1000)

/**
 * Where each stage of a running round stands: its own reported share, and its seconds left from its
 * speed so far (before it has done anything, from the previous round's time for it, scaled by its
 * images). Stages of the previous round not reached yet are listed as waiting. The whole round's
 * share and ETA come from main (RoundInfo.progress), which weighs the stages by their measured speeds.
 */
export function stageViews(round: RoundInfo, previous: RoundInfo | null, now: number): StageView[] {
  const names = [...new Set([...round.stages.map((s) => s.name), ...(previous?.stages ?? []).map((s) => s.name)])]
  return names.map((name) => {
    const current = round.stages.find((s) => s.name === name)
    const before = previous?.stages.find((s) => s.name === name && s.finishedAt !== null)
    // A stage not yet started works on as many images as the round's first stage.
    const images = current?.images ?? round.stages[0]?.images ?? before?.images ?? 0
    const expected = before ? seconds(before, now) * (images / Math.max(1, before.images)) : null
    if (current?.finishedAt != null) return { name, fraction: 1, state: 'done', perSecond: current.images / seconds(current, now), etaSeconds: 0 }
    if (current) {
      const elapsed = seconds(current, now)
      const f = current.fraction
      const eta = f > 0 ? (elapsed * (1 - f)) / f : expected === null ? null : Math.max(0, expected - elapsed)
      return { name, fraction: f, state: 'running', perSecond: null, etaSeconds: eta }
    }
    return { name, fraction: 0, state: 'waiting', perSecond: null, etaSeconds: expected }
  })
}
