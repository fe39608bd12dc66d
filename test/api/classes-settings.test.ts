/**
 * The Classes and Settings requests through StudioApi on a real project: merge, delete and colour
 * are events the UI sees (labels.changed) and undo reverses; settings from an older version load
 * with the new fields defaulted; the strategy setting reaches the round, whose stages are timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { StudioApi } from '../../main/app/studio'
import { DEFAULT_APP_SETTINGS, loadSettings } from '../../main/app/settings'
import { DEFAULT_ROUND_SETTINGS } from '../../main/engine/selftrain/round'
import { CLASS_PALETTE } from '../../preload/vocabulary'
import { type ImageInfo, type RequestName, type StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset, openEmbedded, until } from '../studio-harness'

let folder = ''
let appData = ''
let studio: StudioApi
const events: StudioEvent[] = []

const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)

async function refused(name: RequestName, input: unknown): Promise<{ code: string; message: string }> {
  const reply = await studio.handle(name, input)
  if (reply.ok) throw new Error(`${name} was expected to fail`)
  return reply.error
}

const all = async (): Promise<ImageInfo[]> => (await call('images.page', { offset: 0, limit: 2000 })).images

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-classes-', 8)
  appData = path.join(folder, '.appdata')
  // settings.json as an older studio wrote it: no strategy fields.
  await mkdir(appData, { recursive: true })
  await writeFile(path.join(appData, 'settings.json'), JSON.stringify({ teacher: 'mobilenetv2-12-int8', provider: 'cpu', deviceId: 0, threads: 2 }))
  studio = await openEmbedded(folder, appData, events)
}, 180_000)

afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
})

describe('settings', () => {
  it('an older settings file keeps its values and gets the new fields from the defaults', async () => {
    const s = await call('settings.get', {})
    expect(s).toMatchObject({ provider: 'cpu', threads: 2, strategy: DEFAULT_ROUND_SETTINGS.strategy, strategyParam: null })
    expect(DEFAULT_APP_SETTINGS.strategy).toBe(DEFAULT_ROUND_SETTINGS.strategy)
  })

  it('saves the strategy and its threshold, and refuses values out of range naming the field', async () => {
    await call('settings.set', { strategy: 'threshold', strategyParam: 0.8 })
    expect(await loadSettings(appData)).toMatchObject({ strategy: 'threshold', strategyParam: 0.8, provider: 'cpu' })
    expect(JSON.parse(await readFile(path.join(appData, 'settings.json'), 'utf8'))).toMatchObject({ strategy: 'threshold', strategyParam: 0.8 })
    expect((await refused('settings.set', { strategy: 'magic' })).message).toMatch(/field strategy/)
    expect((await refused('settings.set', { strategyParam: 1.5 })).message).toMatch(/field strategyParam/)
  })

  it('saves the head (logistic by default), and refuses an unknown one naming the field', async () => {
    expect((await call('settings.get', {})).head).toBe('logistic')
    await call('settings.set', { head: 'mlp' })
    expect(await loadSettings(appData)).toMatchObject({ head: 'mlp' })
    expect((await refused('settings.set', { head: 'forest' })).message).toMatch(/field head/)
    await call('settings.set', { head: 'logistic' })
  })

  it('lists the teacher models found in models/', async () => {
    const teachers = await call('teachers.list', {})
    expect(teachers.find((m) => m.id === 'mobilenetv2-12-int8')).toMatchObject({ name: expect.stringMatching(/MobileNetV2/), state: 'installed' })
  })
})

describe('classes', () => {
  it('colour, merge and delete; each is undone by labels.undo', async () => {
    const ants = await call('classes.create', { name: 'ants' })
    const bees = await call('classes.create', { name: 'bees' })
    const wasps = await call('classes.create', { name: 'wasps' })
    expect((await call('classes.setColor', { id: wasps.id, color: '#aa3300' })).color).toBe('#aa3300')
    expect((await refused('classes.setColor', { id: wasps.id, color: 'red' })).message).toMatch(/field color: a colour is #rrggbb/)

    const images = await all()
    const antIds = images.filter((i) => i.relPath.startsWith('ants/')).map((i) => i.id)
    const beeIds = images.filter((i) => i.relPath.startsWith('bees/')).map((i) => i.id)
    await call('labels.set', { imageIds: antIds.slice(0, 2), classId: ants.id })
    await call('labels.set', { imageIds: beeIds.slice(0, 2), classId: bees.id })
    await call('labels.set', { imageIds: beeIds.slice(2, 4), classId: wasps.id })

    events.length = 0
    const merged = await call('classes.merge', { id: wasps.id, into: bees.id })
    expect(merged.imageIds.sort()).toEqual(beeIds.slice(2, 4).sort())
    expect(events).toContainEqual({ type: 'labels.changed', imageIds: merged.imageIds })
    let list = await call('classes.list', {})
    expect(list.map((c) => c.name)).toEqual(['ants', 'bees'])
    expect(list.find((c) => c.id === bees.id)!.counts.human).toBe(4)
    expect((await refused('classes.merge', { id: wasps.id, into: bees.id })).code).toBe('not_found')
    expect((await refused('classes.rename', { id: bees.id, name: 'ants' })).message).toMatch(/exists already/)

    await call('labels.undo', {})
    list = await call('classes.list', {})
    // New classes keep the palette colour of their position when made; wasps has its own.
    expect(list.map((c) => [c.name, c.color, c.counts.human])).toEqual([
      ['ants', CLASS_PALETTE[0], 2],
      ['bees', CLASS_PALETTE[1], 2],
      ['wasps', '#aa3300', 2],
    ])

    const deleted = await call('classes.delete', { id: wasps.id })
    expect(deleted.imageIds.sort()).toEqual(beeIds.slice(2, 4).sort())
    expect((await call('classes.list', {})).map((c) => c.name)).toEqual(['ants', 'bees'])
    const history = await call('images.history', { imageId: beeIds[2] })
    // The seed label, the merge (undone) and the deletion's clearing: nothing is rewritten.
    expect(history.map((e) => [e.classId, e.undone])).toEqual([
      [wasps.id, false],
      [bees.id, true],
      [null, false],
    ])
    // History still names the deleted class, and says that it is deleted.
    expect(history.map((e) => e.className)).toEqual(['wasps (deleted)', 'bees', null])
    await call('labels.undo', {})
    expect((await call('classes.list', {})).map((c) => c.name)).toEqual(['ants', 'bees', 'wasps'])
    await call('classes.delete', { id: wasps.id })
  })

  it('gives every class a colour of its own, past the palette and when a deleted class is made again', async () => {
    const before = await call('classes.list', {})
    const made = []
    for (let i = 0; i < 14; i++) made.push(await call('classes.create', { name: `colour ${i}` }))
    // Make the first one again after deleting it and giving its colour away.
    await call('classes.delete', { id: made[0]!.id })
    const taker = await call('classes.create', { name: 'taker' })
    expect(taker.color).toBe(made[0]!.color)
    await call('classes.create', { name: 'colour 0' })
    const colours = (await call('classes.list', {})).map((c) => c.color!.toLowerCase())
    expect(new Set(colours).size).toBe(colours.length)
    for (const c of await call('classes.list', {})) if (!before.some((b) => b.id === c.id)) await call('classes.delete', { id: c.id })
  })

  it('runs a round with the strategy from the settings and times its stages', async () => {
    await call('settings.set', { strategy: 'threshold', strategyParam: 0.5 })
    events.length = 0
    const started = await call('rounds.start', {})
    await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running'))
    const statuses = events.flatMap((e) => (e.type === 'round.status' ? [e] : []))
    // Each stage reports at least once (the worker's stages also from inside them), in order; no graph with this strategy.
    const stages = ['reading embeddings', 'starting the worker', 'cross-validating', 'fitting the head', 'scoring images', 'selecting proposals', 'writing proposals']
    expect(statuses.map((e) => e.stage).filter((s, i, all) => s !== all[i - 1])).toEqual([...stages, 'finished'])
    // While it ran, each report carried the stages so far, the last one still running.
    const fitting = statuses.find((e) => e.stage === 'fitting the head')!
    expect(fitting.round.stages.map((s) => [s.name, s.finishedAt === null])).toEqual([
      ['reading embeddings', false],
      ['starting the worker', false],
      ['cross-validating', false],
      ['fitting the head', true],
    ])
    const done = statuses.at(-1)!.round
    expect(done.status).toBe('done')
    expect(done.stages.map((s) => s.name)).toEqual(stages)
    for (const s of done.stages) {
      expect(s.images).toBe(16)
      expect(s.finishedAt!).toBeGreaterThanOrEqual(s.startedAt)
    }
    // The threshold strategy at 0.5 proposes every unlabelled image whose top class reaches 0.5: with two
    // classes, all of them. The default (class-balanced ensemble) would take 1/5 of them in round 1.
    expect(done.proposals).toBe(16 - 4)
    const params = (await call('rounds.list', {})).find((r) => r.id === started.id)
    expect(params?.status).toBe('done')
  }, 120_000)
})
