/**
 * `npx tsx test/bench/_pages.ts <project.db>`: the library bench's grid query mix (10 filters x 4
 * sorts, random offsets across the whole result, both directions, limit 100, 5 rounds; see
 * measure() in library.ts) on a copy of an indexed database, with the time per (filter, sort) and
 * the plan SQLite chooses for it. Point it at a COPY: opening migrates the file.
 */
import { execSync } from 'node:child_process'
import { openDatabase } from '../../main/engine/store/db'
import { ProjectStore, type PageQuery } from '../../main/engine/store'
import { rng } from './library'

const file = process.argv[2]
if (!file) throw new Error('usage: npx tsx test/bench/_pages.ts <copy of project.db>')
let t = performance.now()
const store = new ProjectStore(openDatabase(file))
console.log(`open (with migrations) ${(performance.now() - t).toFixed(0)} ms`)
const cls = (name: string) => (store.db.prepare('SELECT id FROM classes WHERE name = ?').get(name) as { id: number }).id
const filters: PageQuery[] = [
  {},
  { status: 'unlabelled' },
  { status: 'human' },
  { status: 'proposed' },
  { status: 'accepted' },
  { status: 'rejected' },
  { status: 'unreadable' },
  { classId: cls('class 3') },
  { status: 'proposed', classId: cls('class 5') },
  { minConfidence: 0.2, maxConfidence: 0.4 },
]
const sorts = ['name', 'confidence', 'uncertainty', 'changed'] as const
const times: number[] = []
const per = new Map<string, number[]>()
const qr = rng(99)
console.log(`uptime: ${execSync('uptime').toString().trim()}`)
for (let rep = 0; rep < 5; rep++)
  for (const f of filters)
    for (const sort of sorts) {
      const total = store.queries.page({ ...f, limit: 1 }).total
      const offset = Math.floor(qr() * Math.max(0, total - 100))
      t = performance.now()
      store.queries.page({ ...f, sort, descending: qr() < 0.5, offset, limit: 100 })
      const ms = performance.now() - t
      times.push(ms)
      const k = `${JSON.stringify(f)} ${sort} (${total})`
      per.set(k, [...(per.get(k) ?? []), ms])
    }
for (const [k, ts] of per) console.log(`${k.padEnd(60)} ${ts.map((x) => x.toFixed(1).padStart(7)).join(' ')}`)
const sorted = [...times].sort((a, b) => a - b)
const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1] as number
console.log(`page queries ${times.length}: p95 ${p95.toFixed(1)} ms, median ${sorted[sorted.length >> 1]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`)
console.log(`uptime: ${execSync('uptime').toString().trim()}`)
if (process.argv.includes('--plans')) {
  const col = { name: 'path', confidence: 'confidence', uncertainty: 'uncertainty', changed: 'changed_at' }
  for (const [where, args] of [
    ['avail = 1', []],
    ["avail = 1 AND status = ?", ['unlabelled']],
    ["avail = 1 AND class_id = ? AND status != 'rejected'", [cls('class 3')]],
    ['avail = 1 AND status = ? AND class_id = ?', ['proposed', cls('class 5')]],
    ['avail = 1 AND confidence >= ? AND confidence <= ?', [0.2, 0.4]],
  ] as [string, (string | number)[]][])
    for (const c of Object.values(col)) {
      const plan = store.db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM images WHERE ${where} ORDER BY ${c}, id`).all(...args) as { detail: string }[]
      console.log(`${where} ORDER BY ${c}: ${plan.map((r) => r.detail).join(' / ')}`)
    }
}
store.close()
