import { create } from 'zustand'
import type { AuditReport, ImageInfo, RoundInfo } from '../../preload/contract'
import { studio } from '../transport'
import { useGrid } from './grid'

interface RoundsState {
  rounds: RoundInfo[]
  audit: AuditReport | null
  loadAudit(): Promise<void>
  stage: string | null
  error: string | null
  load(): Promise<void>
  start(): Promise<void>
  cancel(): Promise<void>
}

export const useRounds = create<RoundsState>((set, get) => ({
  rounds: [],
  audit: null,
  async loadAudit() {
    try {
      set({ audit: await studio.call('audit.report', {}) })
    } catch {
      // The audit table keeps its last state; the next label change asks again.
    }
  },
  stage: null,
  error: null,
  async load() {
    try {
      set({ rounds: await studio.call('rounds.list', {}) })
    } catch (err) {
      set({ error: (err as Error).message })
    }
  },
  async start() {
    set({ error: null })
    try {
      const round = await studio.call('rounds.start', {})
      set({ rounds: [...get().rounds.filter((r) => r.id !== round.id), round], stage: 'starting' })
    } catch (err) {
      set({ error: (err as Error).message })
    }
  },
  async cancel() {
    try {
      await studio.call('jobs.cancel', { job: 'round' })
    } catch (err) {
      set({ error: (err as Error).message })
    }
  },
}))

/**
 * A queue of images stepped through one decision at a time: the proposals to review (most
 * confident first), or the images suggested for labelling. A snapshot: decisions do not reorder it.
 */
interface ReviewState {
  kind: 'review' | 'label' | 'audit'
  queue: ImageInfo[]
  position: number
  open: boolean
  /** Review: the class whose proposals are queued, or null for all. */
  classId: number | null
  /** Review: "accept all above" threshold, and the waiting proposals above it per class. */
  threshold: number
  above: { classId: number; count: number }[]
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
  async start(classId = get().classId) {
    try {
      const scope = classId === null ? {} : { classId }
      const page = await studio.call('images.page', { offset: 0, limit: 2000, status: 'proposed', sort: 'confidence', descending: true, ...scope })
      // Changing the class of an open queue may leave it empty; opening an empty one says why instead.
      const reviewing = get().open && get().kind === 'review'
      if (page.images.length === 0 && !reviewing) {
        useRounds.setState({ error: 'Nothing to review: no proposals are waiting' })
        return
      }
      set({ kind: 'review', classId, queue: page.images, position: 0, open: true })
      get().setThreshold(get().threshold)
    } catch (err) {
      useRounds.setState({ error: (err as Error).message })
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
        useRounds.setState({ error: 'Nothing to suggest: every image has a label' })
        return
      }
      set({ kind: 'label', queue: images, position: 0, open: true })
      // The same images stay in the grid, under a chip, once the queue is closed.
      useGrid.getState().showList({ kind: 'suggested', title: 'Suggested to label next', similarity: {} }, images)
    } catch (err) {
      useRounds.setState({ error: (err as Error).message })
    }
  },
  async audit(perClass) {
    try {
      set({ kind: 'audit', queue: await studio.call('audit.start', { perClass }), position: 0, open: true })
      void useRounds.getState().loadAudit()
    } catch (err) {
      useRounds.setState({ error: (err as Error).message })
    }
  },
  step(delta) {
    const position = Math.max(0, Math.min(get().queue.length, get().position + delta))
    set({ position })
  },
  close: () => set({ open: false, notice: null }),
}))

studio.onEvent((event) => {
  if (event.type === 'round.status') {
    const rounds = useRounds.getState().rounds.filter((r) => r.id !== event.round.id)
    useRounds.setState({ rounds: [...rounds, event.round].sort((a, b) => a.id - b.id), stage: event.round.status === 'running' ? event.stage : null })
  } else if (event.type === 'project.opened') {
    void useRounds.getState().load()
    void useRounds.getState().loadAudit()
  } else if (event.type === 'labels.changed' && useRounds.getState().audit) void useRounds.getState().loadAudit()
  // The live counts of the review queue follow every decision.
  if (event.type === 'labels.changed' && useReview.getState().open && useReview.getState().kind === 'review') useReview.getState().setThreshold(useReview.getState().threshold)
})
