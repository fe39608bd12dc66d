import { useEffect, useRef } from 'react'
import type { ImageInfo } from '../../../preload/contract'
import { decide, labelImage, pickClassFor } from '../../decisions'
import { PICK_KEY, typingInField, useKeys } from '../../keymap'
import { useLabels } from '../../stores/labels'
import { useReview } from '../../stores/review'
import { studio } from '../../transport'
import { cycleFocus } from '../Dialog'
import { LabelBadge } from '../LabelBadge'
import { ReviewScope } from './ReviewScope'

/**
 * The review queue: the proposals, most confident first, one decision per keystroke (a accept,
 * x reject, 1-9 relabel, c relabel with any class by name (the class picker), space skip, Backspace undo, Esc close), the next image already loaded.
 * Stepping back shows the image as it now is (accepted, relabelled...), and its keys act on that.
 * Possible mistakes (human labels the held-out heads contradict) take k keep (checked: not flagged
 * again until the label changes) and f fix (to the suggested class) instead of a and x.
 */
const TITLES = { review: 'Review proposals', label: 'Label suggested images', audit: 'Spot-check proposals', mistakes: 'Possible mistakes' } as const

/** The keys of the possible-mistakes queue. */
export const KEEP_KEY = 'k'
export const FIX_KEY = 'f'

/** k and f on a possible mistake; true when the key was one of them. */
function mistakeKeys(key: string, image: ImageInfo): boolean {
  const { issues, markKept } = useReview.getState()
  const issue = issues[image.id]
  if (!issue) return false
  if (key === KEEP_KEY) {
    void useLabels.getState().keep([image.id])
    markKept(image.id, true)
    return true
  }
  if (key === FIX_KEY) {
    const cls = useLabels.getState().classes.find((c) => c.id === issue.suggestedClassId)
    if (!cls) return false
    labelImage(image, cls)
    markKept(image.id, false)
    return true
  }
  return false
}

/** What the queue says of its image's class: a proposal until someone decided. */
const CLASS_CAPTION: Record<ImageInfo['status'], string> = { proposed: 'Proposed', accepted: 'Accepted', rejected: 'Rejected', human: 'Labelled', unlabelled: 'Proposed' }

/** The queue's keys, while it is open (over every other view). */
function reviewKeys(e: KeyboardEvent, box: HTMLElement | null): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey) return false
  // Tab stays inside the queue: the fields behind it would take the keys typed next.
  if (e.key === 'Tab') {
    cycleFocus(box, e.shiftKey)
    return true
  }
  // The class list and the threshold slider keep their own keys (arrows move the slider).
  if (typingInField(e.target) && e.key !== 'Escape') return false
  const { queue, position, step, close, kind, checking, markKept } = useReview.getState()
  const current = queue[position]
  if (e.key === 'Escape') close()
  else if (checking) return false
  else if (kind === 'mistakes' && current && mistakeKeys(e.key, current)) step(1)
  else if (e.key === ' ' || e.key === 'ArrowRight') step(1)
  else if (e.key === 'ArrowLeft') step(-1)
  else if (e.key === PICK_KEY && current) pickClassFor(current, () => step(1))
  else if (e.key === 'Backspace') {
    void useLabels.getState().undo()
    step(-1)
    const back = queue[Math.max(0, position - 1)]
    if (kind === 'mistakes' && back) markKept(back.id, false)
  } else if (current && decide(current, e.key)) step(1)
  else return false
  return true
}

export function ReviewView() {
  const { kind, queue, position, open, close, issues, kept, checking, cancelCheck } = useReview()
  const classes = useLabels((s) => s.classes)
  const dialog = useRef<HTMLDivElement>(null)
  const image = queue[position]
  const upcoming = queue.slice(position + 1, position + 3)

  useKeys('review', (e) => reviewKeys(e, dialog.current), { active: open })
  useEffect(() => {
    if (open) dialog.current?.focus()
  }, [open])

  if (!open) return null
  const cls = image ? classes.find((c) => c.id === image.classId) : undefined
  const className = (id: number) => classes.find((c) => c.id === id)?.name ?? '?'
  const issue = image && kind === 'mistakes' ? issues[image.id] : undefined
  const pct = (p: number) => `${Math.round(p * 100)}%`
  return (
    <div className="viewer-backdrop">
      <div className="viewer review" role="dialog" aria-modal="true" aria-label={TITLES[kind]} tabIndex={-1} ref={dialog}>
        <div className="viewer-image">
          {checking ? (
            <div className="review-done" data-testid="mistakes-checking">
              <p>Checking every human label with heads that never saw it…</p>
              <progress max={checking.total || 1} value={checking.done} aria-label="Folds done" />
              <p className="muted">{checking.total ? `${checking.done.toFixed(1)} of ${checking.total} folds` : 'reading the embeddings'}</p>
              <button type="button" onClick={cancelCheck}>
                Cancel
              </button>
            </div>
          ) : image ? (
            <img data-testid="review-image" src={studio.mediaUrl('original', image.relPath)} alt={image.relPath} />
          ) : kind === 'mistakes' && queue.length === 0 ? (
            <p className="review-done">No possible mistakes: the held-out heads agree with every human label you have not already kept.</p>
          ) : (
            <p className="review-done">All {queue.length} images in this queue have been seen.</p>
          )}
          {upcoming.map((u) => (
            <link key={u.id} rel="preload" as="image" href={studio.mediaUrl('original', u.relPath)} />
          ))}
        </div>
        <aside className="viewer-facts">
          <h2>{TITLES[kind]}</h2>
          {!checking && (
            <p data-testid="review-progress">
              {Math.min(position + 1, queue.length)} of {queue.length}
            </p>
          )}
          {image && kind === 'label' && (
            <>
              <p className="review-proposal">Which class is it?</p>
              <LabelBadge image={image} />
            </>
          )}
          {image && issue && (
            <>
              <p className="review-proposal">
                Labelled <strong data-testid="mistake-given">{className(issue.classId)}</strong> <span className="muted">(p {pct(issue.pGiven)})</span>
              </p>
              <p className="review-proposal">
                The head suggests <strong data-testid="mistake-suggested">{className(issue.suggestedClassId)}</strong> <span className="muted">(p {pct(issue.pSuggested)})</span>
              </p>
              <p data-testid="mistake-state">{kept[image.id] ? `Kept as ${cls?.name ?? '?'}` : image.classId !== issue.classId ? `Fixed: now ${cls?.name ?? 'unlabelled'}` : 'Not decided yet'}</p>
              <LabelBadge image={image} />
              <p className="muted">{image.relPath}</p>
            </>
          )}
          {image && kind !== 'label' && kind !== 'mistakes' && (
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
            {kind === 'mistakes' && (
              <li>
                <kbd>{KEEP_KEY}</kbd> keep the label · <kbd>{FIX_KEY}</kbd> fix it to the suggested class
              </li>
            )}
            {kind !== 'label' && kind !== 'mistakes' && (
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
              <kbd>c</kbd> {classes.length > 9 ? `any of the ${classes.length} classes, by name` : 'pick the class by name'}
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
