import { create } from 'zustand'
import type { AppInfo, ProgressEvent, ProjectSummary } from '../../preload/contract'
import { studio } from '../transport'

interface ProjectState {
  info: AppInfo | null
  project: ProjectSummary | null
  opening: boolean
  progress: ProgressEvent | null
  error: string | null
  online: boolean
  load(): Promise<void>
  open(folder: string): Promise<void>
  pickAndOpen(): Promise<void>
  dismissError(): void
}

export const useProject = create<ProjectState>((set, get) => ({
  info: null,
  project: null,
  opening: false,
  progress: null,
  error: null,
  online: true,
  async load() {
    try {
      const info = await studio.call('app.info', {})
      set({ info, project: info.project })
    } catch (err) {
      set({ error: `Could not reach the studio: ${(err as Error).message}` })
    }
  },
  async open(folder) {
    set({ opening: true, error: null, progress: null })
    try {
      const project = await studio.call('project.open', { folder })
      set({ project })
    } catch (err) {
      set({ error: `Could not open ${folder}: ${(err as Error).message}` })
    } finally {
      set({ opening: false, progress: null })
    }
  },
  async pickAndOpen() {
    try {
      const folder = await studio.call('dialog.pickFolder', {})
      if (folder) await get().open(folder)
    } catch (err) {
      set({ error: (err as Error).message })
    }
  },
  dismissError: () => set({ error: null }),
}))

studio.onEvent((event) => {
  if (event.type === 'progress' && event.job === 'index') useProject.setState({ progress: event })
  else if (event.type === 'project.opened') useProject.setState({ project: event.project })
  else if (event.type === 'connection') {
    useProject.setState({ online: event.online })
    // After a reconnect the server may have restarted: refresh what it has open.
    if (event.online) void useProject.getState().load()
  }
})
