import { useEffect, useLayoutEffect, useRef, useState, type RefObject, type UIEvent } from 'react'
import { PAGE_SIZE, useGrid } from '../../stores/grid'
import { canvasOf, CELL, isFling, OVERSCAN_ROWS, renderedRows } from './layout'

/**
 * The virtual scroller: which cells are on screen (and a few rows around them), from the scroll
 * position and the grid's size, and the pages they need asked for. Only those cells exist in the DOM.
 *
 * A grid taller than MAX_CANVAS_PX (layout.ts) gets a canvas of that height, and the scroll bar's range is
 * mapped onto the rows' (`scale`, their ratio): the scroll position s shows the rows from y =
 * s * scale of the full grid ("virtual" pixels). The rendered rows sit in one layer (`layer`), moved
 * on every scroll event to where that mapping puts them, so that rows near the viewport keep their
 * exact places (CELL apart) and only the speed of the scroll changes (by `scale`: 1.15 at a million
 * images in five columns). Below that height scale is 1 and the layer never moves between renders.
 */
export function useVirtualGrid(scroller: RefObject<HTMLDivElement | null>, onScrolled: () => void) {
  const total = useGrid((s) => s.total)
  const list = useGrid((s) => s.list)
  const ensure = useGrid((s) => s.ensure)
  const [size, setSize] = useState({ width: 0, height: 0 })
  /** The scroll position in virtual pixels, rounded down to a row: the grid renders when the rows on screen change, not on every scroll event. */
  const [scrollTop, setScrollTop] = useState(0)
  /** True while the grid jumps more than a screen per scroll event (a fling, the scroll bar dragged): see onScroll. */
  const [flinging, setFlinging] = useState(false)
  /** The scroll bar's position (physical pixels) at the last scroll event, and the timer that ends a fling. */
  const lastScroll = useRef({ top: 0, settle: 0 as ReturnType<typeof setTimeout> | 0 })
  /** The layer that holds the rendered rows (see above), and the virtual y of its top: the first rendered row's. */
  const layer = useRef<HTMLDivElement>(null)
  const layerTop = useRef(0)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const observer = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [scroller])

  // A new filter or list starts at the top.
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0
  }, [list, scroller])

  const columns = Math.max(1, Math.floor(size.width / CELL))
  const rows = Math.ceil(total / columns)
  const { height, scale } = canvasOf(rows, size.height)
  const overscan = flinging ? 0 : OVERSCAN_ROWS
  const { firstRow, lastRow } = renderedRows(scrollTop, size.height, rows, overscan)
  const first = firstRow * columns
  const last = Math.min(total - 1, (lastRow + 1) * columns - 1)

  // Not while flinging: the cells are placeholders then, and every page passed would be asked for.
  // A drag of the scroll bar from top to bottom at a million images queued thousands of page
  // queries in main, deep offsets each, and "select all" waited behind them for over 30 s.
  useEffect(() => {
    if (size.width > 0 && !flinging) ensure(first, last + PAGE_SIZE / 2) // ask a little ahead of the scroll
  }, [first, last, size.width, flinging, ensure])

  /** Puts the layer where the scroll position `top` shows it: its rows at virtual y minus top * (scale - 1) on the canvas. */
  function placeLayer(top: number) {
    if (layer.current) layer.current.style.transform = `translateY(${Math.round(layerTop.current - top * (scale - 1))}px)`
  }
  // After every render: the rows rendered changed, or the scale did. layerTop is set here, not while
  // rendering: a scroll event between a render and its commit would move the old cells by the new firstRow.
  useLayoutEffect(() => {
    layerTop.current = firstRow * CELL
    placeLayer(scroller.current?.scrollTop ?? 0)
  })

  /** A canvas y (pixels from the canvas's top) as a virtual y: where the rows are. */
  function toVirtual(canvasY: number): number {
    return canvasY + (scroller.current?.scrollTop ?? 0) * (scale - 1)
  }

  /** Scrolls the grid the least that shows cell `index`'s whole row (at its real row: the browser's own scroll-into-view goes to where a cell is drawn). */
  function revealIndex(index: number) {
    const row = Math.floor(index / columns)
    const el = scroller.current
    if (!el) return
    // In virtual pixels; the scroll position is rounded the way that keeps the whole row on screen.
    const top = el.scrollTop * scale
    if (row * CELL < top) el.scrollTop = Math.floor((row * CELL) / scale)
    else if ((row + 1) * CELL > top + el.clientHeight) el.scrollTop = Math.ceil(((row + 1) * CELL - el.clientHeight) / scale)
  }

  /** Scrolls cell `next` into view and gives it the keyboard focus. */
  function focusIndex(next: number) {
    revealIndex(next)
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus())
  }

  function onScroll(e: UIEvent<HTMLDivElement>) {
    const top = e.currentTarget.scrollTop * scale
    placeLayer(e.currentTarget.scrollTop)
    // Rounded to a row so that React bails out while the same rows stay on screen (OVERSCAN_ROWS
    // covers the part of a row the rounding leaves out). `npm run bench -- ui`, wheel speed.
    setScrollTop(Math.floor(top / CELL) * CELL)
    // More than a row between two scroll events (a frame): a row is on screen for a few frames only,
    // less than its thumbnails take to arrive, so mounting cells (buttons, images, badges) and asking
    // for thumbnails is work nobody sees, and the requests queue up ahead of the thumbnails of the
    // place where the scroll stops. Light placeholders, no overscan, until the scroll settles.
    // `npm run bench -- ui`: at 400 px a frame the renderer's main thread took 33 ms of CPU a frame,
    // and the thumbnails where it stopped showed after 30 s, behind 2,500 requests.
    const s = lastScroll.current
    if (isFling(s.top, e.currentTarget.scrollTop)) {
      setFlinging(true)
      if (s.settle) clearTimeout(s.settle)
      s.settle = setTimeout(() => setFlinging(false), 150)
    }
    s.top = e.currentTarget.scrollTop
    onScrolled()
  }

  return { total, list, columns, rows, height, first, last, firstRow, lastRow, layer, flinging, focusIndex, revealIndex, toVirtual, onScroll }
}
