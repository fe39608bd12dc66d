import { useCallback, useRef, useState, type MouseEvent } from 'react'
import { useKeys } from '../../keymap'
import { useGrid } from '../../stores/grid'
import { useSelection } from '../../stores/selection'
import { Cell, type CellActions } from './Cell'
import { ContextMenu, type Menu } from './ContextMenu'
import { gridBindings } from './keys'
import { CELL, drawnBand, keptRow } from './layout'
import { SelectionBar } from './SelectionBar'
import { useRubberBand } from './use-rubber-band'
import { useVirtualGrid } from './use-virtual-grid'

/**
 * A virtualised grid: only the rows on screen (and a few around them) exist in the DOM. Selection:
 * ctrl/cmd-click or space toggles, shift-click and shift+arrows select a range, a drag draws a
 * rubber band (with ctrl/cmd it adds), Ctrl+A selects the whole filter, Esc clears. A click opens the
 * viewer while nothing is selected and selects only that image while something is; a double-click or
 * Enter always opens it. Digits, a and x act on the selection when there is one (keys.ts).
 */
export function Grid() {
  useGrid((s) => s.pages) // re-render when a page arrives
  const selected = useSelection((s) => s.ids)
  const { imageAt, view } = useGrid.getState()
  const scroller = useRef<HTMLDivElement>(null)
  const canvas = useRef<HTMLDivElement>(null)
  const [menu, setMenu] = useState<Menu | null>(null)
  const closeMenu = useCallback(() => setMenu(null), [])
  /** The index of the thumbnail holding the keyboard focus, if one does. */
  const focused = useRef<number | null>(null)
  const { total, list, columns, rows, height, first, last, firstRow, lastRow, layer, flinging, focusIndex, revealIndex, toVirtual, onScroll } = useVirtualGrid(scroller, closeMenu)
  const { band, takeClick, handlers } = useRubberBand({ scroller, canvas, columns, rows, total, toVirtual, onStart: closeMenu })

  useKeys('grid', gridBindings({ scroller, columns, total, focusIndex, openMenu: (index, x, y) => setMenu({ index, x, y }) }), { scope: scroller })

  const actions: CellActions = {
    onClick(e: MouseEvent<HTMLButtonElement>, index: number) {
      if (takeClick()) return
      const selection = useSelection.getState()
      if (e.shiftKey) selection.range(index, e.ctrlKey || e.metaKey)
      else if (e.ctrlKey || e.metaKey) selection.toggle(index)
      else if (selection.ids.size > 0) selection.only(index)
      else {
        selection.setAnchor(index)
        view(index)
      }
    },
    onOpen: (index) => view(index),
    onFocus(index) {
      focused.current = index
      // Focus given back to a cell kept out of the rendered rows (a dialog closing: Dialog.tsx,
      // ClassPicker.tsx, with preventScroll) shows its real row; it is drawn off screen, elsewhere.
      if (index < first || index > last) revealIndex(index)
    },
    onBlur: (index) => {
      if (focused.current === index) focused.current = null
    },
    onMenu: (index, x, y) => setMenu({ index, x, y }),
  }

  // The focused thumbnail stays mounted, as a real button, wherever the scroll is and however fast
  // it moves: unmounting it would drop the keyboard focus to the page.
  const focusedAt = focused.current !== null && focused.current < total ? focused.current : null
  const indices: number[] = []
  if (focusedAt !== null && focusedAt < first) indices.push(focusedAt)
  for (let i = first; i <= last; i++) indices.push(i)
  if (focusedAt !== null && focusedAt > last) indices.push(focusedAt)
  const cells = indices.map((i) => {
    const image = flinging && i !== focusedAt ? undefined : imageAt(i)
    const similarity = image && list?.kind === 'similar' ? list.similarity[image.id] : undefined
    const row = keptRow(i, columns, firstRow, lastRow)
    return <Cell key={i} index={i} image={image} left={(i % columns) * CELL} top={(row - firstRow) * CELL} selected={image ? selected.has(image.id) : false} similarity={similarity} actions={actions} />
  })

  // The band is in virtual pixels, like the rows; it is drawn in their layer, over the rendered rows only.
  const drawn = band && drawnBand(band, firstRow, lastRow)
  const bandStyle = drawn && {
    left: Math.min(drawn.x0, drawn.x1),
    top: Math.min(drawn.y0, drawn.y1) - firstRow * CELL,
    width: Math.abs(drawn.x1 - drawn.x0),
    height: Math.abs(drawn.y1 - drawn.y0),
  }

  return (
    <>
      <SelectionBar />
      <div
        className={`grid-scroller${band ? ' banding' : ''}`}
        ref={scroller}
        onScroll={onScroll}
        {...handlers}
        tabIndex={-1}
        role="grid"
        aria-label="Images"
        aria-rowcount={rows}
        aria-multiselectable="true"
      >
        <div className="grid-canvas" ref={canvas} style={{ height }}>
          <div className="grid-layer" ref={layer}>
            {cells}
            {bandStyle && <div className="rubber-band" data-testid="rubber-band" style={bandStyle} />}
          </div>
        </div>
      </div>
      {menu && <ContextMenu menu={menu} image={imageAt(menu.index)} close={closeMenu} />}
    </>
  )
}
