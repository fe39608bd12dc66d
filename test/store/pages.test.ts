/**
 * Deep grid pages: a page served by seeking to a kept anchor (queries.ts) holds exactly the ids the
 * plain query gives at that offset (same order, ties broken by id, NULL keys first going up), in
 * both directions, for every filter and sort; anchors kept before a label change are not used
 * after it; and a class's images are an index-only scan in each sort (migration 8).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '../library/fixtures'
import { Project } from '../../main/engine/project/project'
import type { PageQuery } from '../../main/engine/store'
import { rng } from '../bench/library'

/** Enough rows for several anchors (one every 1,000) and jumps between them. */
const N = 12_000

const COLUMN = { name: 'path', confidence: 'confidence', uncertainty: 'uncertainty', changed: 'changed_at' } as const
type Sort = keyof typeof COLUMN

function record(i: number) {
  const hash = createHash('sha256').update(`page image ${i}`).digest('hex')
  // Names not in id order, so that no sort agrees with the ids by accident.
  const name = `d${(i * 7919) % 13}/img${String((i * 104729) % 100_003).padStart(6, '0')}.jpg`
  return { path: name, size: 100 + i, mtimeMs: 1, content: { hash, bytes: 100 + i, width: 8, height: 8, format: 'jpeg', error: null } }
}

describe('deep grid pages', () => {
  let root: string
  let p: Project
  let classes: number[]
  let filters: { q: PageQuery; where: string; args: (string | number)[] }[]

  /** The plain query, written here rather than taken from the store: every id of a filter in a sort. */
  function plain(f: (typeof filters)[number], sort: Sort, descending: boolean): number[] {
    const d = descending ? 'DESC' : 'ASC'
    return (p.store.db.prepare(`SELECT id FROM images WHERE ${f.where} ORDER BY ${COLUMN[sort]} ${d}, id ${d}`).all(...f.args) as { id: number }[]).map((r) => r.id)
  }

  /** Pages at offsets that cross anchors, jump from both ends and land between kept anchors, against the plain query. */
  function expectPagesRight(seed: number): void {
    const rand = rng(seed)
    for (const f of filters)
      for (const sort of Object.keys(COLUMN) as Sort[])
        for (const descending of [false, true]) {
          const all = plain(f, sort, descending)
          const n = all.length
          const offsets = [0, 1, 999, 1000, 1001, 2500, Math.floor(n / 2), n - 1001, n - 100, n - 1, n, n + 5]
          for (let k = 0; k < 12; k++) offsets.push(Math.floor(rand() * n))
          for (const offset of offsets.filter((o) => o >= 0)) {
            const limit = 1 + Math.floor(rand() * 150)
            const page = p.store.queries.pageIds({ ...f.q, sort, descending, offset, limit })
            expect(page.total).toBe(n)
            expect(page.ids, `${JSON.stringify(f.q)} ${sort} ${descending ? 'desc' : 'asc'} offset ${offset} limit ${limit}`).toEqual(all.slice(offset, offset + limit))
          }
        }
  }

  beforeAll(async () => {
    root = tempDir()
    mkdirSync(path.join(root, 'images'))
    p = await Project.open(path.join(root, 'images'), { dataDir: path.join(root, 'data') })
    p.store.images.applyScan(Array.from({ length: N }, (_, i) => record(i)), [])
    classes = ['a', 'b', 'c'].map((name) => p.store.classes.ensure(name))
    const ids = p.store.queries.pageIds({}).ids
    const round = p.store.rounds.start()
    // Few distinct confidences and uncertainties: long runs of tied keys, ordered by id.
    p.store.labels.propose(round, ids.slice(0, 9000).map((imageId, k) => ({ imageId, classId: classes[k % 3]!, confidence: (k % 20) / 20, uncertainty: (k % 7) / 7 })))
    p.store.labels.set(ids.slice(9000, 9300), classes[0]!, 'me')
    p.store.labels.review(ids.slice(0, 400), 'reject', 'me')
    p.store.analyze()
    filters = [
      { q: {}, where: 'avail = 1', args: [] },
      { q: { status: 'proposed' }, where: "avail = 1 AND status = 'proposed'", args: [] },
      { q: { status: 'unlabelled' }, where: "avail = 1 AND status = 'unlabelled'", args: [] },
      { q: { classId: classes[0]! }, where: "avail = 1 AND class_id = ? AND status != 'rejected'", args: [classes[0]!] },
      { q: { status: 'proposed', classId: classes[0]! }, where: "avail = 1 AND status = 'proposed' AND class_id = ?", args: [classes[0]!] },
      { q: { status: 'labelled' }, where: "avail = 1 AND status IN ('human', 'accepted', 'proposed')", args: [] },
      { q: { minConfidence: 0.2, maxConfidence: 0.6 }, where: 'avail = 1 AND confidence >= 0.2 AND confidence <= 0.6', args: [] },
    ]
  })
  afterAll(async () => {
    await p.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('give the plain query\'s ids at every offset, in both directions, for every filter and sort', () => {
    // Every filter deep enough for jumps between anchors.
    for (const f of filters) expect(p.store.queries.pageIds({ ...f.q, limit: 1 }).total, JSON.stringify(f.q)).toBeGreaterThan(2500)
    expectPagesRight(1)
    // Again, now from the anchors kept by the pages before.
    expectPagesRight(2)
  })

  it('follow label changes: anchors kept before a change are not used after it', () => {
    expectPagesRight(3)
    const ids = p.store.queries.pageIds({}).ids
    // Moves rows across every sort and filter: new confidences, reviews, relabels, cleared labels.
    const round = p.store.rounds.start()
    p.store.labels.propose(round, ids.slice(9300, 11_000).map((imageId, k) => ({ imageId, classId: classes[(k + 1) % 3]!, confidence: 0.05 + (k % 9) / 10 })))
    p.store.labels.review(ids.slice(1000, 1800), 'accept', 'me')
    p.store.labels.review(ids.slice(2000, 2600), 'reject', 'me')
    p.store.labels.relabel(ids.slice(3000, 3500), classes[0]!, 'me')
    p.store.labels.set(ids.slice(4000, 4600), null, 'me')
    expectPagesRight(4)
  })

  it("a class's images are an index-only scan in every sort, both directions (no id list to build)", () => {
    for (const col of Object.values(COLUMN))
      for (const d of ['ASC', 'DESC']) {
        const plan = (p.store.db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM images WHERE avail = 1 AND class_id = ? AND status != 'rejected' ORDER BY ${col} ${d}, id ${d}`).all(classes[1]!) as { detail: string }[]).map((r) => r.detail).join(' / ')
        expect(plan, col).toMatch(/COVERING INDEX images_class_/)
        expect(plan, col).not.toMatch(/TEMP B-TREE/)
      }
  })
})
