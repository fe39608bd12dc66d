import { create } from 'zustand'
import type { ImageInfo, LabelIssueInfo } from '../../preload/contract'
import { LIMITS } from '../../preload/vocabulary'
import { studio } from '../transport'
import { useGrid } from './grid'
import { notify } from './notices'
import { useProject } from './project'
import { useRounds } from './rounds'

/**
 * Proposals a named reviewer holds at a time (leased: nobody else is shown them). The queue takes
 * more as it nears its end. Without names (one user) the queue takes them all at once, as before.
 */
const REVIEWER_BATCH = 25
const TOP_UP_WHEN_LEFT = 5
const named = (): boolean => Boolean(useProject.getState().info?.reviewer)
let toppingUp = false

/**
 * A named reviewer's review queue closes, or gives way to another queue or class: the proposals
 * they held are given back to the others now (their page's heartbeat would keep them otherwise).
 */
function leaveReview(s: ReviewState): Promise<void> {
  if (!s.open || s.kind !== 'review' || !named()) return Promise.resolve()
  return studio.call('review.release', {}).then(
    () => undefined,
    (err: unknown) => notify(`Could not give back the proposals held for review: ${(err as Error).message}`),
  )
}

/** A named reviewer nearing the end of their queue takes more proposals, appended in order. */
async function topUp(get: () => ReviewState, set: (patch: Partial<ReviewState>) => void): Promise<void> {
  const { kind, queue, position, classId, open } = get()
  if (!open || kind !== 'review' || !named() || toppingUp || queue.length - position > TOP_UP_WHEN_LEFT) return
  toppingUp = true
  const asked = generation
  try {
    // Those still undecided in the queue are leased to this reviewer and come back first.
    const held = queue.filter((i) => i.status === 'proposed').length
    const taken = await studio.call('review.take', { count: Math.min(LIMITS.maxPageSize, held + REVIEWER_BATCH), ...(classId === null ? {} : { classId }) })
    if (generation !== asked) return
    const have = new Set(get().queue.map((i) => i.id))
    const fresh = taken.filter((i) => !have.has(i.id))
    if (fresh.length) set({ queue: [...get().queue, ...fresh] })
  } catch (err) {
    notify(`Could not take more proposals: ${(err as Error).message}`)
  } finally {
    toppingUp = false
  }
}

/**
 * A queue of images stepped through one decision at a time: the proposals to review (most
 * confident first), the images suggested for labelling, a spot-check sample, or the human labels
 * that look wrong (possible mistakes, most suspect first). Its order is fixed
 * when it opens (decisions never reorder it), but its images are live: a decision shows on its
 * image at once, and every label change main reports is fetched again, so that stepping back to an
 * image shows what was decided and the keys act on that (`a` on an image already accepted does
 * nothing, as in the grid and the viewer).
 */
interface ReviewState {
  kind: 'review' | 'label' | 'audit' | 'mistakes'
  queue: ImageInfo[]
  position: number
  open: boolean
  /** Review: the class whose proposals are queued, or null for all. */
  classId: number | null
  /** Review: "accept all above" threshold, and the waiting proposals above it per class. */
  threshold: number
  above: { classId: number; count: number }[]
  /** Mistakes: what the check said of each queued image (by id), and which ones the person kept here. */
  issues: Record<number, LabelIssueInfo>
  kept: Record<number, boolean>
  /** Mistakes: the check's progress (folds done) while it runs; null otherwise. */
  checking: { done: number; total: number } | null
  /** Runs the check for possible mistakes (in main's worker), then queues what it flags. */
  mistakes(): Promise<void>
  cancelCheck(): void
  /** Mistakes: mark the image kept here (or not, after an undo). */
  markKept(imageId: number, kept: boolean): void
  /** What the last bulk action did, said in the queue. */
  notice: string | null
  /** The proposals of one class (or all, null), most confident first. Keeps the last scope when omitted. */
  start(classId?: number | null): Promise<void>
  setThreshold(threshold: number): void
  /** Accepts every waiting proposal of the scope above the threshold (one undo step), then queues the rest. */
  acceptAbove(): Promise<void>
  suggest(count: number): Promise<void>
  audit(perClass: number): Promise<void>
  step(delta: number): void
  close(): void
  /** Patches the queued images among these at once; returns the function that puts them back. */
  patchImages(imageIds: number[], patch: (image: ImageInfo) => ImageInfo): () => void
  /** Asks main for the current state of the queued images among these (all of them when omitted). */
  refresh(imageIds?: number[]): void
}

/** Bumped by every new queue: a rollback or an answer for the queue before is dropped. */
let generation = 0
/**
 * The last patch or request that touched each queued image: only an answer to the newest request
 * may set an image (the web host answers in parallel, and an optimistic patch is newer news than
 * a request still in flight).
 */
const touched = new Map<number, number>()
let tick = 0

/** A new queue: what was asked for the old one no longer applies. */
function newQueue(): void {
  generation++
  touched.clear()
}

