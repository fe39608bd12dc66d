import { create } from 'zustand'
import type { Settings } from '../../preload/contract'
import { studio } from '../transport'
import { useProject } from './project'
import { useTeacher } from './teacher'

interface SettingsState {
  error: string | null
  /** A short note after a save ("saved", "saved; the teacher runs again"). */
  note: string | null
  /**
   * Saves some settings. The values themselves live in the teacher store (the status bar shows
   * them too): one copy. Teacher, provider, device, threads and views only apply to a new teacher pass,
   * so a change to them starts one (cached images are skipped).
   */
  save(patch: Partial<Settings>): Promise<void>
}

const TEACHER_FIELDS: (keyof Settings)[] = ['teacher', 'provider', 'deviceId', 'threads', 'views']

export const useSettings = create<SettingsState>((set) => ({
  error: null,
  note: null,
  async save(patch) {
    const before = useTeacher.getState().settings
    // Shown at once; put back if main refuses.
    if (before) useTeacher.setState({ settings: { ...before, ...patch } })
    try {
      const settings = await studio.call('settings.set', patch)
      useTeacher.setState({ settings })
      const rerun = TEACHER_FIELDS.some((k) => k in patch) && useProject.getState().project !== null
      if (rerun) useTeacher.setState({ status: await studio.call('teacher.run', {}) })
      set({ error: null, note: rerun ? 'Saved; the teacher runs again with it' : 'Saved; the next round uses it' })
    } catch (err) {
      useTeacher.setState({ settings: before })
      set({ error: `Could not save the settings: ${(err as Error).message}`, note: null })
    }
  },
}))
