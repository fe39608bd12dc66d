import { create } from 'zustand'
import type { Settings, TeacherStatus } from '../../preload/contract'
import type { ProviderSetting } from '../../preload/vocabulary'
import { studio } from '../transport'

interface TeacherState {
  status: TeacherStatus | null
  settings: Settings | null
  error: string | null
  load(): Promise<void>
  cancel(): Promise<void>
  /** Saves the provider setting and runs the teacher again with it. */
  useProvider(provider: ProviderSetting): Promise<void>
}

export const useTeacher = create<TeacherState>((set) => ({
  status: null,
  settings: null,
  error: null,
  async load() {
    try {
      const [status, settings] = await Promise.all([studio.call('teacher.status', {}), studio.call('settings.get', {})])
      set({ status, settings })
    } catch (err) {
      set({ error: (err as Error).message })
    }
  },
  async cancel() {
    try {
      await studio.call('jobs.cancel', { job: 'embed' })
    } catch (err) {
      set({ error: `Could not cancel: ${(err as Error).message}` })
    }
  },
  async useProvider(provider) {
    try {
      const settings = await studio.call('settings.set', { provider })
      set({ settings, error: null })
      set({ status: await studio.call('teacher.run', {}) })
    } catch (err) {
      set({ error: `Could not switch to ${provider}: ${(err as Error).message}` })
    }
  },
}))

studio.onEvent((event) => {
  if (event.type === 'teacher.status') useTeacher.setState({ status: event.status })
})
