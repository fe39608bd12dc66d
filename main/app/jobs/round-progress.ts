/**
 * The progress of a running round as a whole, from its stages' own fractions (pure, clock given:
 * tested in test/selftrain/round-progress.test.ts).
 *
 * Seconds left: the running stage's from its own speed so far (elapsed x (1 - f) / f); stages not
 * started yet from how long they took in the previous round, scaled by images. The share done then
 * follows the clock: each update takes the time that passed as its part of the time left
 * (shown += (1 - shown) * dt / (dt + left)), which is exact while the estimates hold, never goes
 * back when they change (the bar slows instead) and reaches 1 only when nothing is left.
 */
import type { RoundProgress, RoundStage } from '../../../preload/contract'

/** Below this share done, a stage's own speed is too young to trust over the previous round's time for it. */
const YOUNG = 0.1

export class RoundEstimate {
  readonly stages: RoundStage[] = []
  private shown = 0
  private lastAt: number | null = null

  /** `previous`: the last finished round's stages (none for a first round); `images`: this round's. */
  constructor(
    private readonly previous: readonly RoundStage[],
    private readonly images: number,
  ) {}

  /** The stage now running, if any. */
  get current(): RoundStage | null {
    const last = this.stages.at(-1)
    return last && last.finishedAt === null ? last : null
  }

  /** Ends the running stage and starts `name` (null: the round's end). */
  enter(name: string | null, now: number): void {
    this.progress(now)
    const last = this.current
    if (last) {
      last.finishedAt = now
      last.fraction = 1
    }
    if (name !== null) this.stages.push({ name, images: this.images, startedAt: now, finishedAt: null, fraction: 0 })
  }

  /** Work done in stage `name` (entering it first when it is not the running one); fractions only grow. */
  advance(name: string, done: number, total: number, now: number): void {
    if (this.current?.name !== name) this.enter(name, now)
    const stage = this.current!
    const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0
    stage.fraction = Math.max(stage.fraction, f)
  }

  /** The whole round's share done and seconds left at `now`; call it with a clock that does not go back. */
  progress(now: number): RoundProgress {
    const left = this.secondsLeft(now)
    if (this.lastAt !== null && left !== null && now > this.lastAt) {
      const dt = (now - this.lastAt) / 1000
      this.shown += (1 - this.shown) * (dt / (dt + left))
    }
    this.lastAt = now
    const running = this.current !== null || this.stages.length === 0
    if (!running) this.shown = 1
    return { fraction: left === null && this.shown === 0 && running ? null : this.shown, etaSeconds: running ? left : 0 }
  }

  /** Seconds the round still needs, or null when a stage still to come has no estimate. */
  secondsLeft(now: number): number | null {
    const seen = new Set(this.stages.map((s) => s.name))
    const current = this.current
    let left = 0
    if (current) {
      const own = this.ownLeft(current, now)
      const before = this.previousSeconds(current.name)
      const fromBefore = before === null ? null : Math.max(0, before - (now - current.startedAt) / 1000)
      const pick = own !== null && (current.fraction >= YOUNG || fromBefore === null) ? own : fromBefore
      if (pick === null) return null
      left += pick
    }
    // The stages to come are the previous round's that this one has not reached; in a first round
    // there is nothing to say how many there are, nor how long they take.
    if (this.previous.length === 0 && current !== null) return null
    for (const s of this.previous) if (!seen.has(s.name)) left += this.previousSeconds(s.name) ?? 0
    return left
  }

  /** Seconds left in the running stage at its own speed so far; null before it has done anything. */
  private ownLeft(stage: RoundStage, now: number): number | null {
    const elapsed = (now - stage.startedAt) / 1000
    if (stage.fraction <= 0 || elapsed <= 0) return null
    return (elapsed * (1 - stage.fraction)) / stage.fraction
  }

  /** How long stage `name` took in the previous round, scaled to this round's images; null when it did not run there. */
  private previousSeconds(name: string): number | null {
    const s = this.previous.find((p) => p.name === name && p.finishedAt !== null)
    if (!s) return null
    return (((s.finishedAt! - s.startedAt) / 1000) * this.images) / Math.max(1, s.images)
  }
}
