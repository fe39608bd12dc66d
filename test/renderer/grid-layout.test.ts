/** The scaled grid's arithmetic (renderer/views/grid/layout.ts): a million images in a canvas Chromium can lay out. */
import { describe, expect, it } from 'vitest'
import { bandCells, canvasOf, CELL, drawnBand, isFling, keptRow, MAX_CANVAS_PX, OVERSCAN_ROWS, renderedRows } from '../../renderer/views/grid/layout'

// A million images in five columns in a 900 px viewport: 34.4M px of rows on a 30M px canvas.
const COLUMNS = 5
const ROWS = 200_000
const VIEWPORT = 900
const { height, scale } = canvasOf(ROWS, VIEWPORT)

/** What use-virtual-grid.ts renders at scroll bar position `s` (physical px): the rows, and where their layer's top is on the canvas. */
function at(s: number, overscan = OVERSCAN_ROWS) {
  const top = Math.floor((s * scale) / CELL) * CELL
  const { firstRow, lastRow } = renderedRows(top, VIEWPORT, ROWS, overscan)
  return { firstRow, lastRow, layerTop: firstRow * CELL - s * (scale - 1) }
}

describe('canvasOf', () => {
  it('caps the canvas and maps the last scroll position onto the last rows', () => {
    expect(height).toBe(MAX_CANVAS_PX)
    expect(scale).toBeCloseTo(1.1467, 3)
    const last = height - VIEWPORT
    expect(last * scale + VIEWPORT).toBeCloseTo(ROWS * CELL, 3)
    expect(canvasOf(100, VIEWPORT)).toEqual({ height: 100 * CELL, scale: 1 })
  })
})

describe('keptRow', () => {
  it('draws the focused cell out of the rendered rows above them, off screen, wherever it is', () => {
    // Flinging (no overscan rows): the row after the last rendered one is inside the viewport.
    const s = 20_000_000
    const { firstRow, lastRow, layerTop } = at(s, 0)
    const row = keptRow(999_999, COLUMNS, firstRow, lastRow)
    const canvasTop = layerTop + (row - firstRow) * CELL
    expect(canvasTop + CELL).toBeLessThanOrEqual(s) // wholly above the viewport
    expect(keptRow(0, COLUMNS, firstRow, lastRow)).toBe(firstRow - 1)
    // At the top of the grid: above the canvas (a negative offset never enlarges the scroll range).
    expect(keptRow(999_999, COLUMNS, 0, 8)).toBe(-1)
  })
  it('draws a cell among the rendered rows at its own row', () => {
    expect(keptRow(42, COLUMNS, 5, 12)).toBe(8)
    expect(keptRow(25, COLUMNS, 5, 12)).toBe(5)
    expect(keptRow(64, COLUMNS, 5, 12)).toBe(12)
  })
})

describe('drawnBand', () => {
  it('keeps a band auto-scrolled upward from the bottom of a scaled grid near the viewport, inside the canvas', () => {
    // Pressed on the last visible row at the bottom, dragged upward to 13% of the way from the bottom.
    const s0 = height - VIEWPORT
    const s1 = Math.round(height * 0.87)
    const band = { x0: 10, y0: s0 * scale + VIEWPORT - 10, x1: 600, y1: s1 * scale + 20 }
    const { firstRow, lastRow, layerTop } = at(s1)
    const drawn = drawnBand(band, firstRow, lastRow)
    const bottom = (b: typeof band) => layerTop + Math.max(b.y0, b.y1) - firstRow * CELL // on the canvas
    expect(bottom(band)).toBeGreaterThan(height) // undrawn, the band would stretch the canvas
    expect(bottom(drawn)).toBeLessThanOrEqual(s1 + VIEWPORT + (OVERSCAN_ROWS + 3) * CELL)
    expect(Math.min(drawn.y0, drawn.y1)).toBe(band.y1) // the end the pointer is at is drawn where it is
    // The selection still covers every row the band touches, not only the drawn ones.
    const { indices } = bandCells(band, COLUMNS, ROWS, ROWS * COLUMNS)
    expect(indices.at(-1)).toBe(ROWS * COLUMNS - 5 + 3)
    expect(indices.length).toBeGreaterThan((lastRow - firstRow + 1) * 4 * 10)
  })
  it('leaves a band within the rendered rows as it is', () => {
    const band = { x0: 0, y0: 10 * CELL + 5, x1: 300, y1: 12 * CELL }
    expect(drawnBand(band, 8, 20)).toEqual(band)
  })
})

describe('isFling', () => {
  it('takes a wheel notch for a scroll, in a scaled grid too, and a jump of more than a row for a fling', () => {
    // A 160 px notch moves the rows 160 * 1.15 = 183 px, more than a row: physical pixels decide.
    expect(160 * scale).toBeGreaterThan(CELL)
    expect(isFling(1_000_000, 1_000_160)).toBe(false)
    expect(isFling(1_000_160, 1_000_000)).toBe(false)
    expect(isFling(1_000_000, 1_000_000 + CELL + 1)).toBe(true)
    expect(isFling(1_000_000, 25_000_000)).toBe(true)
  })
})
