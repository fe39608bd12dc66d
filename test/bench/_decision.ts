/**
 * `npx tsx test/bench/_decision.ts [project.db]`: what one review decision costs the server, on a
 * COPY of a project database (default: the library bench's million-image one): the write, then the
 * queries the studio sends after it (counts, the grid's first page, the per-class counts above the
 * threshold, the queue's refill). Milliseconds per decision, 20 decisions.
 */
import { copyFileSync, rmSync } from 'node:fs'
import { openDatabase } from '../../main/engine/store/db'
import { ProjectStore } from '../../main/engine/store'
const file = '/tmp/pls-bench-decision.db'
for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true })
copyFileSync(process.argv[2] ?? '/tmp/pls-bench-1000000/.pseudolabel/project.db', file)
const store = new ProjectStore(openDatabase(file))
const classes = store.classes.list()
const T = (label: string, f: () => unknown, out: Record<string, number[]>) => { const t = performance.now(); f(); (out[label] ??= []).push(performance.now() - t) }
const out: Record<string, number[]> = {}
const queue = store.leases.take('user', 50, null, Date.now())
for (const id of queue.slice(0, 20)) {
  T('review', () => store.labels.review([id], 'accept', 'user'), out)
  T('counts', () => store.queries.counts(), out)
  T('page all/name', () => store.queries.page({ limit: 100, offset: 0 }), out)
  T('countAbove', () => classes.map((c) => store.queries.page({ status: 'proposed', classId: c.id, minConfidence: 0.9, sort: 'confidence', limit: 1 }).total), out)
  T('take', () => store.leases.take('user', 50, null, Date.now()), out)
}
for (const [k, v] of Object.entries(out)) console.log(k.padEnd(16), v.map((x) => x.toFixed(0)).join(' '))
store.close()
