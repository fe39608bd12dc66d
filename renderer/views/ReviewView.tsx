import { useEffect, useRef } from 'react'
import { decide } from '../decisions'
import { useLabels } from '../stores/labels'
import { useReview } from '../stores/rounds'
import { studio } from '../transport'
import { LabelBadge } from './LabelBadge'

/**
 * The review queue: the proposals, most confident first, one decision per keystroke (a accept,
 * x reject, 1-9 relabel, space skip, Backspace undo, Esc close), the next image already loaded.
 */
const TITLES = { review: 'Review proposals', label: 'Label suggested images', audit: 'Spot-check proposals' } as const

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
          {image && kind === 'label' && <p className="review-proposal">Which class is it?</p>}
          {image && kind !== 'label' && (
            <>
              <p className="review-proposal">
                Proposed: <strong data-testid="review-class">{cls?.name ?? '?'}</strong>
                {image.confidence !== null && <span className="muted"> at {Math.round(image.confidence * 100)}% confidence</span>}
              </p>
              <LabelBadge image={image} />
              <p className="muted">{image.relPath}</p>
            </>
          )}
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
