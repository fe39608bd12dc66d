import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react'
import { PAGE_SIZE, useGrid } from '../stores/grid'
import { studio } from '../transport'
import { decide } from '../decisions'
import { LabelBadge } from './LabelBadge'

const CELL = 172 // px: a 160 px thumbnail, its caption sits inside, plus the gap
const OVERSCAN_ROWS = 3

/** A virtualised grid: only the rows on screen (and a few around them) exist in the DOM. */
export function Grid() {
  const total = useGrid((s) => s.total)
  useGrid((s) => s.pages) // re-render when a page arrives
  const { ensure, imageAt, view } = useGrid.getState()
  const scroller = useRef<HTMLDivElement>(null)
  const [size, setSize] = useState({ width: 0, height: 0 })
  const [scrollTop, setScrollTop] = useState(0)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const observer = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  const columns = Math.max(1, Math.floor(size.width / CELL))
  const rows = Math.ceil(total / columns)
  const firstRow = Math.max(0, Math.floor(scrollTop / CELL) - OVERSCAN_ROWS)
  const lastRow = Math.min(rows - 1, Math.ceil((scrollTop + size.height) / CELL) + OVERSCAN_ROWS)
  const first = firstRow * columns
  const last = Math.min(total - 1, (lastRow + 1) * columns - 1)

  useEffect(() => {
    if (size.width > 0) ensure(first, last + PAGE_SIZE / 2) // ask a little ahead of the scroll
  }, [first, last, size.width, ensure])

  function onKey(e: KeyboardEvent<HTMLButtonElement>, index: number) {
    const image = imageAt(index)
    if (image && !e.ctrlKey && !e.metaKey && !e.altKey && decide(image, e.key)) {
      e.preventDefault()
      return
    }
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns }
    const step = moves[e.key]
    if (step === undefined) return
    e.preventDefault()
    const next = Math.min(total - 1, Math.max(0, index + step))
    const row = Math.floor(next / columns)
    const el = scroller.current
    if (el) {
      if (row * CELL < el.scrollTop) el.scrollTop = row * CELL
      else if ((row + 1) * CELL > el.scrollTop + el.clientHeight) el.scrollTop = (row + 1) * CELL - el.clientHeight
    }
    requestAnimationFrame(() => el?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus())
  }

  const cells = []
  for (let i = first; i <= last; i++) {
    const image = imageAt(i)
    const top = Math.floor(i / columns) * CELL
    const left = (i % columns) * CELL
    cells.push(
      <div key={i} className="cell" style={{ transform: `translate(${left}px, ${top}px)` }}>
        {image ? (
          <button
            type="button"
            className="thumb"
            data-testid="thumb"
            data-index={i}
            title={image.relPath}
            onClick={() => view(i)}
            onKeyDown={(e) => onKey(e, i)}
          >
            <img src={studio.mediaUrl('thumb', image.relPath)} alt={image.relPath} loading="lazy" decoding="async" draggable={false} />
            <LabelBadge image={image} />
            <span className="caption">{image.relPath.split('/').pop()}</span>
          </button>
        ) : (
          <div className="thumb placeholder" aria-hidden="true" />
        )}
      </div>,
    )
  }

  return (
    <div className="grid-scroller" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} role="grid" aria-label="Images" aria-rowcount={rows}>
      <div className="grid-canvas" style={{ height: rows * CELL }}>
        {cells}
      </div>
    </div>
  )
}
