/**
 * The grid's keys, given to the keymap for keys pressed inside the grid. On a thumbnail: arrows move
 * (with shift they extend the selection), space toggles, Enter opens, the context-menu key or
 * Shift+F10 opens its menu, m shows more like it, and the decision keys (decisions.ts) and c (the
 * class picker) act on the selection when there is one, else on the image. Anywhere in the grid:
 * Ctrl+A selects the whole filter, Esc clears the selection, and (on the grid itself, after a rubber
 * band) the decision keys and c act on the selection.
 */
import type { RefObject } from 'react'
import { decide, decideMany, pickClassFor, pickClassForMany } from '../../decisions'
import { PICK_KEY, type Bindings } from '../../keymap'
import { useGrid } from '../../stores/grid'
import { useSelection } from '../../stores/selection'

interface GridKeys {
  scroller: RefObject<HTMLDivElement | null>
  columns: number
  total: number
  /** Scrolls to cell `index` and focuses it. */
  focusIndex(index: number): void
  openMenu(index: number, x: number, y: number): void
}

export function gridBindings(g: GridKeys): Bindings {
  return (e) => {
    const thumb = e.target instanceof HTMLElement ? e.target.closest<HTMLElement>('[data-testid="thumb"]') : null
    if (thumb && thumbKeys(e, Number(thumb.dataset.index), thumb, g)) return true
    return gridKeys(e, g)
  }
}

function thumbKeys(e: KeyboardEvent, index: number, thumb: HTMLElement, g: GridKeys): boolean {
  const image = useGrid.getState().imageAt(index)
  const selection = useSelection.getState()
  const mod = e.ctrlKey || e.metaKey
  if (e.key === 'Enter') {
    useGrid.getState().view(index)
    return true
  }
  if (e.key === ' ') {
    selection.toggle(index)
    return true
  }
  if (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) {
    const r = thumb.getBoundingClientRect()
    g.openMenu(index, r.left + 24, r.top + 24)
    return true
  }
  if (image && !mod && !e.altKey && e.key === 'm') {
    void useGrid.getState().showSimilar(image)
    return true
  }
  if (image && !mod && !e.altKey && e.key === PICK_KEY) {
    if (selection.ids.size > 0) pickClassForMany([...selection.ids])
    else pickClassFor(image)
    return true
  }
  if (image && !mod && !e.altKey && (selection.ids.size > 0 ? decideMany([...selection.ids], e.key) : decide(image, e.key))) return true
  const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: g.columns, ArrowUp: -g.columns }
  const step = moves[e.key]
  if (step === undefined) return false
  const next = Math.min(g.total - 1, Math.max(0, index + step))
  if (e.shiftKey) {
    if (selection.anchor === null) selection.setAnchor(index)
    selection.range(next, mod)
  } else selection.setAnchor(next)
  g.focusIndex(next)
  return true
}

/** Keys for the whole grid, from a thumbnail or from the grid itself (after a rubber band). */
function gridKeys(e: KeyboardEvent, g: GridKeys): boolean {
  const selection = useSelection.getState()
  const mod = e.ctrlKey || e.metaKey
  if (mod && e.key.toLowerCase() === 'a') {
    void selection.all()
    return true
  }
  if (e.key === 'Escape' && selection.ids.size > 0) {
    selection.clear()
    return true
  }
  if (e.target !== g.scroller.current || mod || e.altKey || selection.ids.size === 0) return false
  if (e.key === PICK_KEY) {
    pickClassForMany([...selection.ids])
    return true
  }
  return decideMany([...selection.ids], e.key)
}
