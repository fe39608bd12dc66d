import { create } from 'zustand'
import type { AuditReport, RoundInfo } from '../../preload/contract'
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
 * The audit report reads every reviewer's decisions (and another reviewer's can start it anew):
 * after a burst of label changes (a review session is one change a keystroke) it is asked for
 * once, a moment after the last.
 */
let auditReload: ReturnType<typeof setTimeout> | null = null
function reloadAuditSoon(): void {
  if (auditReload !== null) clearTimeout(auditReload)
  auditReload = setTimeout(() => {
    auditReload = null
    void useRounds.getState().loadAudit()
  }, 400)
}

studio.onEvent((event) => {
  if (event.type === 'round.status') {
    const rounds = useRounds.getState().rounds.filter((r) => r.id !== event.round.id)
    useRounds.setState({ rounds: [...rounds, event.round].sort((a, b) => a.id - b.id), stage: event.round.status === 'running' ? event.stage : null })
  } else if (event.type === 'project.opened') {
    void useRounds.getState().load()
    void useRounds.getState().loadAudit()
  } else if (event.type === 'labels.changed') reloadAuditSoon()
})
