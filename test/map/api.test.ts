/**
 * The map through the contract, on a real project: real photos, the real teacher. Before the
 * teacher has finished the map says to wait; then it is built once (with progress), kept in the
 * project's data folder and read back from there; its labels follow label changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { StudioApi } from '../../main/app/studio'
import type { ProgressEvent, RequestName, StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset, until } from '../studio-harness'

let folder = ''
let studio: StudioApi
const events: StudioEvent[] = []

const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)

const mapProgress = () => events.filter((e): e is ProgressEvent => e.type === 'progress' && e.job === 'map')

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-map-api-', 12)
  studio = new StudioApi({ host: 'web', appDataDir: path.join(folder, '.appdata') })
  studio.onEvent((e) => events.push(e))
}, 60_000)

afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
})

describe('map through the contract', () => {
  it('asks to wait for the teacher, then builds the map once and keeps it', async () => {
    const project = await call('project.open', { folder })
    const early = await studio.handle('map.get', {})
    expect(early.ok).toBe(false)
    if (!early.ok) expect(early.error.message).toMatch(/teacher has not embedded/)
    await until('the teacher', () => events.some((e) => e.type === 'teacher.status' && e.status.state === 'done'))

    const map = await call('map.get', {})
    expect(map.ids).toHaveLength(24)
    expect(new Set(map.ids).size).toBe(24)
    expect(map.relPaths.filter((p) => p.startsWith('ants/'))).toHaveLength(12)
    for (const v of [...map.x, ...map.y]) {
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThanOrEqual(1)
    }
    expect(map.status.every((s) => s === 'unlabelled')).toBe(true)
    const stages = new Set(mapProgress().map((e) => e.stage))
    expect([...stages]).toEqual(['reading embeddings', 'projecting', 'finding neighbours', 'laying out'])
    expect(await readdir(path.join(project.dataDir, 'map'))).toHaveLength(1)

    // The second request reads the kept map: the same points, no build.
    const before = mapProgress().length
    const again = await call('map.get', {})
    expect(again.ids).toEqual(map.ids)
    expect(again.x).toEqual(map.x)
    expect(again.y).toEqual(map.y)
    expect(mapProgress().length).toBe(before)
    expect(await call('jobs.cancel', { job: 'map' })).toBe(false)
  }, 200_000)

  it('shows label changes in map.labels', async () => {
    const map = await call('map.get', {})
    const ants = await call('classes.create', { name: 'ants' })
    const picked = map.ids.filter((_, i) => map.relPaths[i]!.startsWith('ants/')).slice(0, 3)
    await call('labels.set', { imageIds: picked, classId: ants.id })
    const labels = await call('map.labels', {})
    const at = new Map(labels.ids.map((id, i) => [id, i]))
    for (const id of picked) {
      expect(labels.status[at.get(id)!]).toBe('human')
      expect(labels.classId[at.get(id)!]).toBe(ants.id)
    }
    expect(labels.status.filter((s) => s === 'human')).toHaveLength(3)
  })
})
