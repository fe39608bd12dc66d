import { useLabels } from '../../stores/labels'
import { useReview } from '../../stores/review'

/**
 * Which proposals the queue holds (one class or all) and "accept all above the threshold", with
 * the number of waiting proposals above it per class, live as the slider moves.
 */
export function ReviewScope() {
  const { classId, threshold, above, notice, start, setThreshold, acceptAbove } = useReview()
  const classes = useLabels((s) => s.classes)
  const count = (id: number) => above.find((a) => a.classId === id)?.count ?? 0
  const inScope = classId === null ? above.reduce((n, a) => n + a.count, 0) : count(classId)
  const pct = Math.round(threshold * 100)
  return (
    <section className="review-scope" aria-label="Which proposals">
      <label className="row">
        Class
        <select aria-label="Review proposals of" value={classId ?? ''} onChange={(e) => {
            void start(e.target.value === '' ? null : Number(e.target.value))
            // Back to the queue's keys (a, x, 1-9) once the class is chosen.
            e.currentTarget.closest<HTMLElement>('[role="dialog"]')?.focus()
          }}
        >
          <option value="">All classes</option>
          {classes.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.counts.proposed.toLocaleString()} waiting)
            </option>
          ))}
        </select>
      </label>
      <label htmlFor="review-threshold">
        Accept at or above <strong data-testid="threshold-value">{pct}%</strong>
      </label>
      <input id="review-threshold" type="range" min={0} max={1} step={0.01} value={threshold} onChange={(e) => setThreshold(Number(e.target.value))} aria-label="Confidence threshold" aria-valuetext={`${pct}%`} />
      <table data-testid="threshold-counts" aria-label={`Waiting proposals at or above ${pct}%`}>
        <tbody>
          {classes
            .filter((c) => classId === null || c.id === classId)
            .map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td data-testid={`above-${c.name}`}>{count(c.id).toLocaleString()}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <button type="button" className="primary" data-testid="accept-above" disabled={inScope === 0} onClick={() => void acceptAbove()}>
        Accept all {inScope.toLocaleString()} at ≥ {pct}%
      </button>
      {notice && (
        <p className="muted" role="status" data-testid="review-notice">
          {notice}
        </p>
      )}
    </section>
  )
}
