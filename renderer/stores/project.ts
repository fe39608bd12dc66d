import { create } from 'zustand'
import { StudioError, type AppInfo, type ProgressEvent, type ProjectSummary, type RecentProject } from '../../preload/contract'
import { studio } from '../transport'

interface ProjectState {
  info: AppInfo | null
  project: ProjectSummary | null
  opening: boolean
  progress: ProgressEvent | null
  error: string | null
  /** Set when the folder's database is unusable: the UI offers to start afresh. */
  unusableFolder: string | null
  online: boolean
  /** Recently opened folders, newest first (null until loaded). */
  recent: RecentProject[] | null
  load(): Promise<void>
  open(folder: string): Promise<void>
  openDemo(): Promise<void>
  loadRecent(): Promise<void>
  forget(folder: string): Promise<void>
  pickAndOpen(): Promise<void>
  dismissError(): void
  startAfresh(): Promise<void>
}

export const useProject = create<ProjectState>((set, get) => ({
  info: null,
  project: null,
  opening: false,
  progress: null,
  error: null,
  unusableFolder: null,
  online: true,
  recent: null,
  async load() {
    try {
      const info = await studio.call('app.info', {})
      set({ info, project: info.project })
    } catch (err) {
      set({ error: `Could not reach the studio: ${(err as Error).message}` })
    }
  },
  async open(folder) {
    set({ opening: true, error: null, unusableFolder: null, progress: null })
    try {
      const project = await studio.call('project.open', { folder })
      set({ project })
    } catch (err) {
      set({
        error: `Could not open ${folder}: ${(err as Error).message}`,
        unusableFolder: err instanceof StudioError && err.code === 'unusable_database' ? folder : null,
      })
    } finally {
      set({ opening: false, progress: null })
    }
  },
  async openDemo() {
    set({ opening: true, error: null, unusableFolder: null, progress: null })
    try {
      set({ project: await studio.call('project.openDemo', {}) })
    } catch (err) {
      set({ error: `Could not open the demo project: ${(err as Error).message}` })
    } finally {
      set({ opening: false, progress: null })
    }
  },
  async loadRecent() {
    try {
      set({ recent: await studio.call('projects.recent', {}) })
    } catch {
      // The list is a convenience: without it the picker still opens folders.
      set({ recent: [] })
    }
  },
  async forget(folder) {
    try {
      set({ recent: await studio.call('projects.forget', { folder }) })
    } catch (err) {
      set({ error: `Could not remove ${folder} from the recent list: ${(err as Error).message}` })
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
  dismissError: () => set({ error: null, unusableFolder: null }),
  async startAfresh() {
    const folder = get().unusableFolder
    if (!folder) return
    set({ opening: true, error: null, unusableFolder: null })
    try {
      set({ project: await studio.call('project.startAfresh', { folder }) })
    } catch (err) {
      set({ error: `Could not start afresh in ${folder}: ${(err as Error).message}` })
    } finally {
      set({ opening: false, progress: null })
    }
  },
}))

studio.onEvent((event) => {
  if (event.type === 'progress' && event.job === 'index') useProject.setState({ progress: event })
  else if (event.type === 'project.opened' || event.type === 'project.changed') useProject.setState({ project: event.project })
  else if (event.type === 'connection') {
    useProject.setState({ online: event.online })
    // After a reconnect the server may have restarted: refresh what it has open.
    if (event.online) void useProject.getState().load()
  }
})
