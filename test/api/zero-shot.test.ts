/**
 * Classes by name, end to end through the contract: a tiny two-tower teacher built in the test
 * (test/teacher/two-tower.ts) embeds a folder of red and blue images; with two classes named "red"
 * and "blue" and not one label, a round proposes from the names alone (zero-shot), and every
 * proposal is right. With labels the round uses the text prior, or the plain head when the
 * setting is off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { StudioApi } from '../../main/app/studio'
import type { ImageInfo, RequestName, StudioEvent } from '../../preload/contract'
import { callStudio, until } from '../studio-harness'
import { writeTwoTower } from '../teacher/two-tower'
import { rng } from '../../main/engine/math/linalg'

let root = ''
let studio: StudioApi
const events: StudioEvent[] = []
const savedModelsDir = process.env.STUDIO_MODELS_DIR
const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)
const all = async (): Promise<ImageInfo[]> => (await call('images.page', { offset: 0, limit: 100 })).images

/** A 24x24 PNG of one dominant colour with noise: red (or blue) high, the others low. */
async function colourImage(file: string, dominant: 0 | 2, seed: number): Promise<void> {
  const r = rng(seed)
  const px = Buffer.alloc(24 * 24 * 3)
  for (let i = 0; i < 24 * 24; i++) for (let ch = 0; ch < 3; ch++) px[i * 3 + ch] = ch === dominant ? 150 + Math.floor(r() * 100) : Math.floor(r() * 90)
  await sharp(px, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(file)
}

async function round(): Promise<number> {
  const started = await call('rounds.start')
  await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running'), 60_000)
  return started.id
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pls-zeroshot-'))
  const models = path.join(root, 'models')
  const folder = path.join(root, 'photos')
  await mkdir(models)
  for (const [cls, dominant] of [['red', 0], ['blue', 2]] as const) {
    await mkdir(path.join(folder, cls), { recursive: true })
    for (let i = 0; i < 8; i++) await colourImage(path.join(folder, cls, `${cls}-${i}.png`), dominant, 100 * dominant + i + 1)
  }
  await writeTwoTower(models)
  process.env.STUDIO_MODELS_DIR = models
  const appData = path.join(root, 'appdata')
  await mkdir(appData)
  await writeFile(path.join(appData, 'settings.json'), JSON.stringify({ teacher: 'tiny-clip', provider: 'cpu', deviceId: 0, threads: 1 }))
  studio = new StudioApi({ host: 'web', appDataDir: appData })
  studio.onEvent((e) => events.push(e))
  await call('project.open', { folder })
  await until('the teacher', () => events.some((e) => e.type === 'teacher.status' && (e.status.state === 'done' || e.status.state === 'failed')), 60_000)
  const status = await call('teacher.status')
  if (status.state !== 'done') throw new Error(`teacher: ${status.message}`)
}, 120_000)

afterAll(async () => {
  await studio?.close()
  if (savedModelsDir === undefined) delete process.env.STUDIO_MODELS_DIR
  else process.env.STUDIO_MODELS_DIR = savedModelsDir
  await rm(root, { recursive: true, force: true })
})

describe('classes by name (zero-shot) through the contract', () => {
  it('lists the teacher as text-aligned', async () => {
    const teachers = await call('teachers.list')
    expect(teachers.find((m) => m.id === 'tiny-clip')).toMatchObject({ state: 'installed', textAligned: true })
  })

  it('proposes from the class names with no seed label, every proposal right', async () => {
    const red = (await call('classes.create', { name: 'red' })).id
    const blue = (await call('classes.create', { name: 'blue' })).id
    const id = await round()
    const info = (await call('rounds.list')).find((r) => r.id === id)!
    expect(info.error).toBeNull()
    expect(info).toMatchObject({ status: 'done', method: 'zero-shot', kfoldAccuracy: null, trainedOn: { human: 0, accepted: 0, unreviewed: 0 } })
    const proposed = (await all()).filter((i) => i.status === 'proposed')
    // the default strategy spreads labels over a graph; with none to spread it ranks per class
    expect(proposed.length).toBeGreaterThanOrEqual(2)
    expect(new Set(proposed.map((i) => i.classId))).toEqual(new Set([red, blue]))
    for (const i of proposed) expect(i.classId).toBe(i.relPath.startsWith('red/') ? red : blue)
    expect(info.stages.map((s) => s.name)).toContain('embedding the class names')

    // a threshold of 0.5 over two classes proposes every image: the zero-shot argmax, all right
    await call('settings.set', { strategy: 'threshold', strategyParam: 0.5 })
    await round()
    const every = await all()
    expect(every.every((i) => i.status === 'proposed')).toBe(true)
    for (const i of every) expect(i.classId).toBe(i.relPath.startsWith('red/') ? red : blue)
  })

  it('takes prompt templates from the settings, and refuses one without {}', async () => {
    // the round before ran on the default prompts (threshold 0.5: every image proposed)
    const confidences = (images: ImageInfo[]) => new Map(images.map((i) => [i.relPath, i.confidence]))
    const before = confidences(await all())
    await call('settings.set', { prompts: ['a picture of a {}', 'a photo of a {}.'] })
    const id = await round()
    expect((await call('rounds.list')).find((r) => r.id === id)).toMatchObject({ status: 'done', method: 'zero-shot' })
    // The solid colours make those confidences 1 either way; a prompt that drowns the class name in
    // another colour word must lower them, and would not if the round ignored the prompts.
    await call('settings.set', { prompts: ['green green green green green green green green a {}'] })
    await round()
    const drowned = confidences(await all())
    expect([...drowned.values()].every((c) => c !== null)).toBe(true)
    expect(drowned).not.toEqual(before)
    await call('settings.set', { prompts: ['a picture of a {}', 'a photo of a {}.'] })
    const reply = await studio.handle('settings.set', { prompts: ['a picture'] })
    expect(reply.ok).toBe(false)
  })

  it('with seed labels, pulls the head toward the text (text prior), or not when the setting is off', async () => {
    const images = await all()
    const [red, blue] = (await call('classes.list')).map((c) => c.id)
    await call('labels.set', { imageIds: [images.find((i) => i.relPath.startsWith('red/'))!.id], classId: red })
    await call('labels.set', { imageIds: [images.find((i) => i.relPath.startsWith('blue/'))!.id], classId: blue })
    const withPrior = await round()
    expect((await call('rounds.list')).find((r) => r.id === withPrior)).toMatchObject({ status: 'done', method: 'text-prior' })
    for (const i of (await all()).filter((i) => i.status === 'proposed')) expect(i.classId).toBe(i.relPath.startsWith('red/') ? red : blue)
    await call('settings.set', { textPrior: false })
    const plain = await round()
    expect((await call('rounds.list')).find((r) => r.id === plain)).toMatchObject({ status: 'done', method: 'head' })
  })
})
