import { useEffect } from 'react'
import { useRounds, useReview } from '../stores/rounds'
import { useLabels } from '../stores/labels'

const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`)

/** Start and cancel rounds, see what each one did, and open the review queue. */
export function RoundsPanel() {
  const { rounds, stage, error, audit, load, start, cancel } = useRounds()
  const proposed = useLabels((s) => s.classes.reduce((n, c) => n + c.counts.proposed, 0))
  const running = rounds.some((r) => r.status === 'running')

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
                  <td>{c.precision === null ? '–' : `${pct(c.precision)} (${pct(c.low)}–${pct(c.high)})`}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
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
                <td>{r.id}</td>
                {r.status === 'done' ? (
                  <>
                    <td>{pct(r.kfoldAccuracy)}</td>
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
    </section>
  )
}
