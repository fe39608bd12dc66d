/**
 * What keeps the store's answers right while they stop growing with the folder: counts kept by
 * triggers agree with a recount after every kind of write, every way of serving a page (an index
 * scan, a scan from the far end, an id list) gives the same ids, and a truncated database is
 * refused without reading it in full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync, truncateSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync } from '@photostructure/sqlite'
import { tempDir } from '../library/fixtures'
import { Project } from '../../main/engine/project/project'
import type { FileRecord, PageQuery } from '../../main/engine/store'

const N = 3000

function record(i: number, content = `image ${i}`, error: string | null = null): FileRecord {
  const hash = createHash('sha256').update(content).digest('hex')
  return { path: `d${i % 7}/img${String(i).padStart(5, '0')}.jpg`, size: 100 + i, mtimeMs: 1, content: { hash, bytes: 100 + i, width: 8, height: 8, format: 'jpeg', error } }
}

/** The panels' counts recounted from the images themselves. */
function recount(p: Project) {
  const rows = p.store.db.prepare('SELECT COALESCE(class_id, 0) AS c, status, count(*) AS n, sum(file_count) AS files, sum(file_count > 1) AS dup FROM images WHERE avail = 1 GROUP BY 1, 2').all() as { c: number; status: string; n: number; files: number; dup: number }[]
  return { images: rows.reduce((a, r) => a + r.n, 0), files: rows.reduce((a, r) => a + r.files, 0), dup: rows.reduce((a, r) => a + r.dup, 0), byKey: Object.fromEntries(rows.map((r) => [`${r.c} ${r.status}`, r.n])) }
}

function expectCountsRight(p: Project): void {
  const c = p.store.queries.counts()
  const r = recount(p)
  expect({ images: c.images, files: c.files, dup: c.duplicateGroups }).toEqual({ images: r.images, files: r.files, dup: r.dup })
  const byKey: Record<string, number> = {}
  for (const k of c.byClass) for (const [status, n] of Object.entries(k.byStatus)) if (n > 0) byKey[`${k.classId} ${status}`] = n
  const unclassed = Object.entries(r.byKey).filter(([k]) => k.startsWith('0 '))
  expect(byKey).toEqual(Object.fromEntries(Object.entries(r.byKey).filter(([k]) => !k.startsWith('0 '))))
  for (const [k, n] of unclassed) expect(c.byStatus[k.slice(2) as keyof typeof c.byStatus]).toBeGreaterThanOrEqual(n)
}

