/**
 * The demo project as shipped: 300 original Fashion-MNIST files, 30 per class, whose names do not
 * give the class away, with the licence beside them; opened through the studio its data goes to
 * the app's data folder (never into the repository), and it joins the recent projects.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ProjectSummary, RecentProject } from '../../preload/contract'
import { StudioApi } from '../../main/app/studio'
import { DEMO_FOLDER } from '../../main/engine/project/locations'
import { ROOT, dataset } from '../shared'

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

describe('demo project', () => {
  it('holds 300 original files, 30 per class, the true classes kept outside the project folder', async () => {
    expect(DEMO_FOLDER).toBe(path.join(ROOT, 'demo/fashion-mnist'))
    const files = (await readdir(DEMO_FOLDER)).filter((f) => f.endsWith('.png')).sort()
    expect(files).toHaveLength(300)
    expect(files.every((f) => /^train_\d{5}\.png$/.test(f))).toBe(true)
    expect(await readFile(path.join(DEMO_FOLDER, 'LICENSE'), 'utf8')).toMatch(/MIT License[\s\S]*Zalando SE/)
    const answers = (await readFile(path.join(ROOT, 'demo/fashion-mnist-answers.csv'), 'utf8')).trim().split('\n').slice(1)
    const byClass = new Map<string, number>()
    for (const line of answers) {
      const [file, cls] = line.split(',') as [string, string]
      byClass.set(cls, (byClass.get(cls) ?? 0) + 1)
      expect(files).toContain(file)
      // Byte for byte the shared dataset's file of that class (where the workplace has it).
      const original = path.join(dataset('fashion-mnist-small'), 'pool', cls, file)
      if (existsSync(original)) expect(await readFile(path.join(DEMO_FOLDER, file))).toEqual(await readFile(original))
    }
    expect(answers).toHaveLength(300)
    expect([...byClass.values()]).toEqual(new Array(10).fill(30))
    let bytes = 0
    for (const f of files) bytes += (await stat(path.join(DEMO_FOLDER, f))).size
    expect(bytes).toBeLessThan(1_000_000)
  })

  it('opens with its data in the app data folder, and is listed first among recent projects', async () => {
    const appData = await mkdtemp(path.join(os.tmpdir(), 'studio-demo-'))
    cleanup.push(() => rm(appData, { recursive: true, force: true }))
    const saved = process.env.STUDIO_DATA_DIR
    delete process.env.STUDIO_DATA_DIR
    cleanup.push(async () => {
      if (saved !== undefined) process.env.STUDIO_DATA_DIR = saved
    })
    const studio = new StudioApi({ host: 'web', appDataDir: appData })
    cleanup.push(() => studio.close())
    const opened = await studio.handle('project.openDemo', {})
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    const summary = opened.value as ProjectSummary
    expect(summary.imageCount).toBe(300)
    expect(summary.dataDir.startsWith(appData + path.sep)).toBe(true)
    expect(existsSync(path.join(DEMO_FOLDER, '.pseudolabel'))).toBe(false)

    const recent = await studio.handle('projects.recent', {})
    expect(recent.ok && (recent.value as RecentProject[])[0]).toMatchObject({ folder: DEMO_FOLDER, demo: true, exists: true, name: 'Demo: Fashion-MNIST' })
    const forgotten = await studio.handle('projects.forget', { folder: DEMO_FOLDER })
    expect(forgotten.ok && forgotten.value).toEqual([])
  })
})
