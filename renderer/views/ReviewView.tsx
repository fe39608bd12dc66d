import { useEffect, useRef } from 'react'
import type { ImageInfo } from '../../preload/contract'
import { decide, typingInField } from '../decisions'
import { useLabels } from '../stores/labels'
import { useReview } from '../stores/review'
import { studio } from '../transport'
import { LabelBadge } from './LabelBadge'

/**
 * The review queue: the proposals, most confident first, one decision per keystroke (a accept,
 * x reject, 1-9 relabel, space skip, Backspace undo, Esc close), the next image already loaded.
 * Stepping back shows the image as it now is (accepted, relabelled...), and its keys act on that.
 */
const TITLES = { review: 'Review proposals', label: 'Label suggested images', audit: 'Spot-check proposals' } as const

/** What the queue says of its image's class: a proposal until someone decided. */
const CLASS_CAPTION: Record<ImageInfo['status'], string> = { proposed: 'Proposed', accepted: 'Accepted', rejected: 'Rejected', human: 'Labelled', unlabelled: 'Proposed' }

export function ReviewView() {
  const { kind, queue, position, open, step, close } = useReview()
  const classes = useLabels((s) => s.classes)
  const dialog = useRef<HTMLDivElement>(null)
  const image = queue[position]
  const upcoming = queue.slice(position + 1, position + 3)

  useEffect(() => {
    if (!open) return
    dialog.current?.focus()
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey) return
      // The class list and the threshold slider keep their own keys (arrows move the slider).
      if (typingInField(e.target) && e.key !== 'Escape') return
      const current = useReview.getState().queue[useReview.getState().position]
      if (e.key === 'Escape') close()
      else if (e.key === ' ' || e.key === 'ArrowRight') step(1)
      else if (e.key === 'ArrowLeft') step(-1)
      else if (e.key === 'Backspace') {
        void useLabels.getState().undo()
        step(-1)
      } else if (current && decide(current, e.key)) step(1)
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [open, step, close])

  if (!open) return null
  const cls = image ? classes.find((c) => c.id === image.classId) : undefined
  return (
    <div className="viewer-backdrop">
      <div className="viewer review" role="dialog" aria-modal="true" aria-label={TITLES[kind]} tabIndex={-1} ref={dialog}>
        <div className="viewer-image">
          {image ? (
            <img data-testid="review-image" src={studio.mediaUrl('original', image.relPath)} alt={image.relPath} />
          ) : (
            <p className="review-done">All {queue.length} images in this queue have been seen.</p>
          )}
          {upcoming.map((u) => (
            <link key={u.id} rel="preload" as="image" href={studio.mediaUrl('original', u.relPath)} />
          ))}
        </div>
        <aside className="viewer-facts">
          <h2>{TITLES[kind]}</h2>
          <p data-testid="review-progress">
            {Math.min(position + 1, queue.length)} of {queue.length}
          </p>
          {image && kind === 'label' && (
            <>
              <p className="review-proposal">Which class is it?</p>
              <LabelBadge image={image} />
            </>
          )}
          {image && kind !== 'label' && (
            <>
              <p className="review-proposal">
                {CLASS_CAPTION[image.status]}: <strong data-testid="review-class">{cls?.name ?? '?'}</strong>
                {image.confidence !== null && <span className="muted"> at {Math.round(image.confidence * 100)}% confidence</span>}
              </p>
              <LabelBadge image={image} />
              <p className="muted">{image.relPath}</p>
            </>
          )}
          {kind === 'review' && <ReviewScope />}
          <ul className="keys">
            {kind !== 'label' && (
              <li>
                <kbd>a</kbd> accept · <kbd>x</kbd> reject
              </li>
            )}
            <li>
              <kbd>1</kbd>–<kbd>9</kbd> {kind === 'label' ? 'its class' : 'it is another class'}:{' '}
              {classes
                .slice(0, 9)
                .map((c, i) => `${i + 1} ${c.name}`)
                .join(', ')}
            </li>
            <li>
              <kbd>space</kbd> skip · <kbd>⌫</kbd> undo · <kbd>Esc</kbd> close
            </li>
          </ul>
          <button type="button" onClick={close}>
            Close
          </button>
        </aside>
      </div>
    </div>
  )
}

/**
 * Which proposals the queue holds (one class or all) and "accept all above the threshold", with
 * the number of waiting proposals above it per class, live as the slider moves.
 */
function ReviewScope() {
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
