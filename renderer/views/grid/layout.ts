/** The grid's geometry: fixed-size cells in rows, so that any cell's place is arithmetic. */

export const CELL = 172 // px: a 160 px thumbnail, its caption sits inside, plus the gap
const GAP = 8 // px between cells (the .cell is 164 px square)
export const OVERSCAN_ROWS = 3
/** A press that moves further than this is a rubber band, not a click. */
export const DRAG_START_PX = 6
/** Within this distance of the grid's top or bottom edge a rubber band scrolls the grid. */
export const EDGE_PX = 48

/**
 * The tallest the grid's canvas is made. Chromium lays nothing out past 2^25 px (33,554,431: its
 * LayoutUnit is a 32-bit count of 1/64 px); a million images in five columns is 34.4 million px.
 */
export const MAX_CANVAS_PX = 30_000_000

/**
 * The canvas of a grid of `rows` rows in a viewport `viewport` px tall: its height, at most
 * MAX_CANVAS_PX, and the scale mapping the scroll bar's range onto the rows' (use-virtual-grid.ts):
 * the last scroll position shows the last rows.
 */
export function canvasOf(rows: number, viewport: number): { height: number; scale: number } {
  const height = Math.min(rows * CELL, MAX_CANVAS_PX)
  const scale = rows * CELL > height && height > viewport ? (rows * CELL - viewport) / (height - viewport) : 1
  return { height, scale }
}

/** The rows rendered when the viewport (`viewport` px tall) shows the rows from virtual y `top` on, with `overscan` rows either side. */
export function renderedRows(top: number, viewport: number, rows: number, overscan: number): { firstRow: number; lastRow: number } {
  return { firstRow: Math.max(0, Math.floor(top / CELL) - overscan), lastRow: Math.min(rows - 1, Math.ceil((top + viewport) / CELL) + overscan) }
}

export interface Band {
  /** Where the drag started and where the pointer is, in grid-canvas pixels. */
  x0: number
  y0: number
  x1: number
  y1: number
}

/**
 * The indices of the cells a band touches (arithmetic on the layout: no DOM, any size). A band
 * edge in the gap after a cell does not touch that cell. `key` names the cells covered.
 */
export function bandCells(b: Band, columns: number, rows: number, total: number): { key: string; indices: number[] } {
  const c0 = Math.max(0, Math.floor((Math.min(b.x0, b.x1) + GAP) / CELL))
  const c1 = Math.min(columns - 1, Math.floor(Math.max(b.x0, b.x1) / CELL))
  const r0 = Math.max(0, Math.floor((Math.min(b.y0, b.y1) + GAP) / CELL))
  const r1 = Math.min(rows - 1, Math.floor(Math.max(b.y0, b.y1) / CELL))
  const indices: number[] = []
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (r * columns + c < total) indices.push(r * columns + c)
  return { key: `${r0},${r1},${c0},${c1}`, indices }
}

/**
 * The row a cell is drawn at: its own while it is among the rendered rows (firstRow..lastRow), else
 * (the focused cell, kept mounted wherever the scroll is: Grid.tsx) the row just above them, off
 * screen above the viewport. Below them it could be on screen while flinging (no overscan rows),
 * at a wrong place; at its own row far down a scaled grid it would stretch the canvas past
 * MAX_CANVAS_PX; above, a negative offset never enlarges the scroll range.
 */
export function keptRow(index: number, columns: number, firstRow: number, lastRow: number): number {
  const row = Math.floor(index / columns)
  return row >= firstRow && row <= lastRow ? row : firstRow - 1
}

/**
 * The part of a band that is drawn: its y clamped to the rendered rows and one row around them.
 * The band's selection is computed from the whole band (bandCells); only its drawing is clamped,
 * since a band dragged over many rows (auto-scrolling, faster than the scroll bar in a scaled grid)
 * would otherwise reach past the canvas, even past Chromium's layout limit.
 */
export function drawnBand(b: Band, firstRow: number, lastRow: number): Band {
  const clamp = (y: number) => Math.min(Math.max(y, (firstRow - 1) * CELL), (lastRow + 2) * CELL)
  return { x0: b.x0, y0: clamp(b.y0), x1: b.x1, y1: clamp(b.y1) }
}

/**
 * True when the scroll moved more than a row between two scroll events (physical pixels, the
 * scroll bar's: a wheel notch moves 150-172 px whatever the grid's scale, and is no fling).
 */
export function isFling(fromScrollTop: number, toScrollTop: number): boolean {
  return Math.abs(toScrollTop - fromScrollTop) > CELL
}
