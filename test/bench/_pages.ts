/**
 * `npx tsx test/bench/_pages.ts <project.db> [--plans]`: the library bench's grid query mix (10
 * filters x 4 sorts, random offsets across the whole result, both directions, limit 100, 5 rounds;
 * see measure() in library.ts) on a copy of an indexed database, with the time per (filter, sort)
 * and the plans SQLite chooses. Point it at a COPY: opening migrates the file.
 * `npx tsx test/bench/_pages.ts --images N <scratch.db>`: the same on a synthetic store of N images
 * labelled as after rounds (no image files; 0.5% unreadable), written to the scratch file.
 */
import { execSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { openDatabase } from '../../main/engine/store/db'
import { ProjectStore } from '../../main/engine/store'
import { gridFilters, rng } from './library'

const images = process.argv.indexOf('--images') >= 0 ? Number(process.argv[process.argv.indexOf('--images') + 1]) : 0
const file = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--images')
if (!file) throw new Error('usage: npx tsx test/bench/_pages.ts [--images N] <copy of project.db>')
let t = performance.now()
const store = new ProjectStore(openDatabase(file))
console.log(`open (with migrations) ${(performance.now() - t).toFixed(0)} ms`)
if (images > 0 && store.queries.counts().files === 0) {
  // As labelAsAfterRounds and measure() in library.ts leave a project, without files to read.
  const rand = rng(7)
  for (let i0 = 0; i0 < images; i0 += 10_000)
    store.images.applyScan(
      Array.from({ length: Math.min(10_000, images - i0) }, (_, j) => {
        const i = i0 + j
        const hash = createHash('sha256').update(`image ${i}`).digest('hex')
        return { path: `d${String(i % 1000).padStart(3, '0')}/img${String(i).padStart(6, '0')}.jpg`, size: 1000 + i, mtimeMs: 1, content: { hash, bytes: 1000 + i, width: 64, height: 48, format: 'jpeg', error: i % 200 === 7 ? 'truncated' : null } }
      }),
      [],
    )
  const classes = Array.from({ length: 10 }, (_, k) => store.classes.ensure(`class ${k}`))
  const ids = (store.db.prepare('SELECT id FROM images WHERE avail = 1 ORDER BY id').all() as { id: number }[]).map((r) => r.id)
  const cls = () => classes[Math.floor(rand() * classes.length)] as number
  for (const c of classes) store.labels.set(ids.filter((_, i) => i % 100 === 0 && i % 1000 === c % 10 * 100), c, 'bench')
  store.labels.propose(store.rounds.start(), ids.filter((_, i) => i % 100 !== 0 && rand() < 0.6).map((imageId) => ({ imageId, classId: cls(), confidence: rand() })))
  const proposed = store.queries.pageIds({ status: 'proposed', limit: 1500 }).ids
  store.labels.review(proposed.slice(0, 1000), 'accept', 'bench')
  store.labels.review(proposed.slice(1000, 1500), 'reject', 'bench')
  store.analyze()
  console.log(`synthetic store of ${images} images in ${((performance.now() - t) / 1000).toFixed(1)} s`)
}
const cls = (name: string) => (store.db.prepare('SELECT id FROM classes WHERE name = ?').get(name) as { id: number }).id
const filters = gridFilters(Array.from({ length: 10 }, (_, k) => cls(`class ${k}`)))
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
