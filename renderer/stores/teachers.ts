import { create } from 'zustand'
import type { TeacherEntry } from '../../preload/contract'
import type { TeacherFileRole } from '../../preload/vocabulary'
import { studio } from '../transport'

interface TeachersState {
  /** The catalog (and imported teachers), each with its state on this machine. */
  teachers: TeacherEntry[]
  error: string | null
  load(): Promise<void>
  pull(id: string): Promise<void>
  /** Cancels the download in progress; its part is kept, so Download again resumes. */
  cancel(): Promise<void>
  useFile(id: string, path: string, role?: TeacherFileRole): Promise<boolean>
  remove(id: string): Promise<void>
}

export const useTeachers = create<TeachersState>((set, get) => {
  /**
   * Runs a request, keeping its failure in `error` for the section to show. A request the person
   * made clears the last message when it succeeds; a refresh (`userAction` false) clears only its
   * own earlier failure, so a failed download's message stays after the list reloads.
   */
  const attempt = async <T>(what: string, run: () => Promise<T>, userAction = true): Promise<T | undefined> => {
    try {
      const value = await run()
      if (userAction || get().error?.startsWith(`${what}:`)) set({ error: null })
      return value
    } catch (err) {
      set({ error: `${what}: ${(err as Error).message}` })
      return undefined
    }
  }
  const replace = (entry: TeacherEntry) => set({ teachers: get().teachers.map((t) => (t.id === entry.id ? entry : t)) })
  return {
    teachers: [],
    error: null,
    async load() {
      const teachers = await attempt('Could not list the teachers', () => studio.call('teachers.list', {}), false)
      if (teachers) set({ teachers })
    },
    async pull(id) {
      const entry = await attempt('Could not start the download', () => studio.call('teachers.pull', { id }))
      if (entry) replace(entry)
    },
    async cancel() {
      await attempt('Could not cancel', () => studio.call('jobs.cancel', { job: 'download' }))
    },
    async useFile(id, path, role) {
      const entry = await attempt('That file cannot be used', () => studio.call('teachers.useFile', { id, path, ...(role ? { role } : {}) }))
      if (entry) replace(entry)
      return entry !== undefined
    },
    async remove(id) {
      const teachers = await attempt('Could not remove the teacher', () => studio.call('teachers.remove', { id }))
      if (teachers) set({ teachers })
    },
  }
})

studio.onEvent((event) => {
  if (event.type === 'progress' && event.job === 'download') {
    // The stage of a download's progress is the teacher's id.
    const { done, total, perSecond, etaSeconds } = event
    useTeachers.setState((s) => ({
      teachers: s.teachers.map((t) => (t.id === event.stage ? { ...t, state: 'downloading', progress: { done, total, bytesPerSecond: perSecond, etaSeconds } } : t)),
    }))
  }
  if (event.type === 'teacher.download') {
    if (event.state === 'failed') useTeachers.setState({ error: `Download of ${event.id} failed: ${event.message ?? ''}` })
    void useTeachers.getState().load()
  }
})
