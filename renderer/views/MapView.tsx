import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react'
import type { ClassInfo } from '../../preload/contract'
import { typingInField } from '../decisions'
import { useLabels } from '../stores/labels'
import { notify } from '../stores/notices'
import { STATUSES, useMap, type ColourBy, type MapData } from '../stores/map'
import { studio } from '../transport'
import { classColor } from '../../preload/vocabulary'

/** Grey for points without a label (readable on the light and the dark panel). */
const NONE = '#8a929c'
const STATE_COLOURS: Record<(typeof STATUSES)[number], string> = { unlabelled: NONE, rejected: '#d6453d', proposed: '#e8a33a', accepted: '#3cb44b', human: '#2f6fed' }
const STATE_NAMES: Record<(typeof STATUSES)[number], string> = { unlabelled: 'Unlabelled', rejected: 'Rejected', proposed: 'Proposed', accepted: 'Accepted', human: 'Labelled by a person' }
/** Viridis at five stops: ordered in lightness, readable by the colour-blind. */
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725']
const HIT_RADIUS = 8 // css px
const CELL = 16 // css px per hit-test grid cell

/** '#rrggbb' -> 0xAABBGGRR, the byte order of ImageData on little-endian machines. */
function abgr(hex: string, alpha = 255): number {
  const v = parseInt(hex.slice(1, 7), 16)
  return ((alpha << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0
}

function mix(a: string, b: string, t: number): string {
  const pa = parseInt(a.slice(1, 7), 16)
  const pb = parseInt(b.slice(1, 7), 16)
  const ch = (s: number) => Math.round(((pa >> s) & 0xff) * (1 - t) + ((pb >> s) & 0xff) * t)
  return `#${((ch(16) << 16) | (ch(8) << 8) | ch(0)).toString(16).padStart(6, '0')}`
}

function rampColour(c: number): string {
  const t = Math.min(1, Math.max(0, c)) * (RAMP.length - 1)
  const k = Math.min(RAMP.length - 2, Math.floor(t))
  return mix(RAMP[k]!, RAMP[k + 1]!, t - k)
}

/** One packed colour per point for the chosen colouring. */
function pointColours(data: MapData, by: ColourBy, classes: ClassInfo[]): Uint32Array {
  const out = new Uint32Array(data.count)
  const slot = new Map(classes.map((c, i) => [c.id, i]))
  const full = new Map(classes.map((c, i) => [c.id, abgr(classColor(i, c.color))]))
  // A proposal is the class's colour washed towards grey: a guess, not yet a label.
  const washed = new Map(classes.map((c, i) => [c.id, abgr(mix(classColor(i, c.color), NONE, 0.55))]))
  const none = abgr(NONE)
  const states = STATUSES.map((s) => abgr(STATE_COLOURS[s]))
  const ramp = Array.from({ length: 64 }, (_, k) => abgr(rampColour(k / 63)))
  for (let i = 0; i < data.count; i++) {
    const status = STATUSES[data.status[i]!]!
    if (by === 'state') out[i] = states[data.status[i]!]!
    else if (by === 'confidence') {
      const c = data.confidence[i]!
      out[i] = Number.isNaN(c) || status === 'human' ? none : ramp[Math.round(c * 63)]!
    } else {
      const id = data.classId[i]!
      out[i] = id < 0 || !slot.has(id) || status === 'unlabelled' || status === 'rejected' ? none : status === 'proposed' ? washed.get(id)! : full.get(id)!
    }
  }
  return out
}

/** Indices in drawing order: unlabelled first, people's labels last (on top). */
function drawOrder(data: MapData): Int32Array {
  const start = new Int32Array(STATUSES.length + 1)
  for (let i = 0; i < data.count; i++) start[data.status[i]! + 1]!++
  for (let s = 1; s <= STATUSES.length; s++) start[s]! += start[s - 1]!
  const out = new Int32Array(data.count)
  for (let i = 0; i < data.count; i++) out[start[data.status[i]!]!++] = i
  return out
}

/** The theme's text colour as #rrggbb (the themes set --text in hex). */
function textColour(el: Element): string {
  const v = getComputedStyle(el).getPropertyValue('--text').trim()
  return /^#[0-9a-f]{6}$/i.test(v) ? v : '#1b1f24'
}

function insidePolygon(x: number, y: number, poly: { x: number; y: number }[]): boolean {
  let inside = false
  for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
    const pa = poly[a]!
    const pb = poly[b]!
    if (pa.y > y !== pb.y > y && x < ((pb.x - pa.x) * (y - pa.y)) / (pb.y - pa.y) + pa.x) inside = !inside
  }
  return inside
}

/** Where the last frame drew each point (css px). */
interface Screen {
  sx: Float32Array
  sy: Float32Array
  /** Drawn point radius, css px. */
  radius: number
  width: number
  height: number
  /** Built on the first hover after a frame, not on every frame of a pan or zoom. */
  grid: HitGrid | null
}

/** Points per screen cell, as CSR: the points of cell c are items[start[c]..start[c+1]). */
interface HitGrid {
  cols: number
  rows: number
  start: Int32Array
  items: Int32Array
}

function hitGrid(s: Screen): HitGrid {
  const { sx, sy } = s
  const n = sx.length
  const cols = Math.ceil(s.width / CELL) + 1
  const rows = Math.ceil(s.height / CELL) + 1
  const start = new Int32Array(cols * rows + 1)
  const cellOf = (i: number) => {
    const c = Math.floor(sx[i]! / CELL)
    const r = Math.floor(sy[i]! / CELL)
    return c < 0 || r < 0 || c >= cols || r >= rows ? -1 : r * cols + c
  }
  for (let i = 0; i < n; i++) {
    const c = cellOf(i)
    if (c >= 0) start[c + 1]!++
  }
  for (let c = 1; c <= cols * rows; c++) start[c]! += start[c - 1]!
  const fill = start.slice(0, cols * rows)
  const items = new Int32Array(start[cols * rows]!)
  for (let i = 0; i < n; i++) {
    const c = cellOf(i)
    if (c >= 0) items[fill[c]!++] = i
  }
  return { cols, rows, start, items }
}

/**
 * The embedding space in 2-D: every image a point, near the images the teacher sees as alike.
 * Drag to pan, wheel to zoom, shift+drag (or the lasso mode) to select a cluster, 1-9 to label it.
 */
export function MapView() {
  const { state, message, progress, data, labelsVersion, colourBy, selection } = useMap()
  const classes = useLabels((s) => s.classes)
  const wrap = useRef<HTMLDivElement>(null)
  const canvas = useRef<HTMLCanvasElement>(null)
  const [size, setSize] = useState({ width: 0, height: 0 })
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | null>(null)
  const [lassoMode, setLassoMode] = useState(false)
  const view = useRef({ zoom: 1, panX: 0, panY: 0 })
  const lasso = useRef<{ x: number; y: number }[] | null>(null)
  const drag = useRef<{ x: number; y: number; panX: number; panY: number } | null>(null)
  const overlay = useRef<HTMLCanvasElement>(null)
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

  /** The points, into one ImageData (a fill per pixel row of each disc), and the hit-test grid. */
  function draw() {
    const el = canvas.current
    const { data: d, colours: col, order: ord, selection: sel, size: sz } = latest.current
    if (!el || !d || !col || !ord || sz.width === 0) return
    const dpr = window.devicePixelRatio || 1
    const W = Math.round(sz.width * dpr)
    const H = Math.round(sz.height * dpr)
    if (el.width !== W || el.height !== H) {
      el.width = W
      el.height = H
    }
    const ctx = el.getContext('2d')
    if (!ctx) return
    const { zoom, panX, panY } = view.current
    const base = Math.min(sz.width, sz.height) * 0.92 * zoom
    const cx = sz.width / 2 + panX
    const cy = sz.height / 2 + panY
    const n = d.count
    const sx = screen.current?.sx.length === n ? screen.current.sx : new Float32Array(n)
    const sy = screen.current?.sy.length === n ? screen.current.sy : new Float32Array(n)
    for (let i = 0; i < n; i++) {
      sx[i] = (d.x[i]! - 0.5) * base + cx
      sy[i] = (d.y[i]! - 0.5) * base + cy
    }

    if (pixels.current?.width !== W || pixels.current.height !== H) pixels.current = ctx.createImageData(W, H)
    const image = pixels.current
    const px = new Uint32Array(image.data.buffer)
    px.fill(0)
    // Bigger points where there are few (a 300-image map should not be dust), and when zoomed in.
    const r = Math.round(((n <= 2000 ? 2.5 : n <= 20000 ? 1.5 : 1) + (zoom >= 4 ? 1 : 0)) * dpr)
    // A disc is a run of pixels per row: its half-widths, by row offset, for each radius used.
    const spans = (radius: number) => Int32Array.from({ length: 2 * radius + 1 }, (_, k) => Math.floor(Math.sqrt(Math.max(0, radius * radius - (k - radius) ** 2)) + 0.5))
    const disc = (i: number, radius: number, half: Int32Array, colour: number) => {
      const X = Math.round(sx[i]! * dpr)
      const Y = Math.round(sy[i]! * dpr)
      if (X < -radius || Y < -radius || X >= W + radius || Y >= H + radius) return
      for (let k = 0; k <= 2 * radius; k++) {
        const yy = Y - radius + k
        if (yy < 0 || yy >= H) continue
        // A plain loop: for runs of a few pixels it beats TypedArray.fill's call.
        const o = yy * W
        for (let xx = Math.max(0, X - half[k]!), x1 = Math.min(W - 1, X + half[k]!); xx <= x1; xx++) px[o + xx] = colour
      }
    }
    const dot = spans(r)
    for (let t = 0; t < n; t++) disc(ord[t]!, r, dot, col[ord[t]!]!)
    // Selected points: a ring in the text colour (dark on light, light on dark) around a larger dot.
    const ink = textColour(el)
    const ring = spans(r + 2)
    const inner = spans(r + 1)
    for (const i of sel) disc(i, r + 2, ring, abgr(ink))
    for (const i of sel) disc(i, r + 1, inner, col[i]!)
    ctx.putImageData(image, 0, 0)

    screen.current = { sx, sy, radius: r / dpr, grid: null, width: sz.width, height: sz.height }
    drawOverlay()
  }

  /** The hover ring and the lasso, on a canvas of their own: moving the mouse never redraws 100,000 points. */
  function drawOverlay() {
    const el = overlay.current
    const s = screen.current
    const { size: sz, hover: hv } = latest.current
    if (!el || !s) return
    const dpr = window.devicePixelRatio || 1
    const W = Math.round(sz.width * dpr)
    const H = Math.round(sz.height * dpr)
    if (el.width !== W || el.height !== H) {
      el.width = W
      el.height = H
    }
    const ctx = el.getContext('2d')
    if (!ctx) return
    ctx.clearRect(0, 0, W, H)
    ctx.save()
    ctx.scale(dpr, dpr)
    if (hv && hv.i < s.sx.length) {
      ctx.strokeStyle = textColour(el)
      ctx.lineWidth = 2
      ctx.beginPath()
      ctx.arc(s.sx[hv.i]!, s.sy[hv.i]!, s.radius + 5, 0, Math.PI * 2)
      ctx.stroke()
    }
    const poly = lasso.current
    if (poly && poly.length > 1) {
      ctx.strokeStyle = '#2f6fed'
      ctx.fillStyle = 'rgba(47, 111, 237, 0.12)'
      ctx.setLineDash([5, 4])
      ctx.lineWidth = 1.5
      ctx.beginPath()
      poly.forEach((p, k) => (k ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)))
      ctx.closePath()
      ctx.fill()
      ctx.stroke()
    }
    ctx.restore()
  }

  function redraw() {
    cancelAnimationFrame(frame.current)
    frame.current = requestAnimationFrame(draw)
  }

  function redrawOverlay() {
    cancelAnimationFrame(overlayFrame.current)
    overlayFrame.current = requestAnimationFrame(drawOverlay)
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

  /** Zooms by `factor` keeping the map point under (x, y) where it is. */
  function zoomAt(factor: number, x: number, y: number) {
    const v = view.current
    const zoom = Math.min(400, Math.max(0.5, v.zoom * factor))
    const k = zoom / v.zoom
    const { width, height } = latest.current.size
    const ox = x - width / 2
    const oy = y - height / 2
    view.current = { zoom, panX: ox - (ox - v.panX) * k, panY: oy - (oy - v.panY) * k }
    setHover(null)
    redraw()
  }

  function pointAt(x: number, y: number): number | null {
    const s = screen.current
    if (!s) return null
    s.grid ??= hitGrid(s)
    const g = s.grid
    const c0 = Math.floor(x / CELL)
    const r0 = Math.floor(y / CELL)
    let best: number | null = null
    let bestD = HIT_RADIUS * HIT_RADIUS
    for (let r = r0 - 1; r <= r0 + 1; r++) {
      if (r < 0 || r >= g.rows) continue
      for (let c = c0 - 1; c <= c0 + 1; c++) {
        if (c < 0 || c >= g.cols) continue
        const cell = r * g.cols + c
        for (let t = g.start[cell]!; t < g.start[cell + 1]!; t++) {
          const i = g.items[t]!
          const d = (s.sx[i]! - x) ** 2 + (s.sy[i]! - y) ** 2
          if (d <= bestD) {
            bestD = d
            best = i
          }
        }
      }
    }
    return best
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
    else drag.current = { ...p, panX: view.current.panX, panY: view.current.panY }
    setHover(null)
  }

  function onPointerMove(e: PointerEvent<HTMLCanvasElement>) {
    const p = local(e)
    const poly = lasso.current
    if (poly) {
      const last = poly[poly.length - 1]!
      if ((last.x - p.x) ** 2 + (last.y - p.y) ** 2 >= 9) {
        poly.push(p)
        redrawOverlay()
      }
      return
    }
    const dr = drag.current
    if (dr) {
      view.current = { ...view.current, panX: dr.panX + p.x - dr.x, panY: dr.panY + p.y - dr.y }
      redraw()
      return
    }
    const i = pointAt(p.x, p.y)
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
    if (poly.length < 3) {
      redrawOverlay()
      return
    }
    let x0 = Infinity
    let x1 = -Infinity
    let y0 = Infinity
    let y1 = -Infinity
    for (const p of poly) {
      x0 = Math.min(x0, p.x)
      x1 = Math.max(x1, p.x)
      y0 = Math.min(y0, p.y)
      y1 = Math.max(y1, p.y)
    }
    const picked: number[] = []
    for (let i = 0; i < s.sx.length; i++) {
      const x = s.sx[i]!
      const y = s.sy[i]!
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && insidePolygon(x, y, poly)) picked.push(i)
    }
    useMap.getState().select(Int32Array.from(picked))
    redrawOverlay()
  }

  function labelWith(slot: number | null) {
    if (slot === null) return void useMap.getState().labelSelection(null)
    const cls = classes[slot]
    if (!cls) {
      notify(`No class ${slot + 1} yet: create it in the Classes panel`)
      return
    }
    void useMap.getState().labelSelection(cls.id)
  }

  /** Keys anywhere in the map view (the canvas, the toolbar's buttons), except in a field. */
  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) return
    const pan = (dx: number, dy: number) => {
      view.current = { ...view.current, panX: view.current.panX + dx, panY: view.current.panY + dy }
      redraw()
    }
    const { width, height } = latest.current.size
    const keys: Record<string, () => void> = {
      ArrowLeft: () => pan(60, 0),
      ArrowRight: () => pan(-60, 0),
      ArrowUp: () => pan(0, 60),
      ArrowDown: () => pan(0, -60),
      '+': () => zoomAt(1.25, width / 2, height / 2),
      '=': () => zoomAt(1.25, width / 2, height / 2),
      '-': () => zoomAt(0.8, width / 2, height / 2),
      Home: resetView,
      l: () => setLassoMode((m) => !m),
      Escape: () => useMap.getState().select(new Int32Array(0)),
    }
    const action = keys[e.key]
    if (action) {
      e.preventDefault()
      action()
    } else if (selection.length > 0 && e.key >= '0' && e.key <= '9') {
      e.preventDefault()
      labelWith(e.key === '0' ? null : Number(e.key) - 1)
    }
  }

  function resetView() {
    view.current = { zoom: 1, panX: 0, panY: 0 }
    redraw()
  }

  // A map on screen stays while a newer one is built (after new images were embedded).
  if (!data) {
    return (
      <div className="map-view map-empty" role="status" aria-live="polite">
        {state === 'waiting' && <p>The map is drawn once the teacher has embedded every image (see the status bar below).</p>}
        {(state === 'loading' || state === 'idle') && (
          <div className="map-progress">
            <p>
              Building the map{progress ? `: ${progress.stage}` : '…'}
              {progress && progress.total > 0 && ` ${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}`}
              {progress?.etaSeconds != null && progress.etaSeconds > 1 && `, about ${Math.ceil(progress.etaSeconds)} s left`}
            </p>
            {progress && progress.total > 0 && <progress max={progress.total} value={progress.done} aria-label="Map progress" />}
            <button type="button" onClick={() => void useMap.getState().cancel()}>
              Cancel
            </button>
          </div>
        )}
        {state === 'failed' && (
          <>
            <p className="error-text">{message}</p>
            <button type="button" onClick={() => void useMap.getState().load()}>
              Build the map again
            </button>
          </>
        )}
      </div>
    )
  }

  const hovered = hover !== null && hover.i < data.count ? hover : null
  const hoverClass = hovered ? classes.find((c) => c.id === data.classId[hovered.i]) : undefined
  const hoverStatus = hovered ? STATUSES[data.status[hovered.i]!]! : 'unlabelled'
  const hoverConf = hovered ? data.confidence[hovered.i]! : NaN

  return (
    <div className="map-view" onKeyDown={onKeyDown}>
      <div className="map-toolbar" role="toolbar" aria-label="Map">
        <label className="row">
          Colour by
          <select value={colourBy} onChange={(e) => useMap.getState().setColourBy(e.target.value as ColourBy)} aria-label="Colour the map by">
            <option value="class">Class</option>
            <option value="state">State</option>
            <option value="confidence">Confidence</option>
          </select>
        </label>
        <button type="button" aria-pressed={lassoMode} className={lassoMode ? 'active' : ''} onClick={() => setLassoMode((m) => !m)} title="Lasso (L); or shift+drag">
          Lasso
        </button>
        <button type="button" onClick={resetView} title="Reset the view (Home)">
          Reset view
        </button>
        <Legend by={colourBy} classes={classes} />
        <span className="spacer" />
        {state === 'loading' && <span className="muted">Updating the map{progress ? `: ${progress.stage}` : '…'}</span>}
        {state === 'failed' && <span className="error-text">{message}</span>}
        <span className="muted" data-testid="map-count" title={`${data.landmarks.toLocaleString()} laid out directly, the others placed among their nearest`}>
          {data.count.toLocaleString()} points
        </span>
      </div>
      {selection.length === 0 ? (
        <p className="map-selection map-hint muted">
          Drag to pan, wheel to zoom, hover a point to see its image. <kbd>Shift</kbd>+drag (or <strong>Lasso</strong>) around a cluster to label it at once.
        </p>
      ) : (
        <div className="map-selection" role="region" aria-label="Selection">
          <strong data-testid="map-selection">{selection.length.toLocaleString()} images selected</strong>
          <span className="muted">label them:</span>
          {classes.slice(0, 9).map((c, k) => (
            <button key={c.id} type="button" onClick={() => labelWith(k)} aria-label={`Label the selected images ${c.name}`}>
              <span className="swatch" style={{ background: classColor(k, c.color) }} /> {c.name} <kbd>{k + 1}</kbd>
            </button>
          ))}
          <button type="button" onClick={() => labelWith(null)} aria-label="Clear the labels of the selected images">
            Clear labels <kbd>0</kbd>
          </button>
          <button type="button" onClick={() => useMap.getState().select(new Int32Array(0))}>
            Deselect <kbd>Esc</kbd>
          </button>
        </div>
      )}
      <div className="map-canvas-wrap" ref={wrap}>
        <canvas
          ref={canvas}
          className={lassoMode ? 'map-canvas lasso' : 'map-canvas'}
          style={{ width: size.width, height: size.height }}
          tabIndex={0}
          role="img"
          aria-label={`Embedding map of ${data.count.toLocaleString()} images. Drag to pan, wheel or plus and minus to zoom, arrows to pan, shift+drag or L for the lasso, 1 to 9 to label the selection, Escape to deselect.`}
          data-testid="map-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => !drag.current && !lasso.current && setHover(null)}
        />
        <canvas ref={overlay} className="map-overlay" style={{ width: size.width, height: size.height }} aria-hidden="true" />
        {hovered && (
          <div
            className="map-hover"
            data-testid="map-hover"
            style={{ left: Math.min(hovered.x + 14, size.width - 190), top: Math.min(hovered.y + 14, size.height - 200) }}
          >
            <img src={studio.mediaUrl('thumb', data.relPaths[hovered.i]!)} alt={data.relPaths[hovered.i]} />
            <span className="map-hover-name">{data.relPaths[hovered.i]!.split('/').pop()}</span>
            <span className="muted">
              {hoverStatus === 'unlabelled' ? 'unlabelled' : `${hoverClass?.name ?? '?'}, ${STATE_NAMES[hoverStatus].toLowerCase()}`}
              {!Number.isNaN(hoverConf) && hoverStatus !== 'human' && ` ${Math.round(hoverConf * 100)}%`}
            </span>
          </div>
        )}
      </div>
    </div>
  )
}

