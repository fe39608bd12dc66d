import { useEffect, useRef, useState, type PointerEvent, type RefObject } from 'react'
import { useSelection } from '../../stores/selection'
import { bandCells, DRAG_START_PX, EDGE_PX, type Band } from './layout'

/**
 * The rubber band: a press that moves draws a band and selects the cells it touches (with ctrl/cmd
 * it adds to the selection); held near the grid's top or bottom edge it scrolls the grid and
 * stretches with it. The click that follows a band's release is swallowed (`takeClick`).
 */
export function useRubberBand(opts: {
  scroller: RefObject<HTMLDivElement | null>
  canvas: RefObject<HTMLDivElement | null>
  columns: number
  rows: number
  total: number
  /** A canvas y as a virtual y (use-virtual-grid.ts: where the rows are in a grid taller than its canvas). */
  toVirtual: (canvasY: number) => number
  onStart: () => void
}) {
  const { scroller, canvas, columns, rows, total } = opts
  const [band, setBand] = useState<Band | null>(null)
  /** The press being tracked: where it began, whether it became a band, the selection it adds to. */
  const press = useRef<{ x: number; y: number; clientX: number; clientY: number; banding: boolean; base: ReadonlySet<number>; cells: string; pointerId: number } | null>(null)
  /** Set when a band ended, so the click that follows the release does not also act. */
  const swallowClick = useRef(false)
  const autoScroll = useRef<number | null>(null)

  useEffect(() => () => stopAutoScroll(), [])

  /** A client point in grid pixels (virtual: see use-virtual-grid.ts), where bandCells finds the rows. */
  function toCanvas(clientX: number, clientY: number): { x: number; y: number } {
    const r = canvas.current?.getBoundingClientRect()
    return { x: clientX - (r?.left ?? 0), y: opts.toVirtual(clientY - (r?.top ?? 0)) }
  }

  function updateBand(clientX: number, clientY: number) {
    const p = press.current
    if (!p) return
    p.clientX = clientX
    p.clientY = clientY
    const { x, y } = toCanvas(clientX, clientY)
    const b = { x0: p.x, y0: p.y, x1: x, y1: y }
    setBand(b)
    const { key, indices } = bandCells(b, columns, rows, total)
    // The selection changes only when the band covers other cells, not on every pixel.
    if (key !== p.cells) {
      p.cells = key
      useSelection.getState().indices(indices, p.base)
    }
  }

  function stopAutoScroll() {
    if (autoScroll.current !== null) cancelAnimationFrame(autoScroll.current)
    autoScroll.current = null
  }

  /** While the pointer is near an edge, scroll a little each frame and stretch the band with it. */
  function runAutoScroll() {
    const el = scroller.current
    const p = press.current
    if (!el || !p?.banding) return stopAutoScroll()
    const r = el.getBoundingClientRect()
    const speed = p.clientY < r.top + EDGE_PX ? -(r.top + EDGE_PX - p.clientY) : p.clientY > r.bottom - EDGE_PX ? p.clientY - (r.bottom - EDGE_PX) : 0
    if (speed === 0) return stopAutoScroll()
    el.scrollTop += Math.round(speed / 2)
    updateBand(p.clientX, p.clientY)
    autoScroll.current = requestAnimationFrame(runAutoScroll)
  }

  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    const el = scroller.current
    if (e.button !== 0 || !el || e.pointerType === 'touch') return
    // A press on the scrollbar scrolls; it does not start a band.
    if (e.clientX >= el.getBoundingClientRect().left + el.clientWidth) return
    const { x, y } = toCanvas(e.clientX, e.clientY)
    const additive = e.ctrlKey || e.metaKey
    press.current = { x, y, clientX: e.clientX, clientY: e.clientY, banding: false, base: additive ? useSelection.getState().ids : new Set(), cells: '', pointerId: e.pointerId }
  }

  function onPointerMove(e: PointerEvent<HTMLDivElement>) {
    const p = press.current
    if (!p) return
    if (!p.banding) {
      if (Math.hypot(e.clientX - p.clientX, e.clientY - p.clientY) < DRAG_START_PX) return
      p.banding = true
      opts.onStart()
      scroller.current?.setPointerCapture(p.pointerId)
    }
    e.preventDefault()
    updateBand(e.clientX, e.clientY)
    if (autoScroll.current === null) autoScroll.current = requestAnimationFrame(runAutoScroll)
  }

  function onPointerUp() {
    const p = press.current
    press.current = null
    stopAutoScroll()
    if (!p?.banding) return
    setBand(null)
    swallowClick.current = true
    // A click on empty canvas never comes; drop the flag after this event loop turn.
    setTimeout(() => (swallowClick.current = false), 0)
  }

  /** True (once) for the click that ends a band: the caller ignores it. */
  function takeClick(): boolean {
    if (!swallowClick.current) return false
    swallowClick.current = false
    return true
  }

  return { band, takeClick, handlers: { onPointerDown, onPointerMove, onPointerUp, onPointerCancel: onPointerUp } }
}
