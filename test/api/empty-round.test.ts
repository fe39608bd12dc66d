/**
 * A round that proposes nothing still finishes: here every image carries a seed label, so no image
 * is left to propose for (a round once failed with "no label changes given").
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset, openEmbedded, until } from '../studio-harness'

const dirs: string[] = []
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

describe('a round with nothing to propose', () => {
  it('ends done with no proposals, and the labels stay as they were', async () => {
    const folder = await hymenopteraSubset('studio-empty-round-', 4)
    const appData = await mkdtemp(path.join(os.tmpdir(), 'studio-empty-round-data-'))
    dirs.push(folder, appData)
    const savedDataDir = process.env.STUDIO_DATA_DIR
    process.env.STUDIO_DATA_DIR = appData
    const events: StudioEvent[] = []
    const studio = await openEmbedded(folder, appData, events)
    try {
      const images = (await callStudio(studio, 'images.page', { offset: 0, limit: 100, sort: 'name' })).images
      for (const name of ['ants', 'bees']) {
        const cls = await callStudio(studio, 'classes.create', { name })
        await callStudio(studio, 'labels.set', { imageIds: images.filter((i) => i.relPath.startsWith(`${name}/`)).map((i) => i.id), classId: cls.id })
      }
      const started = await callStudio(studio, 'rounds.start')
      await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running'))
      const [round] = await callStudio(studio, 'rounds.list')
      expect(round).toMatchObject({ status: 'done', proposals: 0, error: null })
      const after = (await callStudio(studio, 'images.page', { offset: 0, limit: 100, sort: 'name' })).images
      expect(after.map((i) => i.status)).toEqual(images.map(() => 'human'))
    } finally {
      await studio.close()
      if (savedDataDir === undefined) delete process.env.STUDIO_DATA_DIR
      else process.env.STUDIO_DATA_DIR = savedDataDir
    }
  })
})