describe('the store at scale', () => {
  let root: string
  let p: Project
  let classes: number[]

  beforeAll(async () => {
    root = tempDir()
    mkdirSync(path.join(root, 'images'))
    p = await Project.open(path.join(root, 'images'), { dataDir: path.join(root, 'data') })
    p.store.images.applyScan(Array.from({ length: N }, (_, i) => record(i)), [])
    classes = ['a', 'b', 'c'].map((name) => p.store.classes.ensure(name))
  })
  afterAll(async () => {
    await p.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('reads every image a keyset chunk at a time, in the same order as all at once', () => {
    const chunks: number[][] = []
    let after: { path: string; id: number } | null = null
    for (;;) {
      const rows = p.store.queries.pathsAfter(after, 700)
      if (rows.length === 0) break
      chunks.push(rows.map((r) => r.id))
      after = rows.at(-1)!
    }
    expect(chunks.length).toBe(Math.ceil(p.store.queries.allImages().length / 700))
    expect(chunks.flat()).toEqual(p.store.queries.allImages().map((r) => r.id))
  })

  it('counts kept by triggers agree with a recount after scans, labels, reviews, undo, unreadable marks, duplicates and removals', () => {
    expectCountsRight(p)
    const ids = p.store.queries.pageIds({}).ids
    p.store.labels.set(ids.slice(0, 30), classes[0]!, 'me')
    const round = p.store.rounds.start()
    p.store.labels.propose(round, ids.slice(30, 1500).map((imageId, k) => ({ imageId, classId: classes[k % 3]!, confidence: (k % 100) / 100 })))
    expectCountsRight(p)
    p.store.labels.review(ids.slice(30, 200), 'accept', 'me')
    p.store.labels.review(ids.slice(200, 260), 'reject', 'me')
    p.store.labels.relabel(ids.slice(260, 270), classes[2]!, 'me')
    expectCountsRight(p)
    p.store.labels.undo('me')
    expectCountsRight(p)
    p.store.images.markUnreadable(ids[5]!, 'damaged image data')
    // A duplicate file of an image, a file that now holds other content, a removed file.
    p.store.images.applyScan([{ ...record(7), path: 'copies/img7.jpg' }, record(8, 'new content of 8'), record(N + 1, 'bad', 'truncated file')], [record(9).path])
    expectCountsRight(p)
    expect(p.store.queries.counts().duplicateGroups).toBe(1)
  })

  it('known files come a page at a time, in path order, whole folders and single files included, and a write between pages is seen', () => {
    const byPath = (where = '') => (p.store.db.prepare(`SELECT path FROM files ${where} ORDER BY path`).all() as { path: string }[]).map((r) => r.path)
    const pages = [...p.store.images.knownFilePages([''], 500)]
    expect(pages.length).toBe(Math.ceil(byPath().length / 500))
    expect(pages.every((page) => page.length <= 500)).toBe(true)
    expect(pages.flat().map((k) => k.path)).toEqual(byPath())
    expect([...p.store.images.knownFiles().keys()].sort()).toEqual(byPath())
    // A folder and one file of another folder; 'd3' must not take in a folder 'd30'.
    p.store.images.applyScan([{ ...record(N + 9), path: 'd30/x.jpg' }], [])
    const sub = [...p.store.images.knownFilePages(['d3', 'd5/img00005.jpg'], 64)].flat()
    expect(sub.map((k) => k.path)).toEqual(byPath("WHERE path LIKE 'd3/%' OR path = 'd5/img00005.jpg'"))
    expect(sub[0]).toMatchObject({ size: 103, mtimeMs: 1 })
    expect(sub.every((k) => k.imageId !== null)).toBe(true)
    // No statement stays open between pages: a write in between neither fails nor is skipped.
    const seen: string[] = []
    for (const page of p.store.images.knownFilePages(['d4'], 100)) {
      seen.push(...page.map((k) => k.path))
      if (seen.length === 100) p.store.images.applyScan([{ ...record(N + 10), path: 'd4/zzz.jpg' }], [])
    }
    expect(seen).toEqual(byPath("WHERE path LIKE 'd4/%'"))
    expect(seen.at(-1)).toBe('d4/zzz.jpg')
    p.store.images.applyScan([], ['d30/x.jpg', 'd4/zzz.jpg'])
  })

  it('a long writer leaves checkpoints to a worker thread, and the WAL starts over instead of growing', async () => {
    const pragma = (sql: string) => p.store.db.prepare(sql).get() as Record<string, number>
    const commits = async (from: number, pacing?: { busy: boolean; committed(): void }) => {
      for (let b = 0; b < 60; b++) {
        while (pacing?.busy) await new Promise((resolve) => setTimeout(resolve, 2))
        p.store.images.applyScan(Array.from({ length: 50 }, (_, i) => record(from + b * 50 + i)), [])
        pacing?.committed()
      }
    }
    // Control: the same commits with no checkpoint at all leave every frame in the WAL.
    pragma('PRAGMA wal_checkpoint(TRUNCATE)')
    pragma('PRAGMA wal_autocheckpoint = 0')
    await commits(100_000)
    const unchecked = pragma('PRAGMA wal_checkpoint(PASSIVE)').log as number
    pragma('PRAGMA wal_checkpoint(TRUNCATE)')
    pragma('PRAGMA wal_autocheckpoint = 1000')
    let during = -1
    await p.store.withBackgroundCheckpoints(async (pacing) => {
      during = pragma('PRAGMA wal_autocheckpoint').wal_autocheckpoint as number
      await commits(200_000, pacing)
    }, 10)
    expect(during).toBe(0) // the commits themselves never checkpoint
    expect(pragma('PRAGMA wal_autocheckpoint').wal_autocheckpoint).toBe(1000)
    const left = pragma('PRAGMA wal_checkpoint(PASSIVE)').log as number
    expect(unchecked).toBeGreaterThan(0)
    expect(left).toBeLessThan(unchecked / 2)
    expect(p.store.images.byPath(record(200_000 + 60 * 50 - 1).path)).not.toBeNull()
    // Statistics refreshed from the worker's connection.
    p.store.db.exec('DELETE FROM sqlite_stat1')
    p.store.db.exec('ANALYZE sqlite_schema')
    await p.store.withBackgroundCheckpoints((pacing) => pacing.analyze())
    const rows = (p.store.db.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'images_name'").get() as { stat: string } | undefined)?.stat
    expect(Number(rows?.split(' ')[0])).toBeGreaterThan(N)
    p.store.images.applyScan([], [...Array.from({ length: 3000 }, (_, i) => record(100_000 + i).path), ...Array.from({ length: 3000 }, (_, i) => record(200_000 + i).path)])
  })

  it('pages from the index, from its far end and from an id list give the ids of the whole filter, in order', () => {
    const filters: PageQuery[] = [{}, { status: 'proposed' }, { classId: classes[1]! }, { status: 'proposed', classId: classes[2]! }, { minConfidence: 0.2, maxConfidence: 0.6 }]
    for (const f of filters)
      for (const sort of ['name', 'confidence', 'uncertainty', 'changed'] as const)
        for (const descending of [false, true]) {
          const q = { ...f, sort, descending }
          const all = p.store.queries.pageIds(q).ids
          // The order itself, from SQL, not from the store's own code.
          const where = p.store.queries.pageIds({ ...q, limit: 1 }).total
          expect(all.length).toBe(where)
          for (const offset of [0, 1, Math.floor(all.length / 2) - 3, Math.floor(all.length / 2) + 1, all.length - 7, all.length - 1]) {
            if (offset < 0) continue
            expect(p.store.queries.pageIds({ ...q, offset, limit: 10 }).ids).toEqual(all.slice(offset, offset + 10))
            expect(p.store.queries.page({ ...q, offset, limit: 10 }).items.map((i) => i.id)).toEqual(all.slice(offset, offset + 10))
          }
        }
    const byName = p.store.db.prepare('SELECT id FROM images WHERE avail = 1 ORDER BY path DESC, id DESC').all() as { id: number }[]
    expect(p.store.queries.pageIds({ descending: true }).ids).toEqual(byName.map((r) => r.id))
  })

  it('the list of every image by name survives label changes and follows a scan', () => {
    const before = p.store.queries.pageIds({ offset: N - 20, limit: 10 }).ids
    p.store.labels.set(before.slice(0, 2), classes[1]!, 'me')
    expect(p.store.queries.pageIds({ offset: N - 20, limit: 10 }).ids).toEqual(before)
    // A new file whose name sorts first shifts every page.
    p.store.images.applyScan([{ ...record(N + 5, 'first by name'), path: 'a-first.jpg' }], [])
    const after = p.store.queries.pageIds({ offset: 0, limit: 1 }).ids
    expect(p.store.images.get(after[0]!)?.path).toBe('a-first.jpg')
    expect(p.store.queries.allImages().map((r) => r.id)).toEqual(p.store.queries.pageIds({}).ids)
  })
})

describe('opening a large database', () => {
  it('a truncated copy is refused by its size against its page count (the check a large database always gets)', async () => {
    const root = tempDir()
    try {
      mkdirSync(path.join(root, 'images'))
      const dataDir = path.join(root, 'data')
      const p = await Project.open(path.join(root, 'images'), { dataDir })
      p.store.images.applyScan(Array.from({ length: 200 }, (_, i) => record(i)), [])
      await p.close()
      const dbPath = path.join(dataDir, 'project.db')
      const { FULL_CHECK_MAX_BYTES, openDatabase } = await import('../../main/engine/store/db')
      expect(FULL_CHECK_MAX_BYTES).toBeGreaterThan(0)
      // A truncated copy: its header counts pages that are not there.
      const db = new DatabaseSync(dbPath)
      const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count
      db.close()
      truncateSync(dbPath, (pages - 2) * 4096)
      expect(() => openDatabase(dbPath)).toThrow(/shorter than its \d+ pages/)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
