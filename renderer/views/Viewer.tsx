import { useCallback, useEffect, useLayoutEffect, useRef, useState, type PointerEvent, type RefObject } from 'react'
import type { ClassProbability, ImageInfo, LabelEvent } from '../../preload/contract'
import { decide } from '../decisions'
import { useGrid } from '../stores/grid'
import { useLabels } from '../stores/labels'
import { studio } from '../transport'
import { classColor } from '../../preload/vocabulary'
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

/** Asks main for something about the image on screen; a late answer for another image is dropped. */
function useImageFact<T>(image: ImageInfo | undefined, ask: (image: ImageInfo) => Promise<T>, empty: T): T {
  const [value, setValue] = useState<T>(empty)
  useEffect(() => {
    if (!image) return
    let live = true
    ask(image).then(
      (v) => live && setValue(v),
      () => live && setValue(empty),
    )
    return () => {
      live = false
    }
    // `ask` and `empty` are fixed per call site; the image is what changes.
  }, [image])
  return value
}

const MAX_SCALE = 16
const WHEEL_STEP = 0.0015
const KEY_STEP = 1.25

/** Scale and offset of the image in its frame; `fit` while the whole image is shown. */
interface Zoom {
  scale: number
  x: number
  y: number
  fit: boolean
}

/**
 * Zoom and pan: wheel zooms about the pointer, + and - about the centre, f or a double-click toggles
 * between fit and 100% (200% for images smaller than the frame), Ctrl+0 fits; a drag pans. The image
 * is laid out at its natural size and placed by one CSS transform, so zooming repaints nothing else.
 */
function useZoom(frame: RefObject<HTMLDivElement | null>, open: boolean, natural: { w: number; h: number }) {
  const [box, setBox] = useState({ w: 0, h: 0 })
  const [zoom, setZoom] = useState<Zoom | null>(null)

  useLayoutEffect(() => {
    const el = frame.current
    if (!el) return
    const observer = new ResizeObserver(() => setBox({ w: el.clientWidth, h: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [frame, open])

  const fitScale = natural.w && box.w ? Math.min(1, box.w / natural.w, box.h / natural.h) : 1
  const fitted: Zoom = { scale: fitScale, x: (box.w - natural.w * fitScale) / 2, y: (box.h - natural.h * fitScale) / 2, fit: true }
  const current = zoom ?? fitted

  /** Keeps the image over the frame: centred on an axis where it is smaller, edge to edge where larger. */
  const clamp = useCallback(
    (z: Zoom): Zoom => {
      const w = natural.w * z.scale
      const h = natural.h * z.scale
      const x = w <= box.w ? (box.w - w) / 2 : Math.min(0, Math.max(box.w - w, z.x))
      const y = h <= box.h ? (box.h - h) / 2 : Math.min(0, Math.max(box.h - h, z.y))
      return { ...z, x, y }
    },
    [natural, box],
  )

  /** Zooms by `factor` keeping the frame point (px, py) still. */
  const zoomAt = useCallback(
    (factor: number, px = box.w / 2, py = box.h / 2) => {
      setZoom((z) => {
        const from = z ?? fitted
        const scale = Math.min(MAX_SCALE, from.scale * factor)
        if (scale <= fitScale) return null
        return clamp({ scale, x: px - ((px - from.x) * scale) / from.scale, y: py - ((py - from.y) * scale) / from.scale, fit: false })
      })
    },
    [box, fitScale, clamp, fitted.x, fitted.y],
  )

  /** Fit <-> 100% (or 200% when 100% is the fit), about the frame point (px, py). */
  const toggle = useCallback(
    (px = box.w / 2, py = box.h / 2) => {
      if (zoom) setZoom(null)
      else zoomAt((fitScale < 1 ? 1 : 2) / fitScale, px, py)
    },
    [zoom, zoomAt, fitScale, box],
  )

  const pan = useCallback((dx: number, dy: number) => setZoom((z) => (z ? clamp({ ...z, x: z.x + dx, y: z.y + dy }) : z)), [clamp])
  const reset = useCallback(() => setZoom(null), [])
  return { current, zoomAt, toggle, pan, reset, zoomed: zoom !== null }
}

/**
 * One image at full size with its facts, the last round's top-5 probabilities and its label
 * history. Keys: 1-9 label, 0 clear, a accept, x reject (each moves to the next image), space skip,
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
  const history = useImageFact(image, (i) => studio.call('images.history', { imageId: i.id }), [] as LabelEvent[])
  const probabilities = useImageFact(image, (i) => studio.call('images.probabilities', { imageId: i.id }), [] as ClassProbability[])
  const duplicates = useImageFact(image, (i) => (i.fileCount > 1 ? studio.call('images.files', { imageId: i.id }) : Promise.resolve([])), [] as string[])
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
    function onKey(e: globalThis.KeyboardEvent) {
      if (viewing === null || e.altKey) return
      if ((e.ctrlKey || e.metaKey) && e.key === '0') {
        e.preventDefault()
        reset()
        return
      }
      if (e.ctrlKey || e.metaKey) return
      const current = imageAt(viewing)
      const step = (to: number) => view(Math.max(0, Math.min(total - 1, to)))
      if (e.key === 'Escape') view(null)
      else if (e.key === '+' || e.key === '=') zoomAt(KEY_STEP)
      else if (e.key === '-') zoomAt(1 / KEY_STEP)
      else if (e.key === 'f') toggle()
      else if (e.key === 'm') moreLikeThis()
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
  }, [viewing, total, view, ensure, imageAt, zoomAt, toggle, reset, moreLikeThis])

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
  const className = (id: number | null) => classes.find((c) => c.id === id)?.name ?? `class ${id}`
  const colourOf = (id: number) => {
    const i = classes.findIndex((c) => c.id === id)
    return classColor(i, classes[i]?.color ?? null)
  }
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
              <dd>{formatBytes(image.bytes)}</dd>
              {image.fileCount > 1 && (
                <>
                  <dt>Copies</dt>
                  <dd data-testid="duplicates">
                    {image.fileCount} identical files
                    {duplicates.length > 0 && (
                      <ul className="history">
                        {duplicates.map((d) => (
                          <li key={d}>{d}</li>
                        ))}
                      </ul>
                    )}
                  </dd>
                </>
              )}
            </dl>
          )}
          {probabilities.length > 0 && (
            <section aria-label="Class probabilities of the last round">
              <h3>Last round: most probable</h3>
              <ol className="probabilities" data-testid="probabilities">
                {probabilities.map((p) => (
                  <li key={p.classId}>
                    <span>{p.name}</span>
                    <span className="bar" aria-hidden="true">
                      <span style={{ width: `${p.p * 100}%`, background: colourOf(p.classId) }} />
                    </span>
                    <span className="p">{(p.p * 100).toFixed(1)}%</span>
                  </li>
                ))}
              </ol>
            </section>
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
            {viewing + 1} of {total} · 1–9 label · a accept · x reject · space skip · ⌫ undo · m more like this · + − f zoom · Esc close
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
