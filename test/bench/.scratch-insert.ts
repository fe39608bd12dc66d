import { createHash } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { Project } from '../../main/engine/project/project'
const root = '/tmp/indexmem/scratch'
rmSync(root, { recursive: true, force: true }); mkdirSync(root + '/images', { recursive: true })
const p = await Project.open(root + '/images', { dataDir: root + '/data' })
const batch = Number(process.argv[2] ?? 100)
const cache = process.argv[3]
if (cache) p.store.db.exec(`PRAGMA cache_size = ${cache}`)
let i = 0
const t0 = performance.now()
for (let step = 0; step < 30; step++) {
  const t = performance.now()
  let maxFlush = 0
  for (let b = 0; b < 10000 / batch; b++) {
    const recs = []
    for (let k = 0; k < batch; k++, i++) {
      const hash = createHash('sha256').update(`c${i}`).digest('hex')
      recs.push({ path: `d${String(Math.floor(i / 1000)).padStart(3, '0')}/img${String(i).padStart(6, '0')}.jpg`, size: 1000, mtimeMs: 1, content: { hash, bytes: 1000, width: 8, height: 8, format: 'jpeg', error: null } })
    }
    const f = performance.now(); p.store.images.applyScan(recs, []); maxFlush = Math.max(maxFlush, performance.now() - f)
  }
  if (step % 5 === 4) console.log(`${i} rows: last 10k ${(performance.now() - t).toFixed(0)} ms, max flush ${maxFlush.toFixed(1)} ms, total ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
await p.close()
