/**
 * Bulk label writes done in SQL (accept all above a threshold, a round's proposals) leave exactly
 * what the row-by-row path leaves: the same current labels, the same history, the same undo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '../library/fixtures'
import { Project } from '../../main/engine/project/project'
import type { FileRecord } from '../../main/engine/store'
import { BULK_REBUILD_MIN } from '../../main/engine/store/labels'
import { statusOf, type LabelSource, type LabelState } from '../../preload/vocabulary'

const N = 600

function record(i: number): FileRecord {
  const hash = createHash('sha256').update(`image ${i}`).digest('hex')
  return { path: `img${String(i).padStart(5, '0')}.jpg`, size: 100 + i, mtimeMs: 1, content: { hash, bytes: 100 + i, width: 8, height: 8, format: 'jpeg', error: null } }
}

/** A project with seed labels, two rounds' proposals (one image proposed twice), reviews, an undone action and another reviewer's leases. */
async function build(dir: string): Promise<{ p: Project; classes: number[] }> {
  mkdirSync(path.join(dir, 'images'), { recursive: true })
  const p = await Project.open(path.join(dir, 'images'), { dataDir: path.join(dir, 'data') })
  p.store.images.applyScan(Array.from({ length: N }, (_, i) => record(i)), [])
  const classes = ['a', 'b', 'c'].map((name) => p.store.classes.ensure(name))
  const ids = p.store.queries.pageIds({}).ids
  p.store.labels.set(ids.filter((_, i) => i % 10 === 0), classes[0]!, 'me')
  const r1 = p.store.rounds.start()
  // Confidences with ties (k % 37 / 37), so that the order of events among equals is compared too.
  p.store.labels.propose(r1, ids.filter((_, i) => i % 10 !== 0).map((imageId, k) => ({ imageId, classId: classes[k % 3]!, confidence: (k % 37) / 37 })))
  const r2 = p.store.rounds.start()
  p.store.labels.propose(r2, [ids[1]!, ids[2]!, ids[1]!].map((imageId, k) => ({ imageId, classId: classes[2]!, confidence: [0.9, 0.8, 0.7][k]!, uncertainty: 0.5 })))
  p.store.labels.review(ids.slice(20, 40), 'reject', 'me')
  p.store.labels.review(ids.slice(40, 50), 'accept', 'me')
  p.store.labels.relabel(ids.slice(50, 55), classes[1]!, 'me')
  p.store.labels.set([ids[60]!], null, 'me')
  p.store.labels.undo('me') // on the redo stack: a new action of theirs ends it
  p.store.leases.take('other', 15, null, Date.now(), 3_600_000)
  return { p, classes }
}

/** Everything a label write leaves, without timestamps (each path runs at its own moment). */
function snapshot(p: Project) {
  const images = p.store.db.prepare('SELECT id, status, class_id, confidence, uncertainty, round_id, label_event_id FROM images ORDER BY id').all()
  const events = p.store.db.prepare('SELECT e.id, e.action_id, e.image_id, e.class_id, e.source, e.round_id, e.confidence, e.uncertainty, e.state, e.actor, a.kind, a.undone FROM label_events e JOIN actions a ON a.id = e.action_id ORDER BY e.id').all()
  return { images, events, counts: p.store.queries.counts() }
}

