import { create } from 'zustand'
import { studio } from '../transport'
import { useGrid } from './grid'
import { notify } from './notices'

/**
 * The grid's selection, by image id (ids survive label changes and page refetches; indices do not).
 * Ranges and rubber bands are given as grid indices and resolved to ids from the loaded pages, or,
 * for indices on pages never loaded (a long range at 100k images), from main.
 */
interface SelectionState {
  ids: ReadonlySet<number>
  /** The index a shift-range starts from: the last plain or ctrl click, or the last arrow move. */
  anchor: number | null
  setAnchor(index: number): void
  /** Only this image (click while a selection is shown). */
  only(index: number): void
  /** Adds or removes one image (ctrl/cmd-click, space). */
  toggle(index: number): void
  /** The range from the anchor to `index`, replacing the selection or added to it (ctrl+shift). */
  range(index: number, additive: boolean): void
  /** These indices (a rubber band), replacing the selection or added to `base`. */
  indices(indices: number[], base: ReadonlySet<number>): void
  /** Every image of the current filter or list (Ctrl+A). */
  all(): Promise<void>
  clear(): void
}

/** Resolves grid indices to ids: loaded ones at once, the rest from main; calls `done` with all of them. */
function resolve(indices: number[], done: (ids: number[]) => void): void {
  const { imageAt, query, list } = useGrid.getState()
  const ids: number[] = []
  const missing: number[] = []
  for (const i of indices) {
    const image = imageAt(i)
    if (image) ids.push(image.id)
    else missing.push(i)
  }
  done(ids)
  if (missing.length === 0 || list) return
  const from = Math.min(...missing)
  const to = Math.max(...missing)
  const asked = useGrid.getState().query
  studio.call('images.ids', { ...query, offset: from, limit: to - from + 1 }).then(
    (span) => {
      if (useGrid.getState().query !== asked) return
      for (const i of missing) {
        const id = span[i - from]
        if (id !== undefined) ids.push(id)
      }
      done(ids)
    },
    (err: unknown) => notify(`Could not select the images: ${(err as Error).message}`),
  )
}

function rangeOf(a: number, b: number): number[] {
  const lo = Math.min(a, b)
  const hi = Math.max(a, b)
  return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k)
}

export const useSelection = create<SelectionState>((set, get) => ({
  ids: new Set(),
  anchor: null,
  setAnchor: (index) => set({ anchor: index }),
  only(index) {
    resolve([index], (ids) => set({ ids: new Set(ids), anchor: index }))
  },
  toggle(index) {
    resolve([index], ([id]) => {
      if (id === undefined) return
      const ids = new Set(get().ids)
      if (ids.has(id)) ids.delete(id)
      else ids.add(id)
      set({ ids, anchor: index })
    })
  },
  range(index, additive) {
    const anchor = get().anchor ?? index
    const base = additive ? get().ids : new Set<number>()
    resolve(rangeOf(anchor, index), (ids) => set({ ids: new Set([...base, ...ids]), anchor }))
  },
  indices(indices, base) {
    resolve(indices, (ids) => set({ ids: base.size ? new Set([...base, ...ids]) : new Set(ids) }))
  },
  async all() {
    const { query, list } = useGrid.getState()
    if (list) {
      set({ ids: new Set(list.ids) })
      return
    }
    try {
      const ids = await studio.call('images.ids', query)
      if (useGrid.getState().query === query) set({ ids: new Set(ids) })
    } catch (err) {
      notify(`Could not select all: ${(err as Error).message}`)
    }
  },
  clear: () => set({ ids: new Set(), anchor: null }),
}))

// A new filter, list or project shows other images: the selection of the old ones goes.
useGrid.subscribe((now, before) => {
  if (now.query !== before.query || now.list !== before.list || now.folder !== before.folder) useSelection.getState().clear()
})
