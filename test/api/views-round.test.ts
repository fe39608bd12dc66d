/**
 * Augmented views through the contract: with Settings.views the teacher pass embeds each image's
 * views beside it, and a round with test-time averaging and the noisy student reads them.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { StudioEvent } from '../../preload/contract'
import { loadEmbeddings, viewCacheFiles } from '../../main/engine/teacher'
import { callStudio, hymenopteraSubset, openEmbedded, until } from '../studio-harness'

const dirs: string[] = []
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

describe('views in a project', () => {
  it('embeds K views per image and runs a round on them', async () => {
    const folder = await hymenopteraSubset('studio-views-', 5)
    const appData = await mkdtemp(path.join(os.tmpdir(), 'studio-views-data-'))
    dirs.push(folder, appData)
    await writeFile(path.join(appData, 'settings.json'), JSON.stringify({ teacher: 'mobilenetv2-12-int8', provider: 'cpu', threads: 1, views: 2, testTimeViews: true, noisyStudent: true }))
    const savedDataDir = process.env.STUDIO_DATA_DIR
    process.env.STUDIO_DATA_DIR = appData
    const events: StudioEvent[] = []
    const studio = await openEmbedded(folder, appData, events)
    try {
      expect(await callStudio(studio, 'settings.get')).toMatchObject({ views: 2, testTimeViews: true, noisyStudent: true })
      const opened = events.find((e) => e.type === 'project.opened')
      if (opened?.type !== 'project.opened') throw new Error('no project.opened event')
      const dir = path.join(opened.project.dataDir, 'teacher', 'embeddings')
      const files = (await readdir(dir)).filter((f) => f.endsWith('.emb'))
      expect(files.length).toBe(3) // the clean embeddings and two views
      for (const f of files) expect((await loadEmbeddings(path.join(dir, f), { scores: false })).ids.length).toBe(10)

      const images = (await callStudio(studio, 'images.page', { offset: 0, limit: 100, sort: 'name' })).images
      for (const name of ['ants', 'bees']) {
        const cls = await callStudio(studio, 'classes.create', { name })
        await callStudio(studio, 'labels.set', { imageIds: images.filter((i) => i.relPath.startsWith(`${name}/`)).slice(0, 2).map((i) => i.id), classId: cls.id })
      }
      const started = await callStudio(studio, 'rounds.start')
      await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running'))
      const [round] = await callStudio(studio, 'rounds.list')
      expect(round).toMatchObject({ status: 'done', error: null })

      // the round reads the views: without their files it fails, saying what to do
      let views: string[] = []
      for (const f of files) {
        const named = (await viewCacheFiles(path.join(dir, f), 2)).map((v) => path.basename(v))
        if (named.every((v) => files.includes(v))) views = named
      }
      expect(views.length).toBe(2)
      for (const f of views) await rm(path.join(dir, f))
      const again = await callStudio(studio, 'rounds.start')
      await until('the second round', () => events.some((e) => e.type === 'round.status' && e.round.id === again.id && e.round.status !== 'running'))
      const second = (await callStudio(studio, 'rounds.list')).find((r) => r.id === again.id)
      expect(second).toMatchObject({ status: 'failed', error: expect.stringMatching(/view 1's embeddings are missing .*run the teacher again/) })

      // a bad value is refused with the field's name, and nothing is saved
      const bad = await studio.handle('settings.set', { views: 99 })
      expect(bad.ok).toBe(false)
      expect(JSON.stringify(bad)).toMatch(/views/)
      expect((await callStudio(studio, 'settings.get')).views).toBe(2)
    } finally {
      await studio.close()
      if (savedDataDir === undefined) delete process.env.STUDIO_DATA_DIR
      else process.env.STUDIO_DATA_DIR = savedDataDir
    }
  }, 180_000)
})
