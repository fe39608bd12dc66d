import { useEffect, useRef, useState } from 'react'
import type { LabelEvent } from '../../preload/contract'
import { decide } from '../decisions'
import { useGrid } from '../stores/grid'
import { useLabels } from '../stores/labels'
import { studio } from '../transport'
import { LabelBadge } from './LabelBadge'

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

function describeEvent(e: LabelEvent, className: (id: number | null) => string): string {
  const cls = className(e.classId)
  if (e.classId === null) return 'label cleared'
  if (e.source === 'pseudo' && e.state === 'proposed') return `${cls} proposed${e.confidence !== null ? ` (${Math.round(e.confidence * 100)}%)` : ''}`
  if (e.source === 'pseudo') return `${cls} ${e.state}`
  return e.state === 'relabelled' ? `relabelled ${cls}` : `labelled ${cls}`
}

/**
 * One image at full size with its facts and label history. Keys: 1-9 label, 0 clear, a accept,
 * x reject (each moves to the next image), space skip, Backspace undo and go back, arrows step,
 * Esc close. The next image is preloaded so a decision never waits on the network.
 */
export function Viewer() {
  const viewing = useGrid((s) => s.viewing)
  const total = useGrid((s) => s.total)
  useGrid((s) => s.pages)
  const classes = useLabels((s) => s.classes)
  const { imageAt, view, ensure } = useGrid.getState()
  const dialog = useRef<HTMLDivElement>(null)
  const image = viewing === null ? undefined : imageAt(viewing)
  const next = viewing === null ? undefined : imageAt(viewing + 1)
  const [history, setHistory] = useState<LabelEvent[]>([])

  useEffect(() => {
    if (!image) return
    let live = true
    studio.call('images.history', { imageId: image.id }).then(
      (events) => live && setHistory(events),
      () => live && setHistory([]),
    )
    return () => {
      live = false
    }
  }, [image])

  useEffect(() => {
    if (viewing === null) return
    ensure(viewing - 1, viewing + 2)
    dialog.current?.focus()
    function onKey(e: globalThis.KeyboardEvent) {
      if (viewing === null || e.ctrlKey || e.metaKey || e.altKey) return
      const current = imageAt(viewing)
      const step = (to: number) => view(Math.max(0, Math.min(total - 1, to)))
      if (e.key === 'Escape') view(null)
      else if (e.key === 'ArrowRight' || e.key === ' ') step(viewing + 1)
      else if (e.key === 'ArrowLeft') step(viewing - 1)
      else if (e.key === 'Backspace') {
        void useLabels.getState().undo()
        step(viewing - 1)
      } else if (current && decide(current, e.key)) step(viewing + 1)
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [viewing, total, view, ensure, imageAt])

  if (viewing === null) return null
  const className = (id: number | null) => classes.find((c) => c.id === id)?.name ?? `class ${id}`
  return (
    <div className="viewer-backdrop" onClick={() => view(null)}>
      <div className="viewer" role="dialog" aria-modal="true" aria-label={image?.relPath ?? 'Image'} tabIndex={-1} ref={dialog} onClick={(e) => e.stopPropagation()}>
        <div className="viewer-image">
          {image && <img data-testid="viewer-image" src={studio.mediaUrl('original', image.relPath)} alt={image.relPath} />}
          {/* The next image, loaded while this one is looked at. */}
          {next && <link rel="preload" as="image" href={studio.mediaUrl('original', next.relPath)} />}
        </div>
        <aside className="viewer-facts">
          <h2>{image?.relPath.split('/').pop()}</h2>
          {image && <LabelBadge image={image} />}
          {image && (
            <dl>
              <dt>Path</dt>
              <dd>{image.relPath}</dd>
              <dt>Size</dt>
              <dd>
                {image.width} × {image.height} px
              </dd>
              <dt>Format</dt>
              <dd>{image.format.toUpperCase()}</dd>
              <dt>File</dt>
              <dd>
                {formatBytes(image.bytes)}
                {image.fileCount > 1 && ` · ${image.fileCount} identical files`}
              </dd>
            </dl>
          )}
          {history.length > 0 && (
            <section aria-label="Label history">
              <h3>History</h3>
              <ol className="history" data-testid="label-history">
                {history.map((e) => (
                  <li key={e.id} className={e.undone ? 'undone' : ''}>
                    {describeEvent(e, className)} <span className="muted">· {e.actor} · {new Date(e.at).toLocaleString()}</span>
                  </li>
                ))}
              </ol>
            </section>
          )}
          <p className="muted">
            {viewing + 1} of {total} · 1–9 label · a accept · x reject · space skip · ⌫ undo · Esc close
          </p>
          <div className="row">
            <button type="button" onClick={() => view(viewing - 1)} disabled={viewing === 0}>
              Previous
            </button>
            <button type="button" onClick={() => view(viewing + 1)} disabled={viewing >= total - 1}>
              Next
            </button>
            <button type="button" onClick={() => view(null)}>
              Close
            </button>
          </div>
        </aside>
      </div>
    </div>
  )
}