/** Each image's current label recomputed in JavaScript from its events (what the row-by-row path wrote), against the images table. */
function expectCurrentFromHistory(p: Project): void {
  const latest = new Map<number, Record<string, unknown>>()
  for (const e of p.store.db.prepare('SELECT e.* FROM label_events e JOIN actions a ON a.id = e.action_id WHERE a.undone = 0 ORDER BY e.id').all() as Record<string, unknown>[]) latest.set(e.image_id as number, e)
  for (const img of p.store.db.prepare('SELECT * FROM images').all() as Record<string, unknown>[]) {
    const e = latest.get(img.id as number)
    const labelled = e !== undefined && e.class_id !== null
    const status = !labelled ? 'unlabelled' : statusOf({ classId: e.class_id as number, source: e.source as LabelSource, state: e.state as LabelState })
    expect({ id: img.id, status: img.status, class: img.class_id, confidence: img.confidence, uncertainty: img.uncertainty, round: img.round_id, event: img.label_event_id, at: img.changed_at }).toEqual({
      id: img.id,
      status,
      class: labelled ? e.class_id : null,
      confidence: labelled ? e.confidence : null,
      uncertainty: labelled ? e.uncertainty : null,
      round: labelled ? e.round_id : null,
      event: e?.id ?? null,
      at: e?.at ?? null,
    })
  }
}

