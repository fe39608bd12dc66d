import { create } from 'zustand'
import type { MapLabels, MapPoints, ProgressEvent } from '../../preload/contract'
import { statusOf, type ImageStatus } from '../../preload/vocabulary'
import { studio } from '../transport'
import { useLabels } from './labels'
import { notify } from './notices'

export type ColourBy = 'class' | 'state' | 'confidence'

/** Status codes in drawing order: unlabelled points first, so labelled ones sit on top. */
export const STATUSES: ImageStatus[] = ['unlabelled', 'rejected', 'proposed', 'accepted', 'human']

/** The map's points in typed arrays: 100,000 of them are redrawn on every pan and zoom. */
export interface MapData {
  count: number
  ids: Int32Array
  relPaths: string[]
  x: Float32Array
  y: Float32Array
  /** Index into STATUSES. */
  status: Uint8Array
  /** -1 for none. */
  classId: Int32Array
  /** NaN for none. */
  confidence: Float32Array
  /** Image id -> point index. */
  index: Map<number, number>
  landmarks: number
}

interface MapState {
  /** What the main area shows: the grid of thumbnails or the map. */
  view: 'grid' | 'map'
  setView(view: 'grid' | 'map'): void
  /** 'waiting': the teacher has not finished embedding the project. */
  state: 'idle' | 'loading' | 'waiting' | 'ready' | 'failed'
  message: string | null
  progress: ProgressEvent | null
  data: MapData | null
  /** Bumped whenever the points' labels change, so the view recolours. */
  labelsVersion: number
  colourBy: ColourBy
  /** Point indices picked by the lasso. */
  selection: Int32Array
  /** The map view appears (loads the map, or refreshes its labels) or goes. */
  show(on: boolean): void
  /** Asks for the map (built in the background the first time); asks again after each teacher pass while shown. */
  load(): Promise<void>
  cancel(): Promise<void>
  refreshLabels(): Promise<void>
  setColourBy(c: ColourBy): void
  select(indices: Int32Array): void
  /** Seed-labels the selection (null clears), at once on the map and through the labels store. */
  labelSelection(classId: number | null): Promise<void>
  reset(): void
}

/**
 * The web host caps a request body at 64 KiB (about 8,000 image ids); one label action must stay
 * one request so that one Ctrl+Z undoes it.
 */
const MAX_LABEL_BATCH = 8000

/** Set while the map view is shown: a finished teacher pass then (re)loads the map, a label change recolours it. */
let shown = false
/** Bumped when a project opens: an answer for the project before is dropped. */
let generation = 0

function toData(p: MapPoints): MapData {
  const count = p.ids.length
  const data: MapData = {
    count,
    ids: Int32Array.from(p.ids),
    relPaths: p.relPaths,
    x: Float32Array.from(p.x),
    y: Float32Array.from(p.y),
    status: new Uint8Array(count),
    classId: new Int32Array(count),
    confidence: new Float32Array(count),
    index: new Map(p.ids.map((id, i) => [id, i])),
    landmarks: p.landmarks,
  }
  applyLabels(data, p)
  return data
}

function applyLabels(data: MapData, l: MapLabels): void {
  for (let t = 0; t < l.ids.length; t++) {
    const i = data.index.get(l.ids[t]!)
    if (i === undefined) continue
    data.status[i] = Math.max(0, STATUSES.indexOf(l.status[t]!))
    data.classId[i] = l.classId[t] ?? -1
    data.confidence[i] = l.confidence[t] ?? NaN
  }
}

export const useMap = create<MapState>((set, get) => ({
  view: 'grid',
  setView: (view) => set({ view }),
  state: 'idle',
  message: null,
  progress: null,
  data: null,
  labelsVersion: 0,
  colourBy: 'class',
  selection: new Int32Array(0),
  show(on) {
    shown = on
    if (!on) return
    const { state, data } = get()
    if (state === 'idle' || state === 'waiting') void get().load()
    else if (data) void get().refreshLabels()
  },
  async load() {
    if (get().state === 'loading') return
    set({ state: 'loading', message: null, progress: null })
    const asked = generation
    try {
      const points = await studio.call('map.get', {})
      if (asked !== generation) return
      set((s) => ({ state: 'ready', data: toData(points), labelsVersion: s.labelsVersion + 1, selection: new Int32Array(0), progress: null }))
    } catch (err) {
      if (asked !== generation) return
      const message = (err as Error).message
      const waiting = /teacher has not embedded/.test(message)
      set({ state: waiting ? 'waiting' : 'failed', message, progress: null })
    }
  },
  async cancel() {
    try {
      await studio.call('jobs.cancel', { job: 'map' })
    } catch (err) {
      set({ message: `Could not cancel the map: ${(err as Error).message}` })
    }
  },
  async refreshLabels() {
    const data = get().data
    if (!data) return
    try {
      const labels = await studio.call('map.labels', {})
      if (get().data !== data) return
      applyLabels(data, labels)
      set((s) => ({ labelsVersion: s.labelsVersion + 1 }))
    } catch {
      // The next label change asks again.
    }
  },
  setColourBy: (colourBy) => set({ colourBy }),
  select: (selection) => set({ selection }),
  async labelSelection(classId) {
    const { data, selection } = get()
    if (!data || selection.length === 0) return
    if (selection.length > MAX_LABEL_BATCH) {
      notify(`${selection.length.toLocaleString()} images are selected; label at most ${MAX_LABEL_BATCH.toLocaleString()} at once (lasso a smaller part)`)
      return
    }
    const ids = Array.from(selection, (i) => data.ids[i]!)
    // Shown at once; refreshLabels afterwards puts back whatever main refused.
    const human = STATUSES.indexOf(statusOf({ classId, source: 'human', state: 'accepted' }))
    for (const i of selection) {
      data.status[i] = human
      data.classId[i] = classId ?? -1
      data.confidence[i] = NaN
    }
    set((s) => ({ labelsVersion: s.labelsVersion + 1 }))
    await useLabels.getState().label(ids, classId)
    await get().refreshLabels()
  },
  reset() {
    generation++
    set({ state: 'idle', message: null, progress: null, data: null, selection: new Int32Array(0) })
  },
}))

let labelsTimer: ReturnType<typeof setTimeout> | null = null

studio.onEvent((event) => {
  if (event.type === 'progress' && event.job === 'map') useMap.setState({ progress: event })
  else if (event.type === 'labels.changed' && shown) {
    // Label changes come in bursts (a review session, a round): recolour once per burst.
    if (labelsTimer) clearTimeout(labelsTimer)
    labelsTimer = setTimeout(() => void useMap.getState().refreshLabels(), 150)
  } else if (event.type === 'project.opened') {
    useMap.getState().reset()
    if (shown) void useMap.getState().load()
  }
  else if (event.type === 'teacher.status' && event.status.state === 'done' && shown) void useMap.getState().load()
})
