import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, renameSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { makeFixture, noise, tempDir, type Fixture } from './fixtures'
import { Project } from '../../main/engine/project/project'
import { ThumbnailDecodeError } from '../../main/engine/library/thumbs'
import { SCAN_BATCH } from '../../main/engine/library/indexer'

describe('indexing a folder of real files', () => {
  let fx: Fixture
  let project: Project

  beforeAll(async () => {
    fx = await makeFixture()
    project = await Project.open(fx.root)
    await project.index()
  })
  afterAll(async () => {
    await project.close()
    rmSync(fx.root, { recursive: true, force: true })
  })

  it('indexes every good image with its upright size and format, and nothing hidden', () => {
    const page = project.store.queries.page({ limit: 1000 })
    const got = Object.fromEntries(page.items.map((i) => [i.path, { width: i.width, height: i.height, format: i.format }]))
    expect(got).toEqual(fx.good)
    expect(page.total).toBe(Object.keys(fx.good).length)
    expect(project.store.images.byPath('.hidden/secret.png')).toBeNull()
    expect(project.store.images.byPath('.pseudolabel/thumbs/x.png')).toBeNull()
  })

  it('records each bad file with a reason and keeps going', () => {
    const bad = project.store.images.unreadableFiles(0, 100).items
    expect(bad.map((b) => b.path).sort()).toEqual([...fx.bad].sort())
    const reason = (p: string) => bad.find((b) => b.path === p)?.reason ?? ''
    expect(reason('bad/empty.jpg')).toMatch(/empty/)
    expect(reason('bad/text.jpg')).toMatch(/not an image/)
    expect(reason('bad/truncated.jpg')).toMatch(/truncated/)
    expect(reason('bad/truncated.png')).toMatch(/truncated/)
    expect(reason('bad/bomb.png')).toMatch(/pixel limit/)
    expect(reason('loop/up/')).toMatch(/loop/)
    expect(reason('bad/self.jpg')).toMatch(/loop/)
    expect(project.store.queries.counts().unreadableFiles).toBe(fx.bad.length)
    expect(project.store.queries.page({ status: 'unreadable' }).total).toBe(5) // the five with content
  })

  it('makes WebP thumbnails, longest side at most 256, upright, for every kind of image', async () => {
    for (const img of project.store.queries.page({ limit: 100 }).items) {
      const buf = await project.thumbnail(img.id)
      const meta = await sharp(buf).metadata()
      expect(meta.format).toBe('webp')
      expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(256)
      expect(meta.space).toBe('srgb')
      if (img.path === 'kinds/rotated.jpg') expect([meta.width, meta.height]).toEqual([20, 60])
      if (img.path === 'kinds/big.jpg') expect([meta.width, meta.height]).toEqual([256, 171])
    }
  })

  it('a second index reads nothing that did not change', async () => {
    const r = await project.index()
    // Only the files that could not be read at all (no content) are retried.
    expect(r.identified).toBe(0)
    expect(r.unchanged).toBe(Object.keys(fx.good).length + 5)
    expect(r.removed).toBe(0)
  })
})

