/** The lasso: a polygon drawn on screen, and the points drawn inside it. */
import type { Screen } from './hit-test'

export type Polygon = { x: number; y: number }[]

function insidePolygon(x: number, y: number, poly: Polygon): boolean {
  let inside = false
  for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
    const pa = poly[a]!
    const pb = poly[b]!
    if (pa.y > y !== pb.y > y && x < ((pb.x - pa.x) * (y - pa.y)) / (pb.y - pa.y) + pa.x) inside = !inside
  }
  return inside
}

/** Adds the pointer's place to the polygon once it has moved 3 css px; true when it did. */
export function extendLasso(poly: Polygon, p: { x: number; y: number }): boolean {
  const last = poly[poly.length - 1]!
  if ((last.x - p.x) ** 2 + (last.y - p.y) ** 2 < 9) return false
  poly.push(p)
  return true
}

/** The indices of the points drawn inside the polygon (its bounding box first, then the crossing test). */
export function pointsInside(s: Screen, poly: Polygon): Int32Array {
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
  return Int32Array.from(picked)
}
