import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DatabaseSync } from '@photostructure/sqlite'
import { noise, tempDir } from '../library/fixtures'
import { Project } from '../../main/engine/project/project'
import { SCHEMA_VERSION, StoreError, type PageQuery } from '../../main/engine/store'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '../..')

async function folderWith(n: number): Promise<string> {
  const root = tempDir()
  for (let i = 0; i < n; i++) await noise(16, 16, 100 + i).png().toFile(path.join(root, `img${String(i).padStart(2, '0')}.png`))
  return root
}

function child(args: string[]): ChildProcess {
  // `node --import tsx` keeps it one process, so SIGKILL hits the writer itself.
  return spawn(process.execPath, ['--import', 'tsx', path.join(here, 'child.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
}

function lines(proc: ChildProcess, onLine: (line: string) => void): void {
  let buf = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  })
}

async function openError(folder: string): Promise<StoreError> {
  try {
    const p = await Project.open(folder)
    await p.close()
  } catch (err) {
    if (err instanceof StoreError) return err
    throw err
  }
  throw new Error('expected Project.open to fail')
}

describe('labels are events; the current label is derived', () => {
  let root: string
  let p: Project
  let ids: number[]
  let cat: number
  let dog: number

  beforeAll(async () => {
    root = await folderWith(6)
    p = await Project.open(root)
    await p.index()
    ids = p.store.queries.page().items.map((i) => i.id)
    cat = p.store.classes.ensure('cat')
    dog = p.store.classes.ensure('dog')
  })
  afterAll(async () => {
    await p.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('seed labels, proposals, review and relabelling give the right status, counts and pages', () => {
    const [a, b, c, d, e] = ids as [number, number, number, number, number, number]
    // Scans commit without fsync; label changes must be back on FULL (2) after one.
    expect(p.store.db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 })
    p.store.labels.set([a], cat)
    const round = p.store.rounds.start({ threshold: 0.5 })
    p.store.labels.propose(round, [
      { imageId: b, classId: cat, confidence: 0.9 },
      { imageId: c, classId: dog, confidence: 0.6 },
      { imageId: d, classId: dog, confidence: 0.3 },
      { imageId: e, classId: cat, confidence: 0.75 },
    ])
    p.store.labels.review([b], 'accept')
    p.store.labels.review([c], 'reject')
    p.store.labels.relabel([d], cat)
    expect(p.store.images.get(a)!.status).toBe('human')
    expect(p.store.images.get(b)).toMatchObject({ status: 'accepted', classId: cat, roundId: round, confidence: 0.9 })
    expect(p.store.images.get(c)).toMatchObject({ status: 'rejected', classId: dog })
    expect(p.store.images.get(d)).toMatchObject({ status: 'human', classId: cat })
    expect(p.store.images.get(e)).toMatchObject({ status: 'proposed', classId: cat })

    const counts = p.store.queries.counts()
    expect(counts.byStatus).toEqual({ unlabelled: 1, human: 2, proposed: 1, accepted: 1, rejected: 1 })
    expect(counts.byClass.find((x) => x.name === 'cat')!.byStatus).toMatchObject({ human: 2, accepted: 1, proposed: 1 })

    const idsOf = (q: PageQuery) => p.store.queries.page(q).items.map((i) => i.id)
    expect(idsOf({ status: 'unlabelled' })).toEqual([ids[5]])
    expect(idsOf({ status: 'human' })).toEqual([a, d])
    expect(idsOf({ status: 'rejected' })).toEqual([c])
    expect(idsOf({ classId: dog })).toEqual([]) // rejected as dog is not dog
    // Descending confidence; labels without one (a person's) come last.
    expect(idsOf({ classId: cat, sort: 'confidence', descending: true })).toEqual([b, e, d, a])
    expect(idsOf({ minConfidence: 0.7 })).toEqual([b, e])
    expect(idsOf({ status: 'proposed', sort: 'uncertainty', descending: true })).toEqual([e])
    expect(idsOf({ sort: 'changed', descending: true })[0]).toBe(d)
    expect(p.store.queries.page({ limit: 2, offset: 2 }).items.map((i) => i.id)).toEqual(ids.slice(2, 4))
    expect(p.store.queries.page({ limit: 2 }).total).toBe(6)
  })

  it('pages that no index orders (a confidence range by name) are right and follow later writes', () => {
    const byName = (q: PageQuery) => p.store.queries.page({ ...q, sort: 'name', limit: 2 })
    const expected = () =>
      ids.filter((id) => (p.store.images.get(id)!.confidence ?? -1) >= 0.5).sort((x, y) => (p.store.images.get(x)!.path! < p.store.images.get(y)!.path! ? -1 : 1))
    const first = expected()
    expect(first.length).toBeGreaterThanOrEqual(2)
    const page0 = byName({ minConfidence: 0.5 })
    expect(page0.total).toBe(first.length)
    expect([...page0.items, ...p.store.queries.page({ minConfidence: 0.5, sort: 'name', limit: 2, offset: 2 }).items].map((i) => i.id)).toEqual(first)
    const round = p.store.rounds.start()
    p.store.labels.propose(round, [{ imageId: ids[5] as number, classId: cat, confidence: 0.99 }])
    expect(p.store.queries.page({ minConfidence: 0.5, sort: 'name', limit: 10 }).items.map((i) => i.id)).toEqual(expected())
    expect(p.store.queries.page({ minConfidence: 0.5, sort: 'name', limit: 10 }).total).toBe(first.length + 1)
    p.store.labels.set([ids[5] as number], null)
  })

  it('a round can be withdrawn as a whole; decisions people made on it stay', () => {
    const [a, b] = ids as [number, number]
    const before = p.store.images.get(a)!
    const round = p.store.rounds.start()
    p.store.labels.propose(round, [
      { imageId: a, classId: dog, confidence: 0.8 },
      { imageId: b, classId: dog, confidence: 0.8 },
    ])
    p.store.labels.review([b], 'accept')
    expect(p.store.images.get(a)!.status).toBe('proposed')
    expect(p.store.labels.retractRound(round).sort()).toEqual([a, b].sort())
    expect(p.store.images.get(a)).toMatchObject({ status: before.status, classId: before.classId })
    expect(p.store.images.get(b)).toMatchObject({ status: 'accepted', classId: dog })
    p.store.labels.undo() // the accept
    expect(p.store.images.get(b)!.roundId).not.toBe(round)
  })

  it('undo and redo walk whole actions; a new action clears redo; history keeps everything', () => {
    const x = ids[5] as number
    const first = p.store.labels.set([x], cat)
    const second = p.store.labels.set([x], dog)
    expect(p.store.images.get(x)!.classId).toBe(dog)
    expect(p.store.labels.undo()!.actionId).toBe(second)
    expect(p.store.images.get(x)!.classId).toBe(cat)
    expect(p.store.labels.undo()!.actionId).toBe(first)
    expect(p.store.images.get(x)!.status).toBe('unlabelled')
    expect(p.store.labels.redo()!.actionId).toBe(first)
    expect(p.store.images.get(x)!.classId).toBe(cat)
    p.store.labels.set([x], null) // a new action: the undone "dog" can no longer be redone
    expect(p.store.images.get(x)!.status).toBe('unlabelled')
    expect(p.store.labels.redo()).toBeNull()
    const h = p.store.labels.history(x)
    expect(h.slice(-3).map((e) => [e.classId, e.undone])).toEqual([
      [cat, false],
      [dog, true],
      [null, false],
    ])
    // Undo skips a round's proposals (they are not a person's action) and reaches the label before.
    expect(p.store.labels.undo()!.imageIds).toEqual([x])
    expect(p.store.images.get(x)!.classId).toBe(cat)

    // An action undone before a newer one was made never comes back through redo.
    const y = ids[4] as number
    const a = p.store.labels.set([y], dog)
    expect(p.store.labels.undo()!.actionId).toBe(a)
    const b = p.store.labels.set([y], cat)
    expect(p.store.labels.undo()!.actionId).toBe(b)
    expect(p.store.labels.redo()!.actionId).toBe(b)
    expect(p.store.labels.redo()).toBeNull()
    expect(p.store.images.get(y)!.classId).toBe(cat)
  })
})

describe('durability', () => {
  it('every acknowledged label survives SIGKILL; the database checks out', async () => {
    const root = await folderWith(8)
    try {
      let p = await Project.open(root)
      await p.index()
      const ids = p.store.queries.page().items.map((i) => i.id)
      await p.close()

      const acked: { n: number; id: number }[] = []
      const proc = child(['write', root, ...ids.map(String)])
      const killed = new Promise<void>((resolve) => proc.on('exit', () => resolve()))
      lines(proc, (line) => {
        const m = /^ack (\d+) (\d+)$/.exec(line)
        if (!m) return
        acked.push({ n: Number(m[1]), id: Number(m[2]) })
        if (acked.length === 150) proc.kill('SIGKILL')
      })
      await killed
      expect(acked.length).toBeGreaterThanOrEqual(150)

      p = await Project.open(root) // the lock died with the process
      try {
        const db = p.store.db
        expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }])
        const actors = new Set((db.prepare("SELECT actor FROM label_events WHERE actor LIKE 'writer %'").all() as { actor: string }[]).map((r) => r.actor))
        for (const a of acked) expect(actors.has(`writer ${a.n}`)).toBe(true)
        // The materialised current label matches each image's latest event.
        for (const id of ids) {
          const h = p.store.labels.history(id)
          const last = h[h.length - 1]
          expect(p.store.images.get(id)!.classId).toBe(last ? last.classId : null)
        }
      } finally {
        await p.close()
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a second process is told the project is open elsewhere, and can open it once the first is gone', async () => {
    const root = await folderWith(1)
    try {
      const proc = child(['hold', root])
      const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()))
      await new Promise<void>((resolve) => lines(proc, (l) => l === 'open' && resolve()))
      const err = await openError(root)
      expect(err.code).toBe('open_elsewhere')
      expect(err.message).toMatch(new RegExp(`process ${proc.pid}`))
      proc.kill('SIGKILL')
      await exited
      const p = await Project.open(root)
      await p.close()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('unusable database files', () => {
  it('garbage, a foreign SQLite file, a damaged file and a newer schema each get their own code; starting afresh keeps the old file', async () => {
    const root = await folderWith(2)
    const dbPath = path.join(root, '.pseudolabel/project.db')
    try {
      mkdirSync(path.dirname(dbPath), { recursive: true })
      writeFileSync(dbPath, 'this is not a database, it is a text file that someone saved here\n'.repeat(20))
      expect((await openError(root)).code).toBe('not_a_database')
      const aside = Project.startAfresh(root)!
      expect(readFileSync(aside, 'utf8')).toMatch(/not a database/)
      expect(existsSync(dbPath)).toBe(false)

      const foreign = new DatabaseSync(dbPath)
      foreign.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)')
      foreign.close()
      expect((await openError(root)).code).toBe('foreign_database')
      Project.startAfresh(root)

      let p = await Project.open(root)
      await p.index()
      p.store.transaction(() => {
        for (let i = 0; i < 3000; i++) p.store.classes.ensure(`class number ${i} with a long name to fill pages`)
      })
      await p.close()
      const newer = new DatabaseSync(dbPath)
      newer.exec('PRAGMA user_version = 99')
      newer.close()
      expect((await openError(root)).code).toBe('newer_schema')
      const fix = new DatabaseSync(dbPath)
      fix.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
      fix.close()

      // Overwrite pages in the middle of the file.
      const size = statSync(dbPath).size
      const fd = openSync(dbPath, 'r+')
      writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096)
      closeSync(fd)
      const err = await openError(root)
      expect(err.code).toBe('corrupt_database')
      expect(err.dbPath).toBe(dbPath)
      const moved = Project.startAfresh(root)!
      expect(statSync(moved).size).toBe(size)
      p = await Project.open(root)
      expect((await p.index()).identified).toBe(2)
      await p.close()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('uses the app data folder when the image folder cannot hold .pseudolabel', async () => {
    const root = await folderWith(2)
    const appData = tempDir()
    try {
      // Root may write anywhere, so a read-only folder is simulated by a file where the folder goes.
      writeFileSync(path.join(root, '.pseudolabel'), 'in the way')
      const p = await Project.open(root, { appDataDir: appData })
      try {
        expect(p.usesFallbackDir).toBe(true)
        expect(p.dataDir.startsWith(appData)).toBe(true)
        await p.index()
        const img = p.store.queries.page().items[0]!
        await p.thumbnail(img.id)
        expect(existsSync(path.join(p.dataDir, 'project.db'))).toBe(true)
        expect(existsSync(p.thumbs.cachePath(img.hash))).toBe(true)
      } finally {
        await p.close()
      }
      await expect(Project.open(root)).rejects.toMatchObject({ code: 'no_writable_location' })
      // Once the folder is writable again, the labels stay where they are instead of forking.
      rmSync(path.join(root, '.pseudolabel'))
      const again = await Project.open(root, { appDataDir: appData })
      expect(again.usesFallbackDir).toBe(true)
      expect(again.store.queries.page().total).toBe(2)
      await again.close()
    } finally {
      rmSync(root, { recursive: true, force: true })
      rmSync(appData, { recursive: true, force: true })
    }
  })
})
