/** Which point is under the pointer: a grid of screen cells over where the last frame drew each point. */

const HIT_RADIUS = 8 // css px
const CELL = 16 // css px per hit-test grid cell

/** Where the last frame drew each point (css px). */
export interface Screen {
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

/** The point nearest (x, y) within HIT_RADIUS css px, or null. */
export function pointAt(s: Screen, x: number, y: number): number | null {
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