describe('identity is the content', () => {
  it('moves, renames and copies keep labels; duplicates are grouped; a changed file is re-read', async () => {
    const root = tempDir()
    mkdirSync(path.join(root, 'a'))
    await noise(32, 32, 1).png().toFile(path.join(root, 'a/one.png'))
    await noise(32, 32, 2).png().toFile(path.join(root, 'a/two.png'))
    const p = await Project.open(root)
    try {
      await p.index()
      const one = p.store.images.byPath('a/one.png')!
      const cat = p.store.classes.ensure('cat')
      p.store.labels.set([one.id], cat)

      mkdirSync(path.join(root, 'b'))
      renameSync(path.join(root, 'a/one.png'), path.join(root, 'b/renamed.png'))
      copyFileSync(path.join(root, 'b/renamed.png'), path.join(root, 'a/copy.png'))
      const r = await p.index()
      expect(r.removed).toBe(1)
      const moved = p.store.images.byPath('b/renamed.png')!
      expect(moved.id).toBe(one.id)
      expect(moved.classId).toBe(cat)
      expect(moved.status).toBe('human')
      expect(moved.fileCount).toBe(2)
      expect(p.store.images.filesOf(one.id)).toEqual(['a/copy.png', 'b/renamed.png'])
      expect(p.store.queries.counts().duplicateGroups).toBe(1)
      expect(p.store.queries.page().total).toBe(2) // duplicates are one image in the grid

      // Touching a file without changing it re-reads it but keeps its identity.
      const later = new Date(Date.now() + 5000)
      utimesSync(path.join(root, 'a/two.png'), later, later)
      const two = p.store.images.byPath('a/two.png')!
      expect((await p.index()).identified).toBe(1)
      expect(p.store.images.byPath('a/two.png')!.id).toBe(two.id)

      // Changing its content makes it a different image.
      await noise(32, 32, 3).png().toFile(path.join(root, 'a/two.png'))
      await p.index()
      expect(p.store.images.byPath('a/two.png')!.id).not.toBe(two.id)

      // Deleting every copy hides the image but keeps its label; bringing it back restores it.
      rmSync(path.join(root, 'a/copy.png'))
      renameSync(path.join(root, 'b/renamed.png'), path.join(root, 'gone.bak'))
      await p.index()
      expect(p.store.images.get(one.id)!.path).toBeNull()
      expect(p.store.queries.page({ classId: cat }).total).toBe(0)
      renameSync(path.join(root, 'gone.bak'), path.join(root, 'back.png'))
      await p.index()
      expect(p.store.images.get(one.id)!.path).toBe('back.png')
      expect(p.store.queries.page({ classId: cat }).items.map((i) => i.id)).toEqual([one.id])
    } finally {
      await p.close()
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('an image that fails to decode at thumbnail time is recorded as unreadable', async () => {
    const root = tempDir()
    // A JPEG cut in the middle of its scan data but given an end marker: the header and the
    // structural check pass, so only a full decode finds the problem.
    const jpg = await noise(300, 300, 5).jpeg().toBuffer()
    writeFileSync(path.join(root, 'cut.jpg'), Buffer.concat([jpg.subarray(0, jpg.length >> 1), Buffer.from([0xff, 0xd9])]))
    const p = await Project.open(root)
    try {
      await p.index()
      const img = p.store.images.byPath('cut.jpg')!
      expect(img.error).toBeNull()
      expect(p.store.queries.page().total).toBe(1)
      await expect(p.thumbnail(img.id)).rejects.toBeInstanceOf(ThumbnailDecodeError)
      expect(p.store.images.get(img.id)!.error).toMatch(/cannot be decoded/)
      expect(p.store.images.unreadableFiles().items.map((f) => f.path)).toEqual(['cut.jpg'])
      expect(p.store.queries.page().total).toBe(0)
    } finally {
      await p.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('watching the folder', () => {
  it('adds and removes images, new nested folders and removed folders included, while the project is open', async () => {
    const root = tempDir()
    await noise(16, 16, 1).png().toFile(path.join(root, 'first.png'))
    const p = await Project.open(root)
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50))
      return cond()
    }
    const paths = () => p.store.queries.page().items.map((i) => i.path)
    try {
      await p.index()
      const errors: unknown[] = []
      p.watch((e) => e.error && errors.push(e.error), { debounceMs: 50 })
      mkdirSync(path.join(root, 'sub/deeper.2024'), { recursive: true })
      await noise(16, 16, 2).png().toFile(path.join(root, 'sub/second.png'))
      await noise(16, 16, 3).png().toFile(path.join(root, 'sub/deeper.2024/third.png'))
      expect(await waitFor(() => paths().length === 3)).toBe(true)
      // A file added later inside the new folder: its own watcher reports it.
      await noise(16, 16, 4).png().toFile(path.join(root, 'sub/deeper.2024/fourth.png'))
      expect(await waitFor(() => paths().length === 4)).toBe(true)
      // Renaming a folder: its images move, and later files in it are reported under the new name.
      renameSync(path.join(root, 'sub'), path.join(root, 'moved'))
      expect(await waitFor(() => paths().every((x) => !x?.startsWith('sub/')) && paths().length === 4)).toBe(true)
      await noise(16, 16, 7).png().toFile(path.join(root, 'moved/deeper.2024/fifth.png'))
      expect(await waitFor(() => paths().includes('moved/deeper.2024/fifth.png'))).toBe(true)
      expect(paths().filter((x) => x?.startsWith('sub/'))).toEqual([])
      rmSync(path.join(root, 'first.png'))
      rmSync(path.join(root, 'moved'), { recursive: true })
      expect(await waitFor(() => paths().length === 0)).toBe(true)
      await noise(16, 16, 5).png().toFile(path.join(root, 'last.png'))
      expect(await waitFor(() => paths().length === 1)).toBe(true)
      expect(paths()).toEqual(['last.png'])
      expect(errors).toEqual([])
      p.unwatch()
      await noise(16, 16, 6).png().toFile(path.join(root, 'unwatched.png'))
      await new Promise((r) => setTimeout(r, 300))
      expect(paths()).toEqual(['last.png'])
    } finally {
      await p.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('a large scan', () => {
  it('commits in bounded transactions, a removed folder included', async () => {
    const root = tempDir()
    for (const d of ['a', 'b']) {
      mkdirSync(path.join(root, d))
      for (let i = 0; i < 150; i++) writeFileSync(path.join(root, d, `f${i}.jpg`), `not an image ${d}${i}`)
    }
    const p = await Project.open(root)
    try {
      const calls: number[] = []
      const apply = p.store.images.applyScan.bind(p.store.images)
      p.store.images.applyScan = (records, removed) => {
        calls.push(records.length + removed.length)
        apply(records, removed)
      }
      const first = await p.index()
      expect(first).toMatchObject({ seen: 300, identified: 300, unreadable: 300 })
      rmSync(path.join(root, 'b'), { recursive: true })
      const again = await p.index()
      expect(again).toMatchObject({ seen: 150, identified: 0, unchanged: 150, removed: 150 })
      expect(calls.reduce((a, b) => a + b, 0)).toBe(300 + 150)
      expect(Math.max(...calls)).toBeLessThanOrEqual(SCAN_BATCH)
      expect(p.store.images.knownFiles().size).toBe(150)
      expect(p.store.images.byPath('b/f0.jpg')).toBeNull()
    } finally {
      await p.close()
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a long index checkpoints and analyzes from a worker thread and lets the event loop run throughout', async () => {
    const root = tempDir()
    for (let d = 0; d < 6; d++) {
      mkdirSync(path.join(root, `d${d}`))
      for (let i = 0; i < 1000; i++) writeFileSync(path.join(root, `d${d}`, `f${i}.png`), `not an image ${d} ${i}`)
    }
    const p = await Project.open(root)
    try {
      let pacingSeen = 0
      const background = p.store.withBackgroundCheckpoints.bind(p.store)
      p.store.withBackgroundCheckpoints = (fn) => background((pacing) => (pacingSeen++, fn(pacing)))
      let turns = 0
      let running = true
      const spin = () => {
        turns++
        if (running) setImmediate(spin)
      }
      spin()
      const r = await p.index()
      running = false
      expect(r).toMatchObject({ seen: 6000, identified: 6000, unreadable: 6000 })
      expect(pacingSeen).toBe(1)
      expect(turns).toBeGreaterThan(60) // the event loop ran all along, not once per phase
      expect(p.store.images.knownFiles().size).toBe(6000)
      expect(p.store.images.unreadableFiles(0, 1).total).toBe(6000)
      expect(p.store.images.byPath('d5/f999.png')?.error).toMatch(/not an image/)
      // Statistics were refreshed (by the worker's connection) and the commits checkpoint again.
      const stat = p.store.db.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'images_name'").get() as { stat: string } | undefined
      expect(Number(stat?.stat.split(' ')[0])).toBe(6000)
      expect((p.store.db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(1000)
    } finally {
      await p.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})
