import { create } from 'zustand'
import type { ImageInfo } from '../../preload/contract'
import { studio } from '../transport'

export const PAGE_SIZE = 300

export type StatusFilter = 'all' | 'unlabelled' | 'human' | 'proposed' | 'accepted' | 'rejected' | 'labelled'
export type SortKey = 'name' | 'confidence' | 'uncertainty' | 'changed'

export interface GridQuery {
  status: StatusFilter
  classId?: number
  sort: SortKey
  descending: boolean
}

interface GridState {
  query: GridQuery
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
  setQuery(patch: Partial<GridQuery>): void
  /** Patches cached images at once; returns the function that puts them back. */
  patchImages(imageIds: number[], patch: (image: ImageInfo) => ImageInfo): () => void
  /** Refetches the loaded pages that hold any of these images (all loaded pages under a filter). */
  refresh(imageIds?: number[]): void
}

const loading = new Set<number>()

function fetchPage(p: number): void {
  const { query, folder } = useGrid.getState()
  loading.add(p)
  studio
    .call('images.page', { offset: p * PAGE_SIZE, limit: PAGE_SIZE, ...query })
    .then((page) => {
      const now = useGrid.getState()
      if (now.folder !== folder || now.query !== query) return
      useGrid.setState((s) => ({ pages: { ...s.pages, [p]: page.images }, total: page.total }))
    })
    .catch(() => {
      // Left unloaded: the next scroll asks again.
    })
    .finally(() => loading.delete(p))
}

export const useGrid = create<GridState>((set, get) => ({
  query: { status: 'all', sort: 'name', descending: false },
  folder: null,
  total: 0,
  pages: {},
  viewing: null,
  reset(folder, total) {
    loading.clear()
    set({ folder, total, pages: {}, viewing: null, query: { status: 'all', sort: 'name', descending: false } })
  },
  ensure(first, last) {
    const { total, folder } = get()
    if (total === 0) return
    const from = Math.floor(Math.max(0, first) / PAGE_SIZE)
    const to = Math.floor(Math.min(total - 1, last) / PAGE_SIZE)
    if (!folder) return
    for (let p = from; p <= to; p++) if (!get().pages[p] && !loading.has(p)) fetchPage(p)
  },
  imageAt(index) {
    return get().pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE]
  },
  view: (index) => set({ viewing: index }),
  setQuery(patch) {
    loading.clear()
    set((s) => ({ query: { ...s.query, ...patch }, pages: {}, viewing: null }))
    // The total of the new filter is not known until its first page arrives.
    if (get().folder) fetchPage(0)
  },
  patchImages(imageIds, patch) {
    const ids = new Set(imageIds)
    const before = get().pages
    const after: Record<number, ImageInfo[]> = {}
    for (const [p, images] of Object.entries(before)) after[Number(p)] = images.some((i) => ids.has(i.id)) ? images.map((i) => (ids.has(i.id) ? patch(i) : i)) : images
    set({ pages: after })
    return () => set({ pages: before })
  },
  refresh(imageIds) {
    const { query, pages } = get()
    // Under a filter a label change moves images in or out of the list, shifting every page after.
    const filtered = query.status !== 'all' || query.classId !== undefined
    const ids = imageIds && !filtered ? new Set(imageIds) : null
    const loaded = Object.keys(pages).map(Number)
    for (const p of loaded.length ? loaded : [0]) if (!ids || pages[p]?.some((i) => ids.has(i.id))) fetchPage(p)
  },
}))
