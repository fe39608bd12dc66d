import { create } from 'zustand'
import type { ImageInfo, ProgressEvent } from '../../preload/contract'
import type { SortKey, StatusFilter } from '../../preload/vocabulary'
import { studio } from '../transport'
import { notify } from './notices'

export const PAGE_SIZE = 300

/**
 * A fixed list shown in place of the filter: the images most like one image, or the images
 * suggested for labelling next. A snapshot: label changes update its images but never reorder it.
 */
export interface GridList {
  kind: 'similar' | 'suggested'
  /** What the filter bar's chip says. */
  title: string
  ids: number[]
  /** Cosine similarity to the query image, by id (similar lists). */
  similarity: Record<number, number>
}

export interface GridQuery {
  status: StatusFilter
  classId?: number
  sort: SortKey
  descending: boolean
}

interface GridState {
  query: GridQuery
  /** A fixed list shown instead of the filter, or null. */
  list: GridList | null
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
  /** Shows a fixed list of images instead of the filter (its images in this order). */
  showList(list: Omit<GridList, 'ids'>, images: ImageInfo[]): void
  /** Back to the filter. */
  clearList(): void
  /** Shows the images most like `image`, the image itself first. */
  showSimilar(image: ImageInfo): Promise<void>
  /** While main reads the teacher's features for "more like this" (seconds at 100k images): how far. */
  similarLoading: ProgressEvent | null
}

/** How many neighbours "more like this" lists. */
const SIMILAR_COUNT = 200

/** The list's images as grid pages, so that paging, the viewer and selection work on it unchanged. */
function listPages(images: ImageInfo[]): Record<number, ImageInfo[]> {
  const pages: Record<number, ImageInfo[]> = {}
  for (let p = 0; p * PAGE_SIZE < images.length; p++) pages[p] = images.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)
  return pages
}

const loading = new Set<number>()
/**
 * Which cached page holds each image: a decision patches one or two images, and at 100k images
 * scanning every cached page for them cost about 3 ms a keystroke (`npm run bench -- ui`).
 */
const pageOf = new Map<number, number>()

function indexPages(pages: Record<number, ImageInfo[]>): void {
  for (const [p, images] of Object.entries(pages)) for (const image of images) pageOf.set(image.id, Number(p))
}

/** The cached pages holding any of `ids`. */
function pagesHolding(ids: Iterable<number>): Set<number> {
  const found = new Set<number>()
  for (const id of ids) {
    const p = pageOf.get(id)
    if (p !== undefined) found.add(p)
  }
  return found
}

function fetchPage(p: number): void {
  const { query, folder, list } = useGrid.getState()
  if (list) return
  loading.add(p)
  studio
    .call('images.page', { offset: p * PAGE_SIZE, limit: PAGE_SIZE, ...query })
    .then((page) => {
      const now = useGrid.getState()
      if (now.folder !== folder || now.query !== query) return
      indexPages({ [p]: page.images })
      useGrid.setState((s) => ({ pages: { ...s.pages, [p]: page.images }, total: page.total }))
    })
    .catch(() => {
      // Left unloaded: the next scroll asks again.
    })
    .finally(() => loading.delete(p))
}

export const useGrid = create<GridState>((set, get) => ({
  similarLoading: null,
  query: { status: 'all', sort: 'name', descending: false },
  list: null,
  folder: null,
  total: 0,
  pages: {},
  viewing: null,
  reset(folder, total) {
    loading.clear()
    pageOf.clear()
    set({ folder, total, pages: {}, viewing: null, list: null, query: { status: 'all', sort: 'name', descending: false } })
  },
  ensure(first, last) {
    const { total, folder, list } = get()
    if (total === 0 || list) return
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
    pageOf.clear()
    set((s) => ({ query: { ...s.query, ...patch }, pages: {}, viewing: null, list: null }))
    // The total of the new filter is not known until its first page arrives.
    if (get().folder) fetchPage(0)
  },
  patchImages(imageIds, patch) {
    const ids = new Set(imageIds)
    const before = get().pages
    const after = { ...before }
    for (const p of pagesHolding(ids)) {
      const images = before[p]
      if (images) after[p] = images.map((i) => (ids.has(i.id) ? patch(i) : i))
    }
    set({ pages: after })
    return () => set({ pages: before })
  },
  refresh(imageIds) {
    const { query, pages, list } = get()
    if (list) {
      const wanted = imageIds ? new Set(imageIds) : null
      const ids = wanted ? list.ids.filter((id) => wanted.has(id)) : list.ids
      for (let i = 0; i < ids.length; i += 2000) {
        void studio.call('images.byIds', { imageIds: ids.slice(i, i + 2000) }).then(
          (fresh) => {
            if (get().list !== list) return
            const byId = new Map(fresh.map((f) => [f.id, f]))
            get().patchImages([...byId.keys()], (old) => byId.get(old.id) ?? old)
          },
          () => undefined, // the next change asks again
        )
      }
      return
    }
    // Under a filter a label change moves images in or out of the list, shifting every page after.
    const filtered = query.status !== 'all' || query.classId !== undefined
    const ids = imageIds && !filtered ? new Set(imageIds) : null
    const loaded = Object.keys(pages).map(Number)
    for (const p of ids ? pagesHolding(ids) : loaded.length ? loaded : [0]) fetchPage(p)
  },
  showList(list, images) {
    loading.clear()
    pageOf.clear()
    const pages = listPages(images)
    indexPages(pages)
    set({ list: { ...list, ids: images.map((i) => i.id) }, pages, total: images.length, viewing: null })
  },
  clearList() {
    if (!get().list) return
    loading.clear()
    pageOf.clear()
    set({ list: null, pages: {}, viewing: null })
    if (get().folder) fetchPage(0)
  },
  async showSimilar(image) {
    try {
      const found = await studio.call('images.similar', { imageId: image.id, k: SIMILAR_COUNT })
      const similarity: Record<number, number> = { [image.id]: 1 }
      for (const f of found) similarity[f.image.id] = f.similarity
      get().showList({ kind: 'similar', title: `Like ${image.relPath.split('/').pop()}`, similarity }, [image, ...found.map((f) => f.image)])
    } catch (err) {
      notify(`"More like this" failed: ${(err as Error).message}`)
    }
  },
}))

studio.onEvent((event) => {
  if (event.type === 'progress' && event.job === 'similar') useGrid.setState({ similarLoading: event.done < event.total ? event : null })
  else if (event.type === 'project.opened') useGrid.setState({ similarLoading: null })
})
