import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent, type UIEvent } from 'react'
import type { ImageInfo } from '../../preload/contract'
import { PAGE_SIZE, useGrid } from '../stores/grid'
import { useLabels } from '../stores/labels'
import { useSelection } from '../stores/selection'
import { studio } from '../transport'
import { decide, decideMany } from '../decisions'
import { LabelBadge } from './LabelBadge'

const CELL = 172 // px: a 160 px thumbnail, its caption sits inside, plus the gap
const GAP = 8 // px between cells (the .cell is 164 px square)
const OVERSCAN_ROWS = 3
/** A press that moves further than this is a rubber band, not a click. */
const DRAG_START_PX = 6
/** Within this distance of the grid's top or bottom edge a rubber band scrolls the grid. */
const EDGE_PX = 48

interface Band {
  /** Where the drag started and where the pointer is, in grid-canvas pixels. */
  x0: number
  y0: number
  x1: number
  y1: number
}

interface Menu {
  index: number
  x: number
  y: number
}

/**
 * A virtualised grid: only the rows on screen (and a few around them) exist in the DOM. Selection:
 * ctrl/cmd-click or space toggles, shift-click and shift+arrows select a range, a drag draws a
 * rubber band (with ctrl/cmd it adds), Ctrl+A selects the whole filter, Esc clears. A click opens the
 * viewer while nothing is selected and selects only that image while something is; a double-click or
 * Enter always opens it. Digits, a and x act on the selection when there is one.
 */
