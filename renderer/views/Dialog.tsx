import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react'

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

/**
 * Moves focus to the next (Shift: the previous) focusable element inside `box`, wrapping around,
 * or onto the box when nothing inside takes focus: Tab for a modal that the keymap's window
 * listener serves (the viewer, the review queue), so focus never reaches the views underneath.
 */
export function cycleFocus(box: HTMLElement | null, back: boolean): void {
  if (!box) return
  const items = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null)
  if (items.length === 0) return box.focus()
  const at = items.indexOf(document.activeElement as HTMLElement)
  const to = at < 0 ? (back ? items.length - 1 : 0) : (at + (back ? -1 : 1) + items.length) % items.length
  items[to]!.focus()
}

/**
 * A modal dialog: focus moves in when it opens, Tab and Shift+Tab stay inside, Esc closes it, and
 * focus goes back to where it was. Keys pressed inside do not reach the views underneath (the
 * keymap listens on the window, for the viewer's and the review queue's one-key decisions too).
 */
export function Dialog({ title, onClose, children, className, testId, closeKeys = [] }: { title: string; onClose: () => void; children: ReactNode; className?: string; testId?: string; closeKeys?: string[] }) {
  const box = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null
    const first = box.current?.querySelector<HTMLElement>(FOCUSABLE)
    ;(first ?? box.current)?.focus()
    return () => {
      // Back to where the person was, if it is still there (it may have been a row that went away).
      // No scroll by the browser: a grid cell may be drawn off its real row, and the grid scrolls to that itself (Grid.tsx).
      if (before?.isConnected) before.focus({ preventScroll: true })
    }
  }, [])

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape' || (closeKeys.includes(e.key) && !(e.target instanceof HTMLInputElement))) {
      e.preventDefault()
      e.stopPropagation()
      onClose()
      return
    }
    if (e.key === 'Tab' && box.current) {
      const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null)
      const first = items[0]
      const last = items.at(-1)
      if (first && last) {
        if (e.shiftKey && (document.activeElement === first || document.activeElement === box.current)) {
          e.preventDefault()
          last.focus()
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault()
          first.focus()
        }
      }
    }
    // Ctrl/Cmd shortcuts (undo, redo) still work; single keys belong to the dialog.
    if (!e.ctrlKey && !e.metaKey) e.stopPropagation()
  }

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`dialog ${className ?? ''}`} role="dialog" aria-modal="true" aria-label={title} ref={box} tabIndex={-1} onKeyDown={onKeyDown} data-testid={testId}>
        <header className="dialog-head">
          <h2>{title}</h2>
          <button type="button" className="dialog-close" onClick={onClose} aria-label={`Close ${title.toLowerCase()}`}>
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
      </div>
    </div>
  )
}
