import { create } from 'zustand'
import type { AuditReport, ImageInfo, RoundInfo } from '../../preload/contract'
import { studio } from '../transport'

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
  start(): Promise<void>
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
  async start() {
    try {
      const page = await studio.call('images.page', { offset: 0, limit: 2000, status: 'proposed', sort: 'confidence', descending: true })
      if (page.images.length === 0) {
        useRounds.setState({ error: 'Nothing to review: no proposals are waiting' })
        return
      }
      set({ kind: 'review', queue: page.images, position: 0, open: true })
    } catch (err) {
      useRounds.setState({ error: (err as Error).message })
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
  close: () => set({ open: false }),
}))

studio.onEvent((event) => {
  if (event.type === 'round.status') {
    const rounds = useRounds.getState().rounds.filter((r) => r.id !== event.round.id)
    useRounds.setState({ rounds: [...rounds, event.round].sort((a, b) => a.id - b.id), stage: event.round.status === 'running' ? event.stage : null })
  } else if (event.type === 'project.opened') {
    void useRounds.getState().load()
    void useRounds.getState().loadAudit()
  } else if (event.type === 'labels.changed' && useRounds.getState().audit) void useRounds.getState().loadAudit()
})
