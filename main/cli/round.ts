/**
 * `round <folder> [--strategy S] [--param P] [--rounds N] [--accept-above P] [--json] [--wait S]`:
 * self-training rounds as the studio runs them (the same round job, in a worker thread): each
 * trains on the human and accepted labels and proposes pseudo-labels for the rest. The teacher runs
 * first where images are not embedded yet (cached ones are skipped). Progress goes to stderr; each
 * round's k-fold accuracy, calibration error and proposals per class to stdout. With
 * --accept-above, the proposals at or above P are accepted after each round, so the next one
 * trains on them. --strategy and --param apply to these rounds only (the studio's settings stay).
 */
import type { RoundInfo, StudioEvent } from '../../preload/contract'
import { STRATEGIES, STRATEGY_NAMES, type StrategyName } from '../../preload/vocabulary'
import { perClassText } from './decisions'
import { CliError, EXIT, ProgressLine, percent, probability, runVerb, wholeNumber, type Session } from './session'

const USAGE = `round <folder> [--strategy S] [--param P] [--rounds N] [--accept-above P] [--json] [--wait SECONDS]
  --strategy S       ${STRATEGY_NAMES.join('|')} (default: the studio's setting)
  --param P          the strategy's knob, 0 to 1 (threshold, floor or share)
  --rounds N         run N rounds one after another (default 1)
  --accept-above P   after each round, accept its proposals with confidence >= P`

export function run(args: string[]): Promise<number> {
  const options = { strategy: { type: 'string' }, param: { type: 'string' }, rounds: { type: 'string', default: '1' }, 'accept-above': { type: 'string' } } as const
  return runVerb(args, { usage: USAGE, options }, async (v) => {
    const strategy = v.option('strategy')
    if (strategy !== undefined && !(STRATEGY_NAMES as readonly string[]).includes(strategy)) throw v.usage(`--strategy must be one of ${STRATEGY_NAMES.join(', ')}, not "${strategy}"`)
    const param = v.option('param') === undefined ? undefined : probability(v.option('param'), 'param', v)
    const count = wholeNumber(v.option('rounds'), 'rounds', 1, v)
    const acceptAbove = v.option('accept-above') === undefined ? undefined : probability(v.option('accept-above'), 'accept-above', v)
    const s = await v.open()
    await s.embed(v.signal)
    const done: (RoundInfo & { accepted: number | null })[] = []
    for (let i = 0; i < count; i++) {
      const r = await oneRound(s, { ...(strategy ? { strategy: strategy as StrategyName } : {}), ...(param !== undefined ? { strategyParam: param } : {}) }, v.signal)
      let accepted: number | null = null
      if (acceptAbove !== undefined) accepted = (await s.call('proposals.acceptAbove', { threshold: acceptAbove })).imageIds.length
      done.push({ ...r, accepted })
      v.say(
        `round ${r.id}: k-fold accuracy ${percent(r.kfoldAccuracy)}, calibration error ${percent(r.ece)}, ${r.proposals} proposals (${perClassText(r.proposalsPerClass)})` +
          (r.trainedOn ? `; trained on ${r.trainedOn.human} human, ${r.trainedOn.accepted} accepted, ${r.trainedOn.unreviewed} unreviewed` : '') +
          (accepted !== null ? `; accepted ${accepted} at >= ${acceptAbove}` : ''),
      )
    }
    const settings = await s.call('settings.get', {})
    const used = (strategy as StrategyName | undefined) ?? settings.strategy
    return { strategy: used, param: param ?? settings.strategyParam ?? STRATEGIES[used].defaultParam, rounds: done }
  })
}

/** Starts a round and waits for its end, its stages on stderr; a failed round is an error (exit 1). */
async function oneRound(s: Session, choice: { strategy?: StrategyName; strategyParam?: number }, signal: AbortSignal): Promise<RoundInfo> {
  const progress = new ProgressLine()
  // The round reports its first stage before rounds.start answers: keep every event, match by id after.
  const seen: StudioEvent[] = []
  let wake = () => {}
  const off = s.on((e) => {
    if (e.type !== 'round.status') return
    seen.push(e)
    wake()
  })
  try {
    const started = await s.call('rounds.start', choice)
    let shown = 0
    let stage = ''
    for (;;) {
      for (; shown < seen.length; shown++) {
        const e = seen[shown]!
        if (e.type === 'round.status' && e.round.id === started.id && e.stage !== 'finished') {
          // Every stage's start is shown; the progress within it as often as the line allows.
          progress.show(progressText(started.id, e.stage, e.round), e.stage !== stage)
          stage = e.stage
        }
      }
      const end = seen.find((e): e is Extract<StudioEvent, { type: 'round.status' }> => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running')
      if (end) {
        progress.end()
        signal.throwIfAborted()
        if (end.round.status === 'cancelled') throw new CliError(`round ${started.id} was cancelled; nothing it computed was written`, EXIT.cancelled)
        if (end.round.status === 'failed') throw new CliError(`round ${started.id} failed: ${end.round.error ?? 'no reason given'}`, EXIT.failed)
        return (await s.call('rounds.list', {})).find((r) => r.id === started.id) ?? end.round
      }
      await new Promise<void>((r) => (wake = r))
    }
  } finally {
    off()
  }
}

/** `round 2: cross-validating 40% (round 23%, about 4 s left)`: the stage, its share, the whole round's where known. */
function progressText(id: number, stage: string, round: RoundInfo): string {
  const share = round.stages.findLast((s) => s.name === stage)?.fraction ?? 0
  const whole = round.progress
  const parts = [whole?.fraction != null ? `round ${percent(whole.fraction)}` : null, whole?.etaSeconds != null ? `about ${Math.ceil(whole.etaSeconds)} s left` : null].filter((p) => p !== null)
  return `round ${id}: ${stage} ${percent(share)}${parts.length ? ` (${parts.join(', ')})` : ''}`
}
