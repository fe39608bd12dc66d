import { useEffect, useState } from 'react'
import type { ClassInfo, RoundInfo } from '../../preload/contract'
import { formatDuration, formatPercent } from '../format'
import { useReview } from '../stores/review'
import { useRounds } from '../stores/rounds'
import { useLabels } from '../stores/labels'
import { classColor } from '../../preload/vocabulary'
import { stageViews } from './round-progress'
import { ReviewerTable } from './ReviewerTable'
import { ZeroShotHint, roundMethod } from './ZeroShotHint'

/** Start and cancel rounds, see what each one did, and open the review queue. */
export function RoundsPanel() {
  const { rounds, stage, error, audit, load, start, cancel } = useRounds()
  const proposed = useLabels((s) => s.classes.reduce((n, c) => n + c.counts.proposed, 0))
  const classes = useLabels((s) => s.classes)
  const running = rounds.find((r) => r.status === 'running')
  const done = rounds.filter((r) => r.status === 'done')

  useEffect(() => {
    void load()
  }, [load])

  return (
    <section className="rounds-panel" aria-labelledby="rounds-title">
      <h2 id="rounds-title">Rounds</h2>
      <div className="row">
        {running ? (
          <button type="button" onClick={() => void cancel()}>
            Cancel round
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void start()}>
            Run a round
          </button>
        )}
        {running && <span className="muted">{stage ?? 'running'}…</span>}
      </div>
      <ZeroShotHint />
      {running && <RoundProgress round={running} previous={done.at(-1) ?? null} />}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <button type="button" onClick={() => void useReview.getState().start()} disabled={proposed === 0} data-testid="review-button">
        Review {proposed.toLocaleString()} proposals
      </button>
      <button type="button" onClick={() => void useReview.getState().audit(10)} disabled={proposed === 0} title="A random sample of 10 proposals per class, to estimate each class's precision">
        Spot-check 10 per class
      </button>
      {audit && audit.classes.some((c) => c.sampled > 0) && (
        <table className="rounds-table" data-testid="audit-table" aria-label="Estimated precision of the proposals">
          <thead>
            <tr>
              <th>Class</th>
              <th title="Judged of sampled">Checked</th>
              <th title="Right of judged, with its 95% Wilson interval">Precision</th>
            </tr>
          </thead>
          <tbody>
            {audit.classes
              .filter((c) => c.sampled > 0)
              .map((c) => (
                <tr key={c.classId}>
                  <td>{c.name}</td>
                  <td>
                    {c.checked}/{c.sampled}
                  </td>
                  <td>{c.precision === null ? '–' : `${formatPercent(c.precision)} (${formatPercent(c.low)}–${formatPercent(c.high)})`}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {audit && audit.reviewers.length > 1 && <ReviewerTable reviewers={audit.reviewers} agreement={audit.agreement} />}
      {rounds.length > 0 && (
        <table className="rounds-table" data-testid="rounds-table">
          <thead>
            <tr>
              <th>#</th>
              <th title="k-fold accuracy of the head on the human labels">Acc.</th>
              <th title="Expected calibration error">ECE</th>
              <th>Prop.</th>
            </tr>
          </thead>
          <tbody>
            {rounds.map((r) => (
              <tr key={r.id} title={r.error ?? Object.entries(r.proposalsPerClass).map(([c, n]) => `${c}: ${n}`).join(', ')}>
                <td title={roundMethod(r).title}>
                  {r.id}
                  {roundMethod(r).tag && <span className="muted"> {roundMethod(r).tag}</span>}
                </td>
                {r.status === 'done' ? (
                  <>
                    <td>{formatPercent(r.kfoldAccuracy)}</td>
                    <td>{r.ece === null ? '–' : r.ece.toFixed(3)}</td>
                    <td>{r.proposals.toLocaleString()}</td>
                  </>
                ) : (
                  <td colSpan={3} className="muted">
                    {r.status}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {done.length > 0 && <RoundCharts rounds={done} classes={classes} />}
    </section>
  )
}

// ---- progress of the running round ----

function RoundProgress({ round, previous }: { round: RoundInfo; previous: RoundInfo | null }) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(t)
  }, [])
  const views = stageViews(round, previous, now)
  const whole = round.progress
  return (
    <div className="round-progress" data-testid="round-progress" aria-live="polite">
      <div className="stage stage-running round-whole">
        <div className="stage-head">
          <span>Round {round.id}</span>
          <span className="muted num" data-testid="round-eta">
            {whole?.fraction != null && `${formatPercent(whole.fraction)}`}
            {whole?.etaSeconds != null && ` · about ${formatDuration(whole.etaSeconds)} left`}
          </span>
        </div>
        {/* value absent: an indeterminate bar (a first round: the stages to come have no time yet) */}
        <progress aria-label="round progress" max={1} {...(whole?.fraction == null ? {} : { value: whole.fraction })} />
      </div>
      {views.map((v) => (
        <div key={v.name} className={`stage stage-${v.state}`}>
          <div className="stage-head">
            <span>{v.name}</span>
            <span className="muted num">
              {v.state === 'done' && v.perSecond !== null && `${Math.round(v.perSecond).toLocaleString()} img/s`}
              {v.state === 'running' && v.etaSeconds !== null && `~${formatDuration(v.etaSeconds)}`}
            </span>
          </div>
          <progress aria-label={`${v.name} progress`} max={1} value={v.fraction} />
        </div>
      ))}
      {whole?.etaSeconds == null && <p className="muted hint">The whole round's time is known from the second round on; each stage times itself.</p>}
    </div>
  )
}

// ---- charts across rounds ----

interface Series {
  name: string
  color: string
  values: (number | null)[]
}

const W = 200
const H = 64
const PAD = { l: 26, r: 4, t: 4, b: 12 }

/** A small line chart: one x per round, y from `lo` to `hi`; each point has a tooltip. */
function LineChart({ title, rounds, series, lo, hi, format }: { title: string; rounds: number[]; series: Series[]; lo: number; hi: number; format: (v: number) => string }) {
  const x = (i: number) => PAD.l + (rounds.length === 1 ? (W - PAD.l - PAD.r) / 2 : (i * (W - PAD.l - PAD.r)) / (rounds.length - 1))
  const y = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo || 1)) * (H - PAD.t - PAD.b)
  const summary = series.map((s) => `${s.name}: ${s.values.map((v, i) => `round ${rounds[i]} ${v === null ? 'none' : format(v)}`).join(', ')}`).join('; ')
  return (
    <figure className="chart">
      <figcaption>
        {title}
        {series.length > 1 && (
          <span className="legend">
            {series.map((s) => (
              <span key={s.name}>
                <span className="swatch" style={{ background: s.color }} /> {s.name}
              </span>
            ))}
          </span>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${title}. ${summary}`}>
        {[lo, hi].map((v) => (
          <g key={v}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} className="grid-line" />
            <text x={PAD.l - 3} y={y(v) + 3} textAnchor="end" className="axis">
              {format(v)}
            </text>
          </g>
        ))}
        {rounds.map((r, i) => (
          <text key={r} x={x(i)} y={H - 1} textAnchor="middle" className="axis">
            {r}
          </text>
        ))}
        {series.map((s) => {
          const points = s.values.flatMap((v, i) => (v === null ? [] : [[x(i), y(v), v, i] as const]))
          return (
            <g key={s.name} style={{ color: s.color }}>
              {points.length > 1 && <polyline points={points.map(([px, py]) => `${px},${py}`).join(' ')} fill="none" stroke="currentColor" strokeWidth={1.5} />}
              {points.map(([px, py, v, i]) => (
                <circle key={i} cx={px} cy={py} r={2.5} fill="currentColor">
                  <title>{`Round ${rounds[i]}: ${s.name} ${format(v)}`}</title>
                </circle>
              ))}
            </g>
          )
        })}
      </svg>
    </figure>
  )
}

/** Proposals per class, one stacked bar per round in the classes' colours. */
function ProposalChart({ rounds, classes }: { rounds: RoundInfo[]; classes: ClassInfo[] }) {
  const names = [...new Set([...classes.map((c) => c.name), ...rounds.flatMap((r) => Object.keys(r.proposalsPerClass))])]
  const colour = (name: string) => {
    const i = classes.findIndex((c) => c.name === name)
    return i < 0 ? 'var(--muted)' : classColor(i, classes[i]!.color)
  }
  const max = Math.max(1, ...rounds.map((r) => Object.values(r.proposalsPerClass).reduce((a, b) => a + b, 0)))
  const slot = (W - PAD.l - PAD.r) / rounds.length
  const barW = Math.min(24, slot * 0.7)
  const y = (v: number) => PAD.t + (1 - v / max) * (H - PAD.t - PAD.b)
  const summary = rounds.map((r) => `round ${r.id}: ${names.map((n) => `${n} ${r.proposalsPerClass[n] ?? 0}`).join(', ')}`).join('; ')
  return (
    <figure className="chart">
      <figcaption>
        Proposals per class
        <span className="legend">
          {names.map((n) => (
            <span key={n}>
              <span className="swatch" style={{ background: colour(n) }} /> {n}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Proposals per class. ${summary}`}>
        {[0, max].map((v) => (
          <g key={v}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} className="grid-line" />
            <text x={PAD.l - 3} y={y(v) + 3} textAnchor="end" className="axis">
              {v.toLocaleString()}
            </text>
          </g>
        ))}
        {rounds.map((r, i) => {
          const cx = PAD.l + slot * (i + 0.5)
          let acc = 0
          return (
            <g key={r.id}>
              {names.map((n) => {
                const v = r.proposalsPerClass[n] ?? 0
                if (v === 0) return null
                const top = y(acc + v)
                const h = y(acc) - top
                acc += v
                return (
                  <rect key={n} x={cx - barW / 2} y={top} width={barW} height={h} fill={colour(n)}>
                    <title>{`Round ${r.id}: ${n} ${v.toLocaleString()}`}</title>
                  </rect>
                )
              })}
              <text x={cx} y={H - 1} textAnchor="middle" className="axis">
                {r.id}
              </text>
            </g>
          )
        })}
      </svg>
    </figure>
  )
}

function RoundCharts({ rounds, classes }: { rounds: RoundInfo[]; classes: ClassInfo[] }) {
  const ids = rounds.map((r) => r.id)
  const quality: Series[] = [{ name: 'k-fold accuracy', color: 'var(--accent)', values: rounds.map((r) => r.kfoldAccuracy) }]
  // The audited precision of each round's proposals (overall), once any round has spot-check verdicts.
  if (rounds.some((r) => r.auditedPrecision != null)) quality.push({ name: 'audited precision', color: 'var(--warn)', values: rounds.map((r) => r.auditedPrecision?.overall ?? null) })
  const qualityValues = quality.flatMap((s) => s.values).filter((v): v is number => v !== null)
  // Accuracy lives near the top: show from a round-number floor below the lowest value, not from 0.
  const lo = Math.max(0, Math.floor((Math.min(1, ...qualityValues) - 0.05) * 10) / 10)
  const eces = rounds.map((r) => r.ece)
  const eceMax = Math.max(0.05, ...eces.filter((v): v is number => v !== null))
  return (
    <div className="round-charts" data-testid="round-charts">
      <LineChart title={quality.length > 1 ? 'Accuracy and precision' : 'k-fold accuracy'} rounds={ids} series={quality} lo={lo} hi={1} format={(v) => `${Math.round(v * 100)}%`} />
      <LineChart title="Calibration error (ECE)" rounds={ids} series={[{ name: 'ECE', color: 'var(--accent)', values: eces }]} lo={0} hi={Math.ceil(eceMax * 100) / 100} format={(v) => v.toFixed(2)} />
      <ProposalChart rounds={rounds} classes={classes} />
    </div>
  )
}
