import { useEffect, useRef } from 'react'
import { useGrid } from '../stores/grid'
import { studio } from '../transport'

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** One image at full size with its file facts; Esc closes, arrow keys step through the grid. */
export function Viewer() {
  const viewing = useGrid((s) => s.viewing)
  const total = useGrid((s) => s.total)
  useGrid((s) => s.pages)
  const { imageAt, view, ensure } = useGrid.getState()
  const dialog = useRef<HTMLDivElement>(null)
  const image = viewing === null ? undefined : imageAt(viewing)

  useEffect(() => {
    if (viewing === null) return
    ensure(viewing - 1, viewing + 1)
    dialog.current?.focus()
    function onKey(e: globalThis.KeyboardEvent) {
      if (viewing === null) return
      if (e.key === 'Escape') view(null)
      else if (e.key === 'ArrowRight' && viewing < total - 1) view(viewing + 1)
      else if (e.key === 'ArrowLeft' && viewing > 0) view(viewing - 1)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [viewing, total, view, ensure])

  if (viewing === null) return null
  return (
    <div className="viewer-backdrop" onClick={() => view(null)}>
      <div className="viewer" role="dialog" aria-modal="true" aria-label={image?.relPath ?? 'Image'} tabIndex={-1} ref={dialog} onClick={(e) => e.stopPropagation()}>
        <div className="viewer-image">
          {image && <img data-testid="viewer-image" src={studio.mediaUrl('original', image.relPath)} alt={image.relPath} />}
        </div>
        <aside className="viewer-facts">
          <h2>{image?.relPath.split('/').pop()}</h2>
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
              <dd>{formatBytes(image.bytes)}</dd>
            </dl>
          )}
          <p className="muted">
            {viewing + 1} of {total} · ← → to step, Esc to close
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
