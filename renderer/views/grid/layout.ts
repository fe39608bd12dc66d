/** The grid's geometry: fixed-size cells in rows, so that any cell's place is arithmetic. */

export const CELL = 172 // px: a 160 px thumbnail, its caption sits inside, plus the gap
const GAP = 8 // px between cells (the .cell is 164 px square)
export const OVERSCAN_ROWS = 3
/** A press that moves further than this is a rubber band, not a click. */
export const DRAG_START_PX = 6
/** Within this distance of the grid's top or bottom edge a rubber band scrolls the grid. */
export const EDGE_PX = 48

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
