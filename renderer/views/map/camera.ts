/** Pan and zoom: where the map's unit square sits on the canvas. */

export interface Camera {
  zoom: number
  panX: number
  panY: number
}

export interface Size {
  width: number
  height: number
}

export const HOME: Camera = { zoom: 1, panX: 0, panY: 0 }
const MIN_ZOOM = 0.5
const MAX_ZOOM = 400

/** Map point (x, y) in [0, 1] is drawn at (x - 0.5) * base + cx, (y - 0.5) * base + cy (css px). */
export function projection(v: Camera, size: Size): { base: number; cx: number; cy: number } {
  return { base: Math.min(size.width, size.height) * 0.92 * v.zoom, cx: size.width / 2 + v.panX, cy: size.height / 2 + v.panY }
}

/** Zooms by `factor` keeping the map point under (x, y) where it is. */
export function zoomAbout(v: Camera, factor: number, x: number, y: number, size: Size): Camera {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.zoom * factor))
  const k = zoom / v.zoom
  const ox = x - size.width / 2
  const oy = y - size.height / 2
  return { zoom, panX: ox - (ox - v.panX) * k, panY: oy - (oy - v.panY) * k }
}

export const panBy = (v: Camera, dx: number, dy: number): Camera => ({ ...v, panX: v.panX + dx, panY: v.panY + dy })
