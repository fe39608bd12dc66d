import { useEffect, useLayoutEffect, useMemo, useRef, useState, type PointerEvent } from 'react'
import { digitClass, isDigit, PICK_KEY, typingInField, useKeys, type Bindings } from '../../keymap'
import { pickClass } from '../../stores/class-picker'
import { useLabels } from '../../stores/labels'
import { useMap } from '../../stores/map'
import { HOME, panBy, zoomAbout, type Camera } from './camera'
import { drawOrder, pointColours } from './colours'
import { drawOverlay, drawPoints } from './draw'
import { pointAt, type Screen } from './hit-test'
import { extendLasso, pointsInside, type Polygon } from './lasso'
import { MapHover } from './MapHover'
import { MapSelection } from './MapSelection'
import { MapStatus } from './MapStatus'
import { MapToolbar } from './MapToolbar'

/** Labels the lasso's selection with the class of digit `key` (0 clears). */
function labelWith(key: string) {
  const cls = digitClass(key)
  if (cls !== undefined) void useMap.getState().labelSelection(cls?.id ?? null)
}

/** Opens the class picker for the lasso's selection (c): any class, by name. */
function pickForSelection() {
  const n = useMap.getState().selection.length
  pickClass(`Label ${n.toLocaleString()} lassoed image${n === 1 ? '' : 's'}`, (cls) => void useMap.getState().labelSelection(cls.id))
}

/**
 * The embedding space in 2-D: every image a point, near the images the teacher sees as alike.
 * Drag to pan, wheel to zoom, shift+drag (or the lasso mode) to select a cluster, 1-9 (or c, the
 * class picker, for any class) to label it.
 */
