/**
 * `npx tsx test/bench/index-trace.ts FOLDER --data DIR [--dirs N] [--every K] [--keep]`
 *
 * Traces one index of FOLDER into a project whose data lives in DIR (so that a read-only bench
 * folder is never written): every K files (default 50k) it prints the elapsed time, RSS, V8 heap
 * used, the database and WAL sizes and the longest event-loop block so far. With --dirs N only the
 * first N subfolders (d000..) are indexed, to compare 100k with 1M on the same files. DIR is
 * emptied first unless --keep is given (then the run is a re-scan).
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { loadavg } from 'node:os'
import { Project } from '../../main/engine/project/project'
import { indexFolder } from '../../main/engine/library/indexer'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const folder = path.resolve(process.argv[2] ?? '')
const dataDir = arg('--data')
if (!process.argv[2] || !dataDir) throw new Error('usage: index-trace.ts FOLDER --data DIR [--dirs N] [--every K] [--keep]')
const every = Number(arg('--every') ?? 50_000)
const dirs = arg('--dirs')
if (!process.argv.includes('--keep')) rmSync(dataDir, { recursive: true, force: true })

const subpaths = dirs
  ? readdirSync(folder)
      .filter((d) => /^d\d{3}$/.test(d))
      .sort()
      .slice(0, Number(dirs))
  : undefined

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
const size = (f: string) => (existsSync(f) ? statSync(f).size : 0)
const loop = monitorEventLoopDelay({ resolution: 5 })
let peakRss = 0
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50)
const t0 = performance.now()

function line(what: string): void {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  const db = path.join(dataDir as string, 'project.db')
  console.log(
    `${what.padEnd(22)} ${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s  rss ${mb(m.rss).padStart(5)} MB (peak ${mb(peakRss)})  heap ${mb(m.heapUsed).padStart(4)} MB  db ${mb(size(db)).padStart(4)} MB  wal ${mb(size(db + '-wal')).padStart(4)} MB  max block ${(loop.max / 1e6).toFixed(0).padStart(5)} ms  write max ${writes.max.toFixed(0)} ms (${writes.over50}/${writes.n} > 50 ms)  load ${(loadavg()[0] ?? 0).toFixed(2)}`,
  )
}

loop.enable()
const p = await Project.open(folder, { dataDir })
// The longest store write (one transaction) and how many took over 50 ms: the steps the loop waits on.
const writes = { max: 0, over50: 0, n: 0 }
const apply = p.store.images.applyScan.bind(p.store.images)
p.store.images.applyScan = (records, removed) => {
  const t = performance.now()
  apply(records, removed)
  const ms = performance.now() - t
  writes.n++
  writes.max = Math.max(writes.max, ms)
  if (ms > 50) writes.over50++
}
line('opened')
let walked = false
let next = every
const report = await indexFolder(folder, p.store, {
  subpaths,
  onProgress: (done, total) => {
    if (total > 0 && !walked) {
      walked = true
      line(`walked (${total} to read)`)
    }
    if (done >= next) {
      line(`${done} read`)
      next += every
    }
  },
})
line('indexed')
await p.close()
line('closed')
clearInterval(sampler)
loop.disable()
console.log(JSON.stringify({ ...report, ms: Math.round(report.ms), peak_rss_mb: Number(mb(peakRss)), max_loop_block_ms: Math.round(loop.max / 1e6), write_max_ms: Math.round(writes.max), writes_over_50ms: writes.over50, load_avg_1m: loadavg()[0] }))
