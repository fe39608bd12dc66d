import { create } from 'zustand'
import type { ClassInfo, ImageInfo } from '../../preload/contract'
import { statusOf } from '../../preload/vocabulary'
import { studio } from '../transport'
import { useGrid } from './grid'
import { notify } from './notices'
import { useReview } from './review'

interface LabelsState {
  classes: ClassInfo[]
  loadClasses(): Promise<void>
  createClass(name: string): Promise<ClassInfo | null>
  /** Class changes show at once in the list and roll back, with a notice, if main refuses them. */
  renameClass(id: number, name: string): Promise<boolean>
  setClassColor(id: number, color: string | null): Promise<void>
  /** Clears the labels of the class's images (one undo step) and removes it. */
  deleteClass(id: number): Promise<void>
  /** Moves the images of `id` to `into` (one undo step) and removes `id`. */
  mergeClass(id: number, into: number): Promise<void>
  /** Seed-labels images with the class at `slot` (0-based, as digit keys 1-9 are); null clears. */
  label(imageIds: number[], classId: number | null): Promise<void>
  review(imageIds: number[], decision: 'accept' | 'reject'): Promise<void>
  relabel(imageIds: number[], classId: number): Promise<void>
  /** The person checked these human labels and keeps them (one undo step): not flagged as possible mistakes again until they change. */
  keep(imageIds: number[]): Promise<void>
  undo(): Promise<void>
  redo(): Promise<void>
}

/**
 * Label actions show at once in the grid and the review queue (an optimistic patch of the images
 * they hold) and are rolled back, with a notice, if main refuses them.
 */
async function optimistic(imageIds: number[], patch: (image: ImageInfo) => ImageInfo, request: () => Promise<unknown>, what: string): Promise<void> {
  const undoGrid = useGrid.getState().patchImages(imageIds, patch)
  const undoReview = useReview.getState().patchImages(imageIds, patch)
  try {
    await request()
  } catch (err) {
    undoGrid()
    undoReview()
    notify(`${what} failed and was rolled back: ${(err as Error).message}`)
  }
}

/** The class-list twin of `optimistic`: patch the list, ask main, reload (or roll back with a notice). */
/** Bumped by every class-list request and optimistic patch: only the newest may set the list. */
let classListVersion = 0

async function classChange(patch: (classes: ClassInfo[]) => ClassInfo[], request: () => Promise<unknown>, what: string): Promise<boolean> {
  const before = useLabels.getState().classes
  classListVersion++
  useLabels.setState({ classes: patch(before) })
  try {
    await request()
    await useLabels.getState().loadClasses()
    return true
  } catch (err) {
    useLabels.setState({ classes: before })
    notify(`${what} failed and was rolled back: ${(err as Error).message}`)
    return false
  }
}

export const useLabels = create<LabelsState>((set, get) => ({
  classes: [],
  async loadClasses() {
    const asked = ++classListVersion
    try {
      const classes = await studio.call('classes.list', {})
      // Replies can arrive out of order (the web host answers in parallel): an older one would undo newer news.
      if (asked === classListVersion) set({ classes })
    } catch (err) {
      notify(`Could not load the classes: ${(err as Error).message}`)
    }
  },
  async createClass(name) {
    try {
      const created = await studio.call('classes.create', { name })
      await get().loadClasses()
      return created
    } catch (err) {
      notify(`Could not create the class "${name}": ${(err as Error).message}`)
      return null
    }
  },
  renameClass: (id, name) => classChange((cs) => cs.map((c) => (c.id === id ? { ...c, name } : c)), () => studio.call('classes.rename', { id, name }), `Renaming to "${name}"`),
  setClassColor: async (id, color) => {
    await classChange((cs) => cs.map((c) => (c.id === id ? { ...c, color } : c)), () => studio.call('classes.setColor', { id, color }), 'Changing the colour')
  },
  deleteClass: async (id) => {
    await classChange((cs) => cs.filter((c) => c.id !== id), () => studio.call('classes.delete', { id }), 'Deleting the class')
  },
  mergeClass: async (id, into) => {
    await classChange((cs) => cs.filter((c) => c.id !== id), () => studio.call('classes.merge', { id, into }), 'Merging the classes')
  },
  label: (imageIds, classId) =>
    optimistic(
      imageIds,
      (i) => ({ ...i, classId, status: statusOf({ classId, source: 'human', state: 'accepted' }), confidence: null }),
      () => studio.call('labels.set', { imageIds, classId }),
      'Labelling',
    ),
  review: (imageIds, decision) =>
    optimistic(
      imageIds,
      (i) => (i.status === 'proposed' ? { ...i, status: statusOf({ classId: i.classId, source: 'pseudo', state: decision === 'accept' ? 'accepted' : 'rejected' }) } : i),
      () => studio.call('labels.review', { imageIds, decision }),
      decision === 'accept' ? 'Accepting' : 'Rejecting',
    ),
  relabel: (imageIds, classId) =>
    optimistic(imageIds, (i) => ({ ...i, classId, status: statusOf({ classId, source: 'human', state: 'relabelled' }), confidence: null }), () => studio.call('labels.relabel', { imageIds, classId }), 'Relabelling'),
  keep: (imageIds) => optimistic(imageIds, (i) => i, () => studio.call('labels.keep', { imageIds }), 'Keeping the label'),
  async undo() {
    try {
      if (!(await studio.call('labels.undo', {}))) notify('Nothing to undo')
    } catch (err) {
      notify(`Undo failed: ${(err as Error).message}`)
    }
  },
  async redo() {
    try {
      if (!(await studio.call('labels.redo', {}))) notify('Nothing to redo')
    } catch (err) {
      notify(`Redo failed: ${(err as Error).message}`)
    }
  },
}))

studio.onEvent((event) => {
  if (event.type === 'labels.changed') {
    void useLabels.getState().loadClasses()
    useGrid.getState().refresh(event.imageIds.length ? event.imageIds : undefined)
  } else if (event.type === 'project.opened') void useLabels.getState().loadClasses()
})