export function MapView() {
  const { data, labelsVersion, colourBy, selection } = useMap()
  const classes = useLabels((s) => s.classes)
  const view = useRef<HTMLDivElement>(null)
  const wrap = useRef<HTMLDivElement>(null)
  const canvas = useRef<HTMLCanvasElement>(null)
  const overlay = useRef<HTMLCanvasElement>(null)
  const [size, setSize] = useState({ width: 0, height: 0 })
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | null>(null)
  const [lassoMode, setLassoMode] = useState(false)
  const camera = useRef<Camera>(HOME)
  const lasso = useRef<Polygon | null>(null)
  const drag = useRef<{ x: number; y: number; panX: number; panY: number } | null>(null)
  const pixels = useRef<ImageData | null>(null)
  const screen = useRef<Screen | null>(null)
  const frame = useRef(0)
  const overlayFrame = useRef(0)

  useEffect(() => {
    useMap.getState().show(true)
    return () => useMap.getState().show(false)
  }, [])

  useLayoutEffect(() => {
    const el = wrap.current
    if (!el) return
    const observer = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [data === null])

  // labelsVersion: the same arrays changed in place.
  const colours = useMemo(() => (data ? pointColours(data, colourBy, classes) : null), [data, colourBy, classes, labelsVersion])
  const order = useMemo(() => (data ? drawOrder(data) : null), [data, labelsVersion])
  const latest = useRef({ data, colours, order, selection, size, hover })
  latest.current = { data, colours, order, selection, size, hover }

  function draw() {
    const el = canvas.current
    const { data: d, colours: col, order: ord, selection: sel, size: sz } = latest.current
    if (!el || !d || !col || !ord || sz.width === 0) return
    const drawn = drawPoints(el, { data: d, colours: col, order: ord, selection: sel, size: sz, camera: camera.current }, screen.current, pixels)
    if (!drawn) return
    screen.current = drawn
    paintOverlay()
  }

  function paintOverlay() {
    const el = overlay.current
    const s = screen.current
    if (!el || !s) return
    drawOverlay(el, s, latest.current.size, latest.current.hover?.i ?? null, lasso.current)
  }

  function redraw() {
    cancelAnimationFrame(frame.current)
    frame.current = requestAnimationFrame(draw)
  }

  function redrawOverlay() {
    cancelAnimationFrame(overlayFrame.current)
    overlayFrame.current = requestAnimationFrame(paintOverlay)
  }

  useEffect(redraw, [data, colours, order, selection, size])
  // The selection ring and hover ring take the theme's text colour: redraw when the theme changes.
  useEffect(() => {
    const observer = new MutationObserver(redraw)
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
    return () => observer.disconnect()
  }, [])
  useEffect(redrawOverlay, [hover])

  // Wheel zoom must cancel the page's scroll: React's wheel listener is passive.
  useEffect(() => {
    const el = canvas.current
    if (!el) return
    const onWheel = (e: WheelEvent) => {
      e.preventDefault()
      const rect = el.getBoundingClientRect()
      zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top)
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [data === null])

  function moveCamera(to: Camera) {
    camera.current = to
    redraw()
  }

  /** Zooms by `factor` keeping the map point under (x, y) where it is. */
  function zoomAt(factor: number, x: number, y: number) {
    camera.current = zoomAbout(camera.current, factor, x, y, latest.current.size)
    setHover(null)
    redraw()
  }

  const local = (e: PointerEvent) => {
    const rect = e.currentTarget.getBoundingClientRect()
    return { x: e.clientX - rect.left, y: e.clientY - rect.top }
  }

  function onPointerDown(e: PointerEvent<HTMLCanvasElement>) {
    if (e.button !== 0) return
    e.currentTarget.setPointerCapture(e.pointerId)
    e.currentTarget.focus()
    const p = local(e)
    if (e.shiftKey || lassoMode) lasso.current = [p]
    else drag.current = { ...p, panX: camera.current.panX, panY: camera.current.panY }
    setHover(null)
  }

  function onPointerMove(e: PointerEvent<HTMLCanvasElement>) {
    const p = local(e)
    if (lasso.current) {
      if (extendLasso(lasso.current, p)) redrawOverlay()
      return
    }
    const dr = drag.current
    if (dr) return moveCamera({ ...camera.current, panX: dr.panX + p.x - dr.x, panY: dr.panY + p.y - dr.y })
    const i = screen.current ? pointAt(screen.current, p.x, p.y) : null
    if (i === null) {
      if (hover) setHover(null)
    } else if (hover?.i !== i) setHover({ i, x: p.x, y: p.y })
  }

  function onPointerUp() {
    const poly = lasso.current
    lasso.current = null
    drag.current = null
    const s = screen.current
    if (!poly || !s) return
    if (poly.length >= 3) useMap.getState().select(pointsInside(s, poly))
    redrawOverlay()
  }

  /** Keys anywhere in the map view (the canvas, the toolbar's buttons), except in a field. */
  const mapKeys: Bindings = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) return false
    const { width, height } = latest.current.size
    const keys: Record<string, () => void> = {
      ArrowLeft: () => moveCamera(panBy(camera.current, 60, 0)),
      ArrowRight: () => moveCamera(panBy(camera.current, -60, 0)),
      ArrowUp: () => moveCamera(panBy(camera.current, 0, 60)),
      ArrowDown: () => moveCamera(panBy(camera.current, 0, -60)),
      '+': () => zoomAt(1.25, width / 2, height / 2),
      '=': () => zoomAt(1.25, width / 2, height / 2),
      '-': () => zoomAt(0.8, width / 2, height / 2),
      Home: () => moveCamera(HOME),
      l: () => setLassoMode((m) => !m),
      Escape: () => useMap.getState().select(new Int32Array(0)),
    }
    const action = keys[e.key]
    if (action) action()
    else if (useMap.getState().selection.length > 0 && isDigit(e.key)) labelWith(e.key)
    else if (useMap.getState().selection.length > 0 && e.key === PICK_KEY) pickForSelection()
    else return false
    return true
  }
  useKeys('map', mapKeys, { scope: view })

  // A map on screen stays while a newer one is built (after new images were embedded).
  if (!data) return <MapStatus />

  const hovered = hover !== null && hover.i < data.count ? hover : null
  return (
    <div className="map-view" ref={view}>
      <MapToolbar data={data} classes={classes} lassoMode={lassoMode} toggleLasso={() => setLassoMode((m) => !m)} resetView={() => moveCamera(HOME)} />
      <MapSelection count={selection.length} classes={classes} labelWith={labelWith} pick={pickForSelection} />
      <div className="map-canvas-wrap" ref={wrap}>
        <canvas
          ref={canvas}
          className={lassoMode ? 'map-canvas lasso' : 'map-canvas'}
          style={{ width: size.width, height: size.height }}
          tabIndex={0}
          role="img"
          aria-label={`Embedding map of ${data.count.toLocaleString()} images. Drag to pan, wheel or plus and minus to zoom, arrows to pan, shift+drag or L for the lasso, 1 to 9 (or C to pick any class by name) to label the selection, Escape to deselect.`}
          data-testid="map-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => !drag.current && !lasso.current && setHover(null)}
        />
        <canvas ref={overlay} className="map-overlay" style={{ width: size.width, height: size.height }} aria-hidden="true" />
        {hovered && <MapHover data={data} classes={classes} hover={hovered} size={size} />}
      </div>
    </div>
  )
}
