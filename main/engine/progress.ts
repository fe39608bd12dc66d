/**
 * Rate and ETA for long jobs, reported at most a few times a second so that progress events never
 * flood a transport.
 */
export class ProgressMeter {
  private readonly started = performance.now()
  private last = 0

  constructor(private readonly intervalMs = 200) {}

  /** True when a report is worth sending now: the first, the last, or one per interval. */
  due(done: number, total: number): boolean {
    const now = performance.now()
    if (done === total || done === 1 || now - this.last >= this.intervalMs) {
      this.last = now
      return true
    }
    return false
  }

  report(done: number, total: number): { done: number; total: number; perSecond: number; etaSeconds: number | null } {
    const seconds = (performance.now() - this.started) / 1000
    const perSecond = seconds > 0 ? done / seconds : 0
    const etaSeconds = perSecond > 0 && total > 0 ? Math.max(0, (total - done) / perSecond) : null
    return { done, total, perSecond, etaSeconds }
  }
}
