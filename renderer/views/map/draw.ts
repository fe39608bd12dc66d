/**
 * Drawing the map: the points into one ImageData (a fill per pixel row of each disc), and the hover
 * ring and the lasso on an overlay canvas of their own, so that moving the mouse never redraws
 * 100,000 points.
 */
import type { MapData } from '../../stores/map'
import { projection, type Camera, type Size } from './camera'
import { abgr, textColour } from './colours'
import type { Screen } from './hit-test'
import type { Polygon } from './lasso'

/** Sizes the canvas's backing store to `size` at the screen's pixel ratio; its 2-D context. */
function fit(el: HTMLCanvasElement, size: Size): { ctx: CanvasRenderingContext2D; W: number; H: number; dpr: number } | null {
  const dpr = window.devicePixelRatio || 1
  const W = Math.round(size.width * dpr)
  const H = Math.round(size.height * dpr)
  if (el.width !== W || el.height !== H) {
    el.width = W
    el.height = H
  }
  const ctx = el.getContext('2d')
  return ctx ? { ctx, W, H, dpr } : null
}

/**
 * Draws every point (in `order`, coloured by `colours`) and rings the selected ones; returns where
 * each point went (reusing the arrays of `before` when the count is the same), or null when the
 * canvas has no context. `pixels` keeps the ImageData between frames.
 */
export function drawPoints(el: HTMLCanvasElement, frame: { data: MapData; colours: Uint32Array; order: Int32Array; selection: Int32Array; size: Size; camera: Camera }, before: Screen | null, pixels: { current: ImageData | null }): Screen | null {
  const { data: d, colours: col, order: ord, selection: sel, size: sz } = frame
  const canvas = fit(el, sz)
  if (!canvas) return null
  const { ctx, W, H, dpr } = canvas
  const { base, cx, cy } = projection(frame.camera, sz)
  const n = d.count
  const sx = before?.sx.length === n ? before.sx : new Float32Array(n)
  const sy = before?.sy.length === n ? before.sy : new Float32Array(n)
  for (let i = 0; i < n; i++) {
    sx[i] = (d.x[i]! - 0.5) * base + cx
    sy[i] = (d.y[i]! - 0.5) * base + cy
  }

  if (pixels.current?.width !== W || pixels.current.height !== H) pixels.current = ctx.createImageData(W, H)
  const image = pixels.current
  const px = new Uint32Array(image.data.buffer)
  px.fill(0)
  // Bigger points where there are few (a 300-image map should not be dust), and when zoomed in.
  const r = Math.round(((n <= 2000 ? 2.5 : n <= 20000 ? 1.5 : 1) + (frame.camera.zoom >= 4 ? 1 : 0)) * dpr)
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

  return { sx, sy, radius: r / dpr, grid: null, width: sz.width, height: sz.height }
}

/** The hover ring around point `hover` and the lasso being drawn. */
export function drawOverlay(el: HTMLCanvasElement, s: Screen, size: Size, hover: number | null, lasso: Polygon | null): void {
  const canvas = fit(el, size)
  if (!canvas) return
  const { ctx, W, H, dpr } = canvas
  ctx.clearRect(0, 0, W, H)
  ctx.save()
  ctx.scale(dpr, dpr)
  if (hover !== null && hover < s.sx.length) {
    ctx.strokeStyle = textColour(el)
    ctx.lineWidth = 2
    ctx.beginPath()
    ctx.arc(s.sx[hover]!, s.sy[hover]!, s.radius + 5, 0, Math.PI * 2)
    ctx.stroke()
  }
  if (lasso && lasso.length > 1) {
    ctx.strokeStyle = '#2f6fed'
    ctx.fillStyle = 'rgba(47, 111, 237, 0.12)'
    ctx.setLineDash([5, 4])
    ctx.lineWidth = 1.5
    ctx.beginPath()
    lasso.forEach((p, k) => (k ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)))
    ctx.closePath()
    ctx.fill()
    ctx.stroke()
  }
  ctx.restore()
}
