import { useEffect, useRef } from 'react'
import type { ImageInfo } from '../../../preload/contract'
import { useGrid } from '../../stores/grid'
import { useSelection } from '../../stores/selection'

export interface Menu {
  index: number
  x: number
  y: number
}

/** Right-click (or the context-menu key) on a thumbnail. */
export function ContextMenu({ menu, image, close }: { menu: Menu; image: ImageInfo | undefined; close: () => void }) {
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