function Legend({ by, classes }: { by: ColourBy; classes: ClassInfo[] }) {
  const items: [string, string][] =
    by === 'state'
      ? STATUSES.map((s) => [STATE_COLOURS[s], STATE_NAMES[s]])
      : by === 'confidence'
        ? [
            [RAMP[0]!, '0%'],
            [RAMP[2]!, '50%'],
            [RAMP[4]!, '100%'],
            [NONE, 'none'],
          ]
        : [...classes.map((c, i): [string, string] => [classColor(i, c.color), c.name]), [NONE, 'unlabelled']]
  return (
    <ul className="map-legend" aria-label="Legend">
      {items.map(([colour, name]) => (
        <li key={name}>
          <span className="swatch" style={{ background: colour }} />
          {name}
        </li>
      ))}
    </ul>
  )
}

/** The Grid | Map switch above the main area (a tab list: arrow keys move between the two). */
export function MainTabs() {
  const view = useMap((s) => s.view)
  const setView = useMap((s) => s.setView)
  const tabs: ['grid' | 'map', string][] = [
    ['grid', 'Grid'],
    ['map', 'Map'],
  ]
  function onKey(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return
    e.preventDefault()
    const next = view === 'grid' ? 'map' : 'grid'
    setView(next)
    e.currentTarget.parentElement?.querySelector<HTMLButtonElement>(`[data-view="${next}"]`)?.focus()
  }
  return (
    <div className="main-tabs" role="tablist" aria-label="Main view">
      {tabs.map(([v, name]) => (
        <button key={v} type="button" role="tab" data-view={v} aria-selected={view === v} tabIndex={view === v ? 0 : -1} onClick={() => setView(v)} onKeyDown={onKey}>
          {name}
        </button>
      ))}
    </div>
  )
}
