import { useEffect, useLayoutEffect, useRef, useState, type RefObject, type UIEvent } from 'react'
import { PAGE_SIZE, useGrid } from '../../stores/grid'
import { CELL, OVERSCAN_ROWS } from './layout'

/**
 * The virtual scroller: which cells are on screen (and a few rows around them), from the scroll
 * position and the grid's size, and the pages they need asked for. Only those cells exist in the DOM.
 */
export function useVirtualGrid(scroller: RefObject<HTMLDivElement | null>, onScrolled: () => void) {
  const total = useGrid((s) => s.total)
  const list = useGrid((s) => s.list)
  const ensure = useGrid((s) => s.ensure)
  const [size, setSize] = useState({ width: 0, height: 0 })
  /** The scroll position rounded down to a row: the grid renders when the rows on screen change, not on every scroll event. */
  const [scrollTop, setScrollTop] = useState(0)
  /** True while the grid jumps more than a screen per scroll event (a fling, the scroll bar dragged): see onScroll. */
  const [flinging, setFlinging] = useState(false)
  const lastScroll = useRef({ top: 0, settle: 0 as ReturnType<typeof setTimeout> | 0 })

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
  const overscan = flinging ? 0 : OVERSCAN_ROWS
  const firstRow = Math.max(0, Math.floor(scrollTop / CELL) - overscan)
  const lastRow = Math.min(rows - 1, Math.ceil((scrollTop + size.height) / CELL) + overscan)
  const first = firstRow * columns
  const last = Math.min(total - 1, (lastRow + 1) * columns - 1)

  useEffect(() => {
    if (size.width > 0) ensure(first, last + PAGE_SIZE / 2) // ask a little ahead of the scroll
  }, [first, last, size.width, ensure])

  /** Scrolls cell `next` into view and gives it the keyboard focus. */
  function focusIndex(next: number) {
    const row = Math.floor(next / columns)
    const el = scroller.current
    if (el) {
      if (row * CELL < el.scrollTop) el.scrollTop = row * CELL
      else if ((row + 1) * CELL > el.scrollTop + el.clientHeight) el.scrollTop = (row + 1) * CELL - el.clientHeight
    }
    requestAnimationFrame(() => el?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus())
  }

  function onScroll(e: UIEvent<HTMLDivElement>) {
    const top = e.currentTarget.scrollTop
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
    if (Math.abs(top - s.top) > CELL) {
      setFlinging(true)
      if (s.settle) clearTimeout(s.settle)
      s.settle = setTimeout(() => setFlinging(false), 150)
    }
    s.top = top
    onScrolled()
  }

  return { total, list, columns, rows, first, last, flinging, focusIndex, onScroll }
}
