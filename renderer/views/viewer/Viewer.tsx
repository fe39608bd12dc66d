import { useCallback, useEffect, useRef, useState, type PointerEvent } from 'react'
import { decide, pickClassFor } from '../../decisions'
import { PICK_KEY, typingInField, useKeys, type Bindings } from '../../keymap'
import { cycleFocus } from '../Dialog'
import { useGrid } from '../../stores/grid'
import { useLabels } from '../../stores/labels'
import { studio } from '../../transport'
import { ImageFacts, useImageFacts } from './ImageFacts'
import { KEY_STEP, useZoom, WHEEL_STEP } from './zoom'

/**
 * One image at full size with its facts, the last round's top-5 probabilities and its label
 * history. Keys: 1-9 label, c any class by name (the class picker), 0 clear, a accept, x reject
 * (each moves to the next image), space skip,
 * Backspace undo and go back, arrows step, m more like this, + - f zoom, Esc close. The next image
 * is preloaded so a decision never waits on the network.
 */
export function Viewer() {
  const viewing = useGrid((s) => s.viewing)
  const total = useGrid((s) => s.total)
  useGrid((s) => s.pages)
  const classes = useLabels((s) => s.classes)
  const { imageAt, view, ensure } = useGrid.getState()
  const dialog = useRef<HTMLDivElement>(null)
  const frame = useRef<HTMLDivElement>(null)
  const image = viewing === null ? undefined : imageAt(viewing)
  const next = viewing === null ? undefined : imageAt(viewing + 1)
  const facts = useImageFacts(image)
  const [natural, setNatural] = useState({ w: 0, h: 0 })
  const { current: z, zoomAt, toggle, pan, reset, zoomed } = useZoom(frame, viewing !== null, natural)
  const drag = useRef<{ x: number; y: number; id: number } | null>(null)
  const [panning, setPanning] = useState(false)

  const relPath = image?.relPath
  // Each image starts fitted.
  useEffect(() => {
    reset()
    setNatural({ w: 0, h: 0 })
  }, [relPath, reset])

  const moreLikeThis = useCallback(() => {
    if (!image) return
    view(null)
    void useGrid.getState().showSimilar(image)
  }, [image, view])

  useEffect(() => {
    if (viewing === null) return
    ensure(viewing - 1, viewing + 2)
    dialog.current?.focus()
  }, [viewing, total, ensure])

  /** The viewer's keys, while an image is open (the review queue's come first). */
  const viewerKeys: Bindings = (e) => {
    if (viewing === null || e.altKey) return false
    // Tab stays inside the viewer: the fields behind it would take the keys typed next.
    if (e.key === 'Tab' && !e.ctrlKey && !e.metaKey) {
      cycleFocus(dialog.current, e.shiftKey)
      return true
    }
    if (typingInField(e.target) && e.key !== 'Escape') return false
    if ((e.ctrlKey || e.metaKey) && e.key === '0') {
      reset()
      return true
    }
    if (e.ctrlKey || e.metaKey) return false
    const current = imageAt(viewing)
    const step = (to: number) => view(Math.max(0, Math.min(total - 1, to)))
    if (e.key === 'Escape') view(null)
    else if (e.key === '+' || e.key === '=') zoomAt(KEY_STEP)
    else if (e.key === '-') zoomAt(1 / KEY_STEP)
    else if (e.key === 'f') toggle()
    else if (e.key === 'm') moreLikeThis()
    else if (e.key === PICK_KEY && current) pickClassFor(current, () => step(viewing + 1))
    else if (e.key === 'ArrowRight' || e.key === ' ') step(viewing + 1)
    else if (e.key === 'ArrowLeft') step(viewing - 1)
    else if (e.key === 'Backspace') {
      void useLabels.getState().undo()
      step(viewing - 1)
    } else if (current && decide(current, e.key)) step(viewing + 1)
    else return false
    return true
  }
  useKeys('viewer', viewerKeys, { active: viewing !== null })

  // The wheel zooms the image, never the page: a non-passive listener, so that it may prevent the default.
  useEffect(() => {
    const el = frame.current
    if (!el) return
    function onWheel(e: WheelEvent) {
      e.preventDefault()
      const r = el!.getBoundingClientRect()
      zoomAt(Math.exp(-e.deltaY * WHEEL_STEP), e.clientX - r.left, e.clientY - r.top)
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [zoomAt, viewing])

  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    if (!zoomed || e.button !== 0) return
    drag.current = { x: e.clientX, y: e.clientY, id: e.pointerId }
    e.currentTarget.setPointerCapture(e.pointerId)
    setPanning(true)
  }
  function onPointerMove(e: PointerEvent<HTMLDivElement>) {
    const d = drag.current
    if (!d) return
    pan(e.clientX - d.x, e.clientY - d.y)
    drag.current = { ...d, x: e.clientX, y: e.clientY }
  }
  function onPointerUp() {
    drag.current = null
    setPanning(false)
  }

  if (viewing === null) return null
  return (
    // The second click of a double-click that opened the viewer must not close it again.
    <div className="viewer-backdrop" onClick={(e) => e.detail < 2 && view(null)}>
      <div className="viewer" role="dialog" aria-modal="true" aria-label={image?.relPath ?? 'Image'} tabIndex={-1} ref={dialog} onClick={(e) => e.stopPropagation()}>
        <div
          className={`viewer-image zoomable${zoomed ? ' zoomed' : ''}${panning ? ' panning' : ''}`}
          ref={frame}
          data-testid="viewer-frame"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onDoubleClick={(e) => {
            const r = e.currentTarget.getBoundingClientRect()
            toggle(e.clientX - r.left, e.clientY - r.top)
          }}
        >
          {image && (
            <img
              key={image.relPath}
              className="zoom-img"
              data-testid="viewer-image"
              data-scale={z.scale.toFixed(3)}
              src={studio.mediaUrl('original', image.relPath)}
              alt={image.relPath}
              draggable={false}
              onLoad={(e) => setNatural({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })}
              style={{
                width: natural.w || undefined,
                height: natural.h || undefined,
                opacity: natural.w ? 1 : 0,
                transform: `translate(${z.x}px, ${z.y}px) scale(${z.scale})`,
              }}
            />
          )}
          {natural.w > 0 && (
            <span className="zoom-level" data-testid="zoom-level" aria-live="polite">
              {zoomed ? `${Math.round(z.scale * 100)}%` : `fit (${Math.round(z.scale * 100)}%)`}
            </span>
          )}
          {/* The next image, loaded while this one is looked at. */}
          {next && <link rel="preload" as="image" href={studio.mediaUrl('original', next.relPath)} />}
        </div>
        <aside className="viewer-facts">
          <h2>{image?.relPath.split('/').pop()}</h2>
          <ImageFacts image={image} facts={facts} classes={classes} />
          <p className="muted">
            {viewing + 1} of {total} · 1–9 label · c pick a class · a accept · x reject · space skip · ⌫ undo · m more like this · + − f zoom · Esc close
          </p>
          <div className="row">
            <button type="button" onClick={moreLikeThis} disabled={!image}>
              More like this
            </button>
            <button type="button" onClick={() => toggle()} aria-label={zoomed ? 'Fit the image' : 'Zoom to 100%'}>
              {zoomed ? 'Fit' : '100%'}
            </button>
          </div>
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