describe('bulk label writes in SQL', () => {
  let root: string
  let rowByRow: Awaited<ReturnType<typeof build>>
  let inSql: Awaited<ReturnType<typeof build>>

  beforeAll(async () => {
    root = tempDir()
    rowByRow = await build(path.join(root, 'a'))
    inSql = await build(path.join(root, 'b'))
  })
  afterAll(async () => {
    await rowByRow.p.close()
    await inSql.p.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('a decision changes no schema (a temp table made and dropped each time expired every prepared statement)', async () => {
    const { p, classes } = await build(path.join(root, 'c'))
    const ids = p.store.queries.pageIds({}).ids.slice(70)
    const version = () => (p.store.db.prepare('PRAGMA temp.schema_version').get() as { schema_version: number }).schema_version
    p.store.labels.set([ids[0]!], classes[0]!, 'me')
    const before = version()
    p.store.labels.set([ids[1]!], classes[1]!, 'me')
    p.store.labels.undo('me')
    p.store.labels.undo('me')
    expect(version()).toBe(before)
    expectCurrentFromHistory(p)
    await p.close()
  })

  it('every image shows its latest live event (propose, review, relabel, clear, undo written in SQL)', () => {
    expectCurrentFromHistory(inSql.p)
    // The image proposed twice in one action keeps the later proposal.
    const second = inSql.p.store.queries.pageIds({}).ids[1]!
    expect(inSql.p.store.images.get(second)).toMatchObject({ status: 'proposed', confidence: 0.7, classId: inSql.classes[2] })
    // The cleared image whose clear was undone has its seed label back.
    expect(inSql.p.store.images.get(inSql.p.store.queries.pageIds({}).ids[60]!)).toMatchObject({ status: 'human', classId: inSql.classes[0] })
  })

  for (const classIndex of [null, 1] as const) {
    it(`accept all above a threshold${classIndex === null ? '' : ' of one class'}: the same labels, history and undo as reviewing the ids one by one`, () => {
      const threshold = 0.5
      const classId = classIndex === null ? null : rowByRow.classes[classIndex]!
      const held = (p: Project) => p.store.leases.heldByOthers('me', null, Date.now()).map((h) => h.imageId)
      expect(held(rowByRow.p).length).toBe(15)
      const theirs = new Set(held(rowByRow.p))
      const above = rowByRow.p.store.queries.pageIds({ status: 'proposed', minConfidence: threshold, sort: 'confidence', descending: true, ...(classId === null ? {} : { classId }) }).ids.filter((id) => !theirs.has(id))
      expect(above.length).toBeGreaterThan(50)
      rowByRow.p.store.labels.review(above, 'accept', 'me', `req ${classIndex}`)
      const result = inSql.p.store.labels.acceptAbove(threshold, classId, held(inSql.p), 'me', `req ${classIndex}`)
      expect(result?.imageIds.sort((a, b) => a - b)).toEqual([...above].sort((a, b) => a - b))
      expect(snapshot(inSql.p)).toEqual(snapshot(rowByRow.p))
      expectCurrentFromHistory(inSql.p)
      for (const id of theirs) expect(inSql.p.store.images.get(id)?.status).toBe('proposed')
      // Their redo stack was ended by the new action, as any action of theirs ends it.
      expect(inSql.p.store.labels.redo('me')).toBeNull()
      // One undo takes the whole accept back, and redo brings it again.
      expect(inSql.p.store.labels.undo('me')?.imageIds.sort((a, b) => a - b)).toEqual(rowByRow.p.store.labels.undo('me')?.imageIds.sort((a, b) => a - b))
      expect(snapshot(inSql.p)).toEqual(snapshot(rowByRow.p))
      expectCurrentFromHistory(inSql.p)
      for (const id of above) expect(inSql.p.store.images.get(id)?.status).toBe('proposed')
      inSql.p.store.labels.redo('me')
      rowByRow.p.store.labels.redo('me')
      expect(snapshot(inSql.p)).toEqual(snapshot(rowByRow.p))
      // Nothing left above: no action is recorded.
      expect(inSql.p.store.labels.acceptAbove(threshold, classId, held(inSql.p), 'me')).toBeNull()
      expect(inSql.p.store.labels.undo('me')?.imageIds.length).toBe(above.length)
      rowByRow.p.store.labels.undo('me')
      expect(snapshot(inSql.p)).toEqual(snapshot(rowByRow.p))
    })
  }
})

describe('a round proposing for most images at once', () => {
  it('rebuilds the indexes instead of updating them row by row, with the same labels, indexes and statistics', async () => {
    const n = BULK_REBUILD_MIN + 1_000
    const root = tempDir()
    const open = async (name: string) => {
      mkdirSync(path.join(root, name, 'images'), { recursive: true })
      const p = await Project.open(path.join(root, name, 'images'), { dataDir: path.join(root, name, 'data') })
      p.store.images.applyScan(Array.from({ length: n }, (_, i) => record(i)), [])
      p.store.classes.ensure('a')
      p.store.classes.ensure('b')
      p.store.analyze()
      return p
    }
    const [whole, halves] = [await open('whole'), await open('halves')]
    try {
      const ids = whole.store.queries.pageIds({}).ids
      const proposals = ids.map((imageId, k) => ({ imageId, classId: 1 + (k % 2), confidence: (k % 101) / 101 }))
      const schema = (p: Project) => p.store.db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'images' ORDER BY name").all()
      const stats = (p: Project) => (p.store.db.prepare("SELECT idx FROM sqlite_stat1 WHERE tbl = 'images' ORDER BY idx").all() as { idx: string }[]).map((r) => r.idx)
      const before = { schema: schema(whole), stats: stats(whole) }
      const roots = (p: Project) => p.store.db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'images' AND sql IS NOT NULL ORDER BY name").all()
      const rootsBefore = roots(whole)
      whole.store.labels.propose(whole.store.rounds.start(), proposals)
      expect(roots(whole)).not.toEqual(rootsBefore) // built again
      // Halves below BULK_REBUILD_MIN: updated in place.
      const r = halves.store.rounds.start()
      halves.store.labels.propose(r, proposals.slice(0, n / 2))
      halves.store.labels.propose(r, proposals.slice(n / 2))
      expect({ schema: schema(whole), stats: stats(whole) }).toEqual(before)
      expect(before.stats.length).toBeGreaterThan(10)
      const labels = (p: Project) => p.store.db.prepare('SELECT id, status, class_id, confidence, uncertainty, round_id FROM images ORDER BY id').all()
      expect(labels(whole)).toEqual(labels(halves))
      expectCurrentFromHistory(whole)
      expect(whole.store.queries.counts()).toEqual(halves.store.queries.counts())
      expect(whole.store.db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }])
      // The queries use the rebuilt indexes: a page of proposals by confidence is the same.
      const page = (p: Project) => p.store.queries.pageIds({ status: 'proposed', sort: 'confidence', descending: true, limit: 50 }).ids
      expect(page(whole)).toEqual(page(halves))
    } finally {
      await whole.close()
      await halves.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})