export function Grid() {
  const total = useGrid((s) => s.total)
  useGrid((s) => s.pages) // re-render when a page arrives
  const list = useGrid((s) => s.list)
  const selected = useSelection((s) => s.ids)
  const { ensure, imageAt, view } = useGrid.getState()
  const scroller = useRef<HTMLDivElement>(null)
  const canvas = useRef<HTMLDivElement>(null)
  const [size, setSize] = useState({ width: 0, height: 0 })
  /** The scroll position rounded down to a row: the grid renders when the rows on screen change, not on every scroll event. */
  const [scrollTop, setScrollTop] = useState(0)
  /** True while the grid jumps more than a screen per scroll event (a fling, the scroll bar dragged): see onScroll. */
  const [flinging, setFlinging] = useState(false)
  const lastScroll = useRef({ top: 0, settle: 0 as ReturnType<typeof setTimeout> | 0 })
  const [band, setBand] = useState<Band | null>(null)
  const [menu, setMenu] = useState<Menu | null>(null)
  /** The press being tracked: where it began, whether it became a band, the selection it adds to. */
  const press = useRef<{ x: number; y: number; clientX: number; clientY: number; banding: boolean; base: ReadonlySet<number>; cells: string; pointerId: number } | null>(null)
  /** Set when a band ended, so the click that follows the release does not also act. */
  const swallowClick = useRef(false)
  const autoScroll = useRef<number | null>(null)
  /** The index of the thumbnail holding the keyboard focus, if one does. */
  const focused = useRef<number | null>(null)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const observer = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  // A new filter or list starts at the top.
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0
  }, [list])

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

  useEffect(() => () => stopAutoScroll(), [])

  function focusIndex(next: number) {
    const row = Math.floor(next / columns)
    const el = scroller.current
    if (el) {
      if (row * CELL < el.scrollTop) el.scrollTop = row * CELL
      else if ((row + 1) * CELL > el.scrollTop + el.clientHeight) el.scrollTop = (row + 1) * CELL - el.clientHeight
    }
    requestAnimationFrame(() => el?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus())
  }

  function onKey(e: KeyboardEvent<HTMLButtonElement>, index: number) {
    const image = imageAt(index)
    const selection = useSelection.getState()
    const mod = e.ctrlKey || e.metaKey
    if (e.key === 'Enter') {
      e.preventDefault()
      view(index)
      return
    }
    if (e.key === ' ') {
      e.preventDefault()
      selection.toggle(index)
      return
    }
    if (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) {
      e.preventDefault()
      const r = e.currentTarget.getBoundingClientRect()
      setMenu({ index, x: r.left + 24, y: r.top + 24 })
      return
    }
    if (image && !mod && !e.altKey && e.key === 'm') {
      e.preventDefault()
      void useGrid.getState().showSimilar(image)
      return
    }
    if (image && !mod && !e.altKey) {
      const acted = selection.ids.size > 0 ? decideMany([...selection.ids], e.key) : decide(image, e.key)
      if (acted) {
        e.preventDefault()
        return
      }
    }
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns }
    const step = moves[e.key]
    if (step === undefined) return
    e.preventDefault()
    const next = Math.min(total - 1, Math.max(0, index + step))
    if (e.shiftKey) {
      if (selection.anchor === null) selection.setAnchor(index)
      selection.range(next, mod)
    } else selection.setAnchor(next)
    focusIndex(next)
  }

  /** Keys for the whole grid, from a thumbnail or from the grid itself (after a rubber band). */
  function onGridKey(e: KeyboardEvent<HTMLDivElement>) {
    if (e.defaultPrevented) return
    const selection = useSelection.getState()
    const mod = e.ctrlKey || e.metaKey
    if (mod && e.key.toLowerCase() === 'a') void selection.all()
    else if (e.key === 'Escape' && selection.ids.size > 0) selection.clear()
    else if (e.target !== e.currentTarget || mod || e.altKey || selection.ids.size === 0 || !decideMany([...selection.ids], e.key)) return
    e.preventDefault()
  }

  function onClick(e: MouseEvent<HTMLButtonElement>, index: number) {
    if (swallowClick.current) {
      swallowClick.current = false
      return
    }
    const selection = useSelection.getState()
    if (e.shiftKey) selection.range(index, e.ctrlKey || e.metaKey)
    else if (e.ctrlKey || e.metaKey) selection.toggle(index)
    else if (selection.ids.size > 0) selection.only(index)
    else {
      selection.setAnchor(index)
      view(index)
    }
  }

  // ---- rubber band ----

  /** A client point in grid-canvas pixels. */
  function toCanvas(clientX: number, clientY: number): { x: number; y: number } {
    const r = canvas.current?.getBoundingClientRect()
    return { x: clientX - (r?.left ?? 0), y: clientY - (r?.top ?? 0) }
  }

  /**
   * The indices of the cells a band touches (arithmetic on the layout: no DOM, any size). A band
   * edge in the gap after a cell does not touch that cell.
   */
  function bandCells(b: Band): { key: string; indices: number[] } {
    const c0 = Math.max(0, Math.floor((Math.min(b.x0, b.x1) + GAP) / CELL))
    const c1 = Math.min(columns - 1, Math.floor(Math.max(b.x0, b.x1) / CELL))
    const r0 = Math.max(0, Math.floor((Math.min(b.y0, b.y1) + GAP) / CELL))
    const r1 = Math.min(rows - 1, Math.floor(Math.max(b.y0, b.y1) / CELL))
    const indices: number[] = []
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (r * columns + c < total) indices.push(r * columns + c)
    return { key: `${r0},${r1},${c0},${c1}`, indices }
  }

  function updateBand(clientX: number, clientY: number) {
    const p = press.current
    if (!p) return
    p.clientX = clientX
    p.clientY = clientY
    const { x, y } = toCanvas(clientX, clientY)
    const b = { x0: p.x, y0: p.y, x1: x, y1: y }
    setBand(b)
    const { key, indices } = bandCells(b)
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
      setMenu(null)
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
    setMenu(null)
  }

  // The focused thumbnail stays mounted, as a real button, wherever the scroll is and however fast
  // it moves: unmounting it would drop the keyboard focus to the page.
  const focusedAt = focused.current !== null && focused.current < total ? focused.current : null
  const indices: number[] = []
  if (focusedAt !== null && focusedAt < first) indices.push(focusedAt)
  for (let i = first; i <= last; i++) indices.push(i)
  if (focusedAt !== null && focusedAt > last) indices.push(focusedAt)
  const cells = []
  for (const i of indices) {
    const image = flinging && i !== focusedAt ? undefined : imageAt(i)
    const top = Math.floor(i / columns) * CELL
    const left = (i % columns) * CELL
    const isSelected = image ? selected.has(image.id) : false
    const similarity = image && list?.kind === 'similar' ? list.similarity[image.id] : undefined
    cells.push(
      <div key={i} className={`cell${isSelected ? ' selected' : ''}`} role="gridcell" aria-selected={isSelected} style={{ transform: `translate(${left}px, ${top}px)` }}>
        {image ? (
          <button
            type="button"
            className="thumb"
            data-testid="thumb"
            data-index={i}
            data-selected={isSelected || undefined}
            title={image.relPath}
            onClick={(e) => onClick(e, i)}
            onDoubleClick={() => view(i)}
            onKeyDown={(e) => onKey(e, i)}
            onFocus={() => (focused.current = i)}
            onBlur={() => focused.current === i && (focused.current = null)}
            onContextMenu={(e) => {
              e.preventDefault()
              setMenu({ index: i, x: e.clientX, y: e.clientY })
            }}
          >
            <img ref={cancelOnUnmount} src={studio.mediaUrl('thumb', image.relPath)} alt={image.relPath} loading="lazy" decoding="async" draggable={false} />
            <LabelBadge image={image} />
            {isSelected && (
              <span className="select-mark" aria-hidden="true">
                ✓
              </span>
            )}
            <span className="caption">
              {similarity !== undefined && <span className="similarity">{i === 0 ? 'this image' : `${Math.round(similarity * 100)}% alike`} · </span>}
              {image.relPath.split('/').pop()}
            </span>
          </button>
        ) : (
          <div className="thumb placeholder" aria-hidden="true" />
        )}
      </div>,
    )
  }

  const bandStyle = band && {
    left: Math.min(band.x0, band.x1),
    top: Math.min(band.y0, band.y1),
    width: Math.abs(band.x1 - band.x0),
    height: Math.abs(band.y1 - band.y0),
  }

  return (
    <>
      <SelectionBar />
      <div
        className={`grid-scroller${band ? ' banding' : ''}`}
        ref={scroller}
        onScroll={onScroll}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onKeyDown={onGridKey}
        tabIndex={-1}
        role="grid"
        aria-label="Images"
        aria-rowcount={rows}
        aria-multiselectable="true"
      >
        <div className="grid-canvas" ref={canvas} style={{ height: rows * CELL }}>
          {cells}
          {bandStyle && <div className="rubber-band" data-testid="rubber-band" style={bandStyle} />}
        </div>
      </div>
      {menu && <ContextMenu menu={menu} image={imageAt(menu.index)} close={() => setMenu(null)} />}
    </>
  )
}