export const useReview = create<ReviewState>((set, get) => ({
  kind: 'review',
  queue: [],
  position: 0,
  open: false,
  classId: null,
  threshold: 0.9,
  above: [],
  notice: null,
  issues: {},
  kept: {},
  checking: null,
  async mistakes() {
    await leaveReview(get())
    newQueue()
    const asked = generation
    set({ kind: 'mistakes', queue: [], issues: {}, kept: {}, position: 0, open: true, checking: { done: 0, total: 0 } })
    try {
      const found = await studio.call('labels.issues', {})
      if (generation !== asked) return
      set({ queue: found.map((f) => f.image), issues: Object.fromEntries(found.map((f) => [f.image.id, f])), checking: null })
    } catch (err) {
      if (generation !== asked) return
      set({ open: false, checking: null })
      notify((err as Error).message)
    }
  },
  cancelCheck() {
    void studio.call('jobs.cancel', { job: 'issues' })
  },
  markKept(imageId, kept) {
    set({ kept: { ...get().kept, [imageId]: kept } })
  },
  async start(classId = get().classId) {
    try {
      const scope = classId === null ? {} : { classId }
      if (classId !== get().classId) await leaveReview(get())
      // Leased to this reviewer: with several reviewers, nobody else is shown these meanwhile.
      const images = await studio.call('review.take', { count: named() ? REVIEWER_BATCH : LIMITS.maxPageSize, ...scope })
      // Changing the class of an open queue may leave it empty; opening an empty one says why instead.
      const reviewing = get().open && get().kind === 'review'
      if (images.length === 0 && !reviewing) {
        notify(named() ? 'Nothing to review: no proposals are waiting that another reviewer is not already reviewing' : 'Nothing to review: no proposals are waiting')
        return
      }
      newQueue()
      set({ kind: 'review', classId, queue: images, position: 0, open: true })
      get().setThreshold(get().threshold)
    } catch (err) {
      notify((err as Error).message)
    }
  },
  setThreshold(threshold) {
    set({ threshold })
    // Counts arrive out of order while the slider moves: only the answer for the current value is kept.
    studio.call('proposals.countAbove', { threshold }).then(
      (above) => get().threshold === threshold && set({ above }),
      (err: unknown) => set({ notice: `Could not count the proposals: ${(err as Error).message}` }),
    )
  },
  async acceptAbove() {
    const { threshold, classId } = get()
    try {
      const done = await studio.call('proposals.acceptAbove', { threshold, ...(classId === null ? {} : { classId }) })
      set({ notice: `Accepted ${done.imageIds.length.toLocaleString()} proposals at ${Math.round(threshold * 100)}% or more (Ctrl+Z undoes them all)` })
      await get().start()
    } catch (err) {
      set({ notice: `Accepting failed: ${(err as Error).message}` })
    }
  },
  async suggest(count) {
    try {
      const images = await studio.call('suggest.seeds', { count })
      if (images.length === 0) {
        notify('Nothing to suggest: every image has a label')
        return
      }
      await leaveReview(get())
      newQueue()
      set({ kind: 'label', queue: images, position: 0, open: true })
      // The same images stay in the grid, under a chip, once the queue is closed.
      useGrid.getState().showList({ kind: 'suggested', title: 'Suggested to label next', similarity: {} }, images)
    } catch (err) {
      notify((err as Error).message)
    }
  },
  async audit(perClass) {
    try {
      const queue = await studio.call('audit.start', { perClass })
      await leaveReview(get())
      newQueue()
      set({ kind: 'audit', queue, position: 0, open: true })
      void useRounds.getState().loadAudit()
    } catch (err) {
      notify((err as Error).message)
    }
  },
  step(delta) {
    const position = Math.max(0, Math.min(get().queue.length, get().position + delta))
    set({ position })
    void topUp(get, set)
  },
  close() {
    if (get().checking) get().cancelCheck()
    void leaveReview(get())
    set({ open: false, notice: null })
  },
  patchImages(imageIds, patch) {
    const ids = new Set(imageIds)
    const before = new Map<number, ImageInfo>()
    for (const image of get().queue) if (ids.has(image.id)) before.set(image.id, image)
    if (before.size === 0) return () => undefined
    for (const id of before.keys()) touched.set(id, ++tick)
    set({ queue: get().queue.map((i) => (ids.has(i.id) ? patch(i) : i)) })
    const patched = generation
    return () => {
      if (generation !== patched) return
      for (const id of before.keys()) touched.set(id, ++tick)
      set({ queue: get().queue.map((i) => before.get(i.id) ?? i) })
    }
  },
  refresh(imageIds) {
    const wanted = imageIds ? new Set(imageIds) : null
    const ids = get()
      .queue.map((i) => i.id)
      .filter((id) => !wanted || wanted.has(id))
    if (ids.length === 0) return
    const asked = ++tick
    for (const id of ids) touched.set(id, asked)
    for (let k = 0; k < ids.length; k += LIMITS.maxPageSize) {
      studio.call('images.byIds', { imageIds: ids.slice(k, k + LIMITS.maxPageSize) }).then(
        (fresh) => {
          const now = new Map(fresh.filter((f) => touched.get(f.id) === asked).map((f) => [f.id, f]))
          if (now.size) set({ queue: get().queue.map((i) => now.get(i.id) ?? i) })
        },
        () => undefined, // the next label change asks again
      )
    }
  },
}))

studio.onEvent((event) => {
  const review = useReview.getState()
  if (event.type === 'progress' && event.job === 'issues' && review.checking) useReview.setState({ checking: { done: event.done, total: event.total } })
  if (event.type !== 'labels.changed' || !review.open) return
  // The queued images show what was decided (here, in the grid, by an undo); the live counts follow.
  review.refresh(event.imageIds.length ? event.imageIds : undefined)
  if (review.kind === 'review') review.setThreshold(review.threshold)
})
