/**
 * The studio's keyboard, in one place: one keydown listener on the window hands each key to the
 * bindings of the views that are active, in this order, and stops at the first that takes it:
 *
 *   picker   the quick class picker, while it is open    (views/ClassPicker.tsx): modal, keys it
 *            does not take (the letters typed into its field) reach no other view
 *   review   the review queue, while it is open          (views/review/ReviewView.tsx)
 *   viewer   the image viewer, while an image is open    (views/viewer/Viewer.tsx)
 *   grid     the grid, for keys pressed inside it         (views/grid/keys.ts)
 *   map      the map, for keys pressed inside it          (views/map/MapView.tsx)
 *   app      anywhere: Ctrl+Z / Ctrl+Shift+Z undo and redo, Ctrl+, settings, ? the shortcut sheet
 *
 * A binding returns true when the key was its shortcut; the listener then prevents the key's
 * default. Keys pressed inside a dialog (settings, the shortcut sheet) stay in it (Dialog stops
 * them, Ctrl/Cmd keys excepted), and keys typed into a text field are text (typingInField), each
 * view saying which of its keys still apply there. Widgets keep the keys that make them work as
 * widgets, on their own elements: a tab list's arrows (map/MainTabs.tsx), a menu's arrows and Esc
 * (grid/ContextMenu.tsx, the class menu), a dialog's Tab and Esc (Dialog.tsx).
 * The list people read is views/ShortcutSheet.tsx: a new key goes there too.
 */
import { useEffect, useRef, type RefObject } from 'react'
import type { ClassInfo } from '../preload/contract'
import { useLabels } from './stores/labels'
import { notify } from './stores/notices'
import { useUi } from './stores/ui'

/** True when a key press belongs to a text field, not to the studio's shortcuts. */
export function typingInField(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)
}

/** True for the digit keys 0-9. */
export const isDigit = (key: string): boolean => key.length === 1 && key >= '0' && key <= '9'

/**
 * What a digit key means, everywhere a digit labels: 1-9 the class in that place of the class list,
 * 0 no class (clear: null). Undefined for any other key, and for a digit with no class yet (a
 * notice then says so).
 */
export function digitClass(key: string): ClassInfo | null | undefined {
  if (!isDigit(key)) return undefined
  if (key === '0') return null
  const cls = useLabels.getState().classes[Number(key) - 1]
  if (!cls) notify(`No class ${key} yet: create it in the Classes panel`)
  return cls
}

/**
 * The key that opens the quick class picker wherever a digit labels: it reaches every class, the
 * digits only the first nine.
 */
export const PICK_KEY = 'c'

/** A view's keys: true when the key was one of its shortcuts (the listener prevents its default). */
export type Bindings = (e: KeyboardEvent) => boolean

type Layer = 'picker' | 'review' | 'viewer' | 'grid' | 'map'
const ORDER: Layer[] = ['picker', 'review', 'viewer', 'grid', 'map']

interface Registered {
  keys: RefObject<Bindings>
  /** Keys pressed inside this element only (the grid, the map); anywhere when absent. */
  scope: RefObject<HTMLElement | null> | undefined
  /** A modal layer ends the search: the keys it does not take keep their default (typing) and reach no one else. */
  modal: boolean
}

const layers = new Map<Layer, Registered>()

/**
 * Gives a view's keys to the keymap while the view is mounted and `active`. The bindings may be a
 * new function each render (the latest is used); with a `scope`, only keys pressed inside that
 * element reach them.
 */
export function useKeys(layer: Layer, keys: Bindings, options: { active?: boolean; scope?: RefObject<HTMLElement | null>; modal?: boolean } = {}): void {
  const latest = useRef(keys)
  latest.current = keys
  const { active = true, scope, modal = false } = options
  useEffect(() => {
    if (!active) return
    const entry: Registered = { keys: latest, scope, modal }
    layers.set(layer, entry)
    return () => {
      if (layers.get(layer) === entry) layers.delete(layer)
    }
  }, [layer, active, scope, modal])
}

/** Anywhere outside a text field. */
const appKeys: Bindings = (e) => {
  if (typingInField(e.target)) return false
  const mod = e.ctrlKey || e.metaKey
  if (mod && e.key.toLowerCase() === 'z') {
    void (e.shiftKey ? useLabels.getState().redo() : useLabels.getState().undo())
    return true
  }
  if (mod && e.key === ',') {
    const ui = useUi.getState()
    ui.openSettings(!ui.settingsOpen)
    return true
  }
  if (e.key === '?' && !mod && !e.altKey) {
    const ui = useUi.getState()
    ui.openShortcuts(!ui.shortcutsOpen)
    return true
  }
  return false
}

function onKeyDown(e: KeyboardEvent): void {
  for (const layer of ORDER) {
    const entry = layers.get(layer)
    if (!entry) continue
    if (entry.scope && !(e.target instanceof Node && entry.scope.current?.contains(e.target))) continue
    if (entry.keys.current(e)) {
      e.preventDefault()
      return
    }
    if (entry.modal) return
  }
  if (appKeys(e)) e.preventDefault()
}

/** The one keydown listener on the window; App mounts it. */
export function useKeymap(): void {
  useEffect(() => {
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [])
}