/**
 * Chromium goes on loading an image whose element left the page until the element is garbage
 * collected; dropping its src when its cell unmounts lets the request be cancelled, so that cells
 * scrolled past do not hold up the thumbnails on screen (`npm run bench -- ui`, fast scroll).
 */
function cancelOnUnmount(img: HTMLImageElement | null) {
  return () => img?.removeAttribute('src')
}

/** Right-click (or the context-menu key) on a thumbnail. */
function ContextMenu({ menu, image, close }: { menu: Menu; image: ImageInfo | undefined; close: () => void }) {
  const ref = useRef<HTMLDivElement>(null)
  const selected = useSelection((s) => (image ? s.ids.has(image.id) : false))
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus()
    function away(e: globalThis.PointerEvent) {
      if (!ref.current?.contains(e.target as Node)) close()
    }
    window.addEventListener('pointerdown', away)
    return () => window.removeEventListener('pointerdown', away)
  }, [close])
  if (!image) return null
  const back = () => {
    close()
    document.querySelector<HTMLElement>(`[data-testid="thumb"][data-index="${menu.index}"]`)?.focus()
  }
  const act = (fn: () => void) => () => {
    close()
    fn()
  }
  return (
    <div
      className="context-menu"
      role="menu"
      aria-label={`Actions for ${image.relPath}`}
      ref={ref}
      style={{ left: menu.x, top: menu.y }}
      onKeyDown={(e) => {
        const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])]
        const at = items.indexOf(document.activeElement as HTMLElement)
        if (e.key === 'Escape') back()
        else if (e.key === 'ArrowDown') items[(at + 1) % items.length]?.focus()
        else if (e.key === 'ArrowUp') items[(at - 1 + items.length) % items.length]?.focus()
        else return
        e.preventDefault()
        e.stopPropagation()
      }}
    >
      <button type="button" role="menuitem" onClick={act(() => useGrid.getState().view(menu.index))}>
        Open <kbd>Enter</kbd>
      </button>
      <button type="button" role="menuitem" onClick={act(() => void useGrid.getState().showSimilar(image))}>
        More like this <kbd>m</kbd>
      </button>
      <button type="button" role="menuitem" onClick={act(() => useSelection.getState().toggle(menu.index))}>
        {selected ? 'Deselect' : 'Select'} <kbd>space</kbd>
      </button>
    </div>
  )
}

/** "N selected" with the actions that apply to all of them at once. */
function SelectionBar() {
  const ids = useSelection((s) => s.ids)
  const classes = useLabels((s) => s.classes)
  if (ids.size === 0) return null
  const all = () => [...useSelection.getState().ids]
  return (
    <div className="selection-bar" role="toolbar" aria-label="Selection" data-testid="selection-bar">
      <strong data-testid="selection-count">{ids.size.toLocaleString()} selected</strong>
      <span className="muted">Label as</span>
      {classes.slice(0, 9).map((c, i) => (
        <button key={c.id} type="button" onClick={() => decideMany(all(), String(i + 1))} aria-label={`Label the selected images ${c.name}`}>
          <kbd>{i + 1}</kbd> {c.name}
        </button>
      ))}
      <button type="button" onClick={() => decideMany(all(), 'a')} aria-label="Accept the selected proposals">
        <kbd>a</kbd> Accept
      </button>
      <button type="button" onClick={() => decideMany(all(), 'x')} aria-label="Reject the selected proposals">
        <kbd>x</kbd> Reject
      </button>
      <span className="spacer" />
      <button type="button" onClick={() => useSelection.getState().clear()} aria-label="Clear the selection">
        Clear <kbd>Esc</kbd>
      </button>
    </div>
  )
}
