import { create } from 'zustand'
import type { ImageInfo } from '../../preload/contract'
import { studio } from '../transport'

export const PAGE_SIZE = 300

interface GridState {
  /** Which project the pages belong to; a new project starts an empty cache. */
  folder: string | null
  total: number
  pages: Record<number, ImageInfo[]>
  /** The image open in the viewer, by index in the grid order. */
  viewing: number | null
  reset(folder: string, total: number): void
  /** Fetches the pages covering images [first, last] that are not loaded or loading. */
  ensure(first: number, last: number): void
  imageAt(index: number): ImageInfo | undefined
  view(index: number | null): void
}

const loading = new Set<number>()

export const useGrid = create<GridState>((set, get) => ({
  folder: null,
  total: 0,
  pages: {},
  viewing: null,
  reset(folder, total) {
    loading.clear()
    set({ folder, total, pages: {}, viewing: null })
  },
  ensure(first, last) {
    const { total, folder } = get()
    if (total === 0) return
    const from = Math.floor(Math.max(0, first) / PAGE_SIZE)
    const to = Math.floor(Math.min(total - 1, last) / PAGE_SIZE)
    for (let p = from; p <= to; p++) {
      if (get().pages[p] || loading.has(p)) continue
      loading.add(p)
      studio
        .call('images.page', { offset: p * PAGE_SIZE, limit: PAGE_SIZE })
        .then((page) => {
          if (get().folder !== folder) return
          set((s) => ({ pages: { ...s.pages, [p]: page.images }, total: page.total }))
        })
        .catch(() => {
          // Left unloaded: the next scroll asks again.
        })
        .finally(() => loading.delete(p))
    }
  },
  imageAt(index) {
    return get().pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE]
  },
  view: (index) => set({ viewing: index }),
}))
