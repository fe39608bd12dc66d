/**
 * `npm run bench -- reviewers [--reviewers 8] [--decisions 500] [--keep]`
 *
 * A load and fault test of the web host with named reviewers. `serve` runs as a child process on a
 * temporary project whose proposals are written directly (synthetic 8x8 PNGs indexed by the real
 * library, one round proposed through the store: the bench is about the server, not the teacher,
 * so no teacher pass runs either; its settings name a teacher that is not installed). Each
 * simulated reviewer, over HTTP with keep-alive, keeps its page's event stream open, takes leased
 * proposals (`review.take`) and decides them (accept, reject or relabel) as fast as the server
 * answers, each decision with its own Idempotency-Key, retrying a request whose answer it did not
 * get. Half-way the server is killed with SIGKILL and started again on the same port; the reviewers
 * reconnect. At the end the acknowledged decisions are compared with the project database:
 *
 *   lost             acknowledged decisions missing from the store
 *   duplicated       decisions applied more than once (a reviewer's events on one image beyond the first)
 *   same_item_twice  images decided by two different reviewers
 *   p50_ms, p95_ms   latency of the acknowledged decision requests (the answered attempt)
 *
 * Writes test/bench/results/reviewers.json, with the load average at the start: on a shared
 * machine the latencies are measured under that load.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Project } from '../../main/engine/project/project'
import { projectOpenOptions } from '../../main/engine/project/locations'
import { newToken } from '../../main/server/reviewers'
import { FIXTURE_CLASSES, proposalsProject } from '../server/proposals-fixture'
import { rng } from './library'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '../..')
const TARGETS = { lost: 0, duplicated: 0, same_item_twice: 0, p95_ms: 100 }
/** Proposals beyond the decisions asked for, so that no reviewer runs dry near the end. */
const SPARE = 1.1
/** Proposals a reviewer takes at a time: as many as the web UI's review queue takes. */
const BATCH = 25

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  const v = i >= 0 ? Number(args[i + 1]) : fallback
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number of at least 1`)
  return v
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The studio's `serve` verb as a child process; resolves once it prints its reviewers' URLs. */
function startServer(folder: string, port: number, reviewersFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'serve', folder, '--port', String(port), '--reviewers', reviewersFile], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[serve] ${d.toString()}`))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('Ctrl+C stops the server')) resolve(child)
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready:\n${out}`)))
  })
}

interface Decision {
  reviewer: string
  key: string
  imageId: number
  ms: number
}

interface Tally {
  acknowledged: Decision[]
  retries: number
  /** Decisions answered only after a retry: those whose first attempt may have landed before the kill. */
  retriedDecisions: number
  /** The keys of those. */
  retriedKeys: Set<string>
  refused: number
  /** The longest a decision took from its first attempt to its answer (the kill shows here). */
  worstWithRetriesMs: number
}

export async function run(args: string[]): Promise<void> {
  const reviewerCount = arg(args, '--reviewers', 8)
  const perReviewer = arg(args, '--decisions', 500)
  const keep = args.includes('--keep')
  const loadStart = loadavg()
  if (!existsSync(path.join(ROOT, 'out/renderer/index.html'))) {
    console.log('building the renderer (serve needs it)...')
    const built = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' })
    if (built.status !== 0) throw new Error('electron-vite build failed')
  }

  const tmp = await mkdtemp(path.join(tmpdir(), 'studio-bench-reviewers-'))
  const folder = path.join(tmp, 'pool')
  const appData = path.join(tmp, 'appdata')
  await mkdir(appData, { recursive: true })
  // The child inherits this: its project data and settings are the bench's own.
  process.env.STUDIO_DATA_DIR = appData
  await writeFile(path.join(appData, 'settings.json'), JSON.stringify({ teacher: 'none-in-the-reviewers-bench' }))
  const proposalCount = Math.ceil(reviewerCount * perReviewer * SPARE)
  let t = performance.now()
  const { classes } = await proposalsProject(folder, appData, proposalCount)
  console.log(`${proposalCount} proposals in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  // Tokens in the file, so that they stay the same across the restart (as a team's would).
  const reviewers = Array.from({ length: reviewerCount }, (_, i) => ({ name: `reviewer-${i + 1}`, token: newToken() }))
  const reviewersFile = path.join(tmp, 'reviewers.txt')
  await writeFile(reviewersFile, reviewers.map((r) => `${r.name} ${r.token}`).join('\n') + '\n')
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let server = await startServer(folder, port, reviewersFile)
  console.log(`serve is up on port ${port}; ${reviewerCount} reviewers x ${perReviewer} decisions`)

  const tally: Tally = { acknowledged: [], retries: 0, retriedDecisions: 0, retriedKeys: new Set(), refused: 0, worstWithRetriesMs: 0 }
  const total = reviewerCount * perReviewer
  let running = true
  let killedAt: number | null = null
  /** The kill by the clock the server stamps actions with. */
  let killedAtEpoch = Infinity
  let killedAfter = 0
  let restartMs: number | null = null

  /** One request, retried until the server answers (a refused connection, a reset, a 5xx): the same body, the same key. */
  async function call(token: string, method: string, input: unknown, key?: string): Promise<{ status: number; body: { ok: boolean; value?: unknown; error?: { message: string } }; ms: number; firstMs: number; attempts: number }> {
    const first = performance.now()
    for (let attempts = 1; ; attempts++) {
      const start = performance.now()
      try {
        const res = await fetch(`${base}/api/call/${method}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
          body: JSON.stringify(input),
          signal: AbortSignal.timeout(15_000),
        })
        const body = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } }
        if (res.status < 500) return { status: res.status, body, ms: performance.now() - start, firstMs: performance.now() - first, attempts }
      } catch {
        // no answer: the server is down or restarting
      }
      tally.retries++
      await sleep(50)
    }
  }

  /** The page's event stream: kept open (it renews the reviewer's leases), reopened when it drops. */
  async function eventStream(token: string): Promise<void> {
    while (running) {
      try {
        const res = await fetch(`${base}/api/events`, { headers: { Authorization: `Bearer ${token}` } })
        const reader = res.body?.getReader()
        while (running && reader) {
          const { done } = await reader.read()
          if (done) break
        }
        await reader?.cancel().catch(() => undefined)
      } catch {
        // dropped with the server
      }
      if (running) await sleep(200)
    }
  }

  async function reviewer(name: string, token: string, seed: number): Promise<void> {
    const rand = rng(seed)
    const queue: { id: number; classId: number | null }[] = []
    let done = 0
    let seq = 0
    while (done < perReviewer) {
      if (queue.length === 0) {
        const taken = await call(token, 'review.take', { count: BATCH })
        const items = (taken.body.value ?? []) as { id: number; classId: number | null }[]
        if (items.length === 0) throw new Error(`${name}: no proposals left after ${done} decisions (${taken.status} ${taken.body.error?.message ?? ''})`)
        queue.push(...items)
      }
      const item = queue.shift() as { id: number; classId: number | null }
      const r = rand()
      const key = `${name}-${++seq}`
      const [method, input] =
        r < 0.6
          ? ['labels.review', { imageIds: [item.id], decision: 'accept' }]
          : r < 0.85
            ? ['labels.review', { imageIds: [item.id], decision: 'reject' }]
            : ['labels.relabel', { imageIds: [item.id], classId: classes.find((c) => c !== item.classId) ?? classes[0] }]
      const answer = await call(token, method, input, key)
      if (answer.status === 200 && answer.body.ok) {
        tally.acknowledged.push({ reviewer: name, key, imageId: item.id, ms: answer.ms })
        tally.worstWithRetriesMs = Math.max(tally.worstWithRetriesMs, answer.firstMs)
        if (answer.attempts > 1) {
          tally.retriedDecisions++
          tally.retriedKeys.add(`${name}\n${key}`)
        }
        done++
      } else if (answer.status === 409) tally.refused++
      else throw new Error(`${name}: ${method} answered ${answer.status}: ${answer.body.error?.message}`)
    }
  }

  /** Kills the server once half the decisions are in, and starts it again on the same port. */
  async function fault(): Promise<void> {
    while (tally.acknowledged.length < total / 2) {
      if (!running) return
      await sleep(5)
    }
    killedAfter = tally.acknowledged.length
    killedAt = performance.now()
    killedAtEpoch = Date.now()
    server.kill('SIGKILL')
    await new Promise((r) => server.once('exit', r))
    server = await startServer(folder, port, reviewersFile)
    restartMs = performance.now() - killedAt
    console.log(`killed with SIGKILL after ${killedAfter} decisions; serving again after ${(restartMs / 1000).toFixed(1)} s`)
  }

  t = performance.now()
  const streams = reviewers.map((r) => eventStream(r.token))
  const faulted = fault()
  const results = await Promise.allSettled(reviewers.map((r, i) => reviewer(r.name, r.token, 1000 + i)))
  const wallS = (performance.now() - t) / 1000
  running = false
  await faulted
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
  await Promise.allSettled(streams)
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []))

  // What the store holds, read after the server stopped.
  const project = await Project.open(folder, projectOpenOptions(folder, appData))
  const names = new Set(reviewers.map((r) => r.name))
  let stored: { actor: string; request_id: string | null; image_id: number; at: number }[]
  try {
    stored = (
      project.store.db
        .prepare("SELECT a.actor, a.request_id, e.image_id, a.at FROM actions a JOIN label_events e ON e.action_id = a.id WHERE a.kind IN ('accept', 'reject', 'relabel') AND a.undone = 0")
        .all() as { actor: string; request_id: string | null; image_id: number; at: number }[]
    ).filter((r) => names.has(r.actor))
  } finally {
    await project.close()
  }
  // Each reviewer decides each image once, so (reviewer, image) names a decision without trusting
  // the request ids the mechanism under test stores.
  const storedDecisions = new Set(stored.map((r) => `${r.actor}\n${r.image_id}`))
  const lost = tally.acknowledged.filter((d) => !storedDecisions.has(`${d.reviewer}\n${d.imageId}`)).length
  const perActorImage = new Map<string, number>()
  const actorsPerImage = new Map<number, Set<string>>()
  for (const r of stored) {
    const k = `${r.actor}\n${r.image_id}`
    perActorImage.set(k, (perActorImage.get(k) ?? 0) + 1)
    const set = actorsPerImage.get(r.image_id) ?? new Set<string>()
    set.add(r.actor)
    actorsPerImage.set(r.image_id, set)
  }
  const duplicated = [...perActorImage.values()].reduce((s, n) => s + n - 1, 0)
  const sameItemTwice = [...actorsPerImage.values()].filter((s) => s.size > 1).length
  const ackedDecisions = new Set(tally.acknowledged.map((d) => `${d.reviewer}\n${d.imageId}`))
  const unacknowledgedInStore = [...storedDecisions].filter((k) => !ackedDecisions.has(k)).length
  const ms = tally.acknowledged.map((d) => d.ms).sort((a, b) => a - b)

  const result = {
    reviewers: reviewerCount,
    decisions_per_reviewer: perReviewer,
    decisions_acknowledged: tally.acknowledged.length,
    decisions_in_store: stored.length,
    lost,
    duplicated,
    same_item_twice: sameItemTwice,
    p50_ms: Number(percentile(ms, 50).toFixed(1)),
    p95_ms: Number(percentile(ms, 95).toFixed(1)),
    p99_ms: Number(percentile(ms, 99).toFixed(1)),
    max_ms: Number((ms.at(-1) ?? NaN).toFixed(1)),
    worst_with_retries_ms: Number(tally.worstWithRetriesMs.toFixed(0)),
    decisions_per_s: Number((tally.acknowledged.length / wallS).toFixed(1)),
    wall_s: Number(wallS.toFixed(1)),
    killed_after_decisions: killedAfter,
    restart_ms: restartMs === null ? null : Math.round(restartMs),
    retries: tally.retries,
    decisions_retried: tally.retriedDecisions,
    // Retried decisions whose first attempt had landed before the kill (its answer lost): the
    // Idempotency-Key is what kept each of them from being applied twice.
    retried_already_applied: stored.filter((r) => r.at < killedAtEpoch && tally.retriedKeys.has(`${r.actor}\n${r.request_id}`)).length,
    refused_409: tally.refused,
    stored_but_never_acknowledged: unacknowledgedInStore,
    failures,
    proposals: proposalCount,
    classes: FIXTURE_CLASSES.length,
    load_avg_start: loadStart.map((l) => Number(l.toFixed(2))),
    load_avg_end: loadavg().map((l) => Number(l.toFixed(2))),
    cpus: cpus().length,
    targets: TARGETS,
    pass: lost === TARGETS.lost && duplicated === TARGETS.duplicated && sameItemTwice === TARGETS.same_item_twice && percentile(ms, 95) <= TARGETS.p95_ms && failures.length === 0,
    notes:
      'Synthetic 8x8 PNG pool, proposals written through the store (no teacher pass runs: the bench measures the server). ' +
      'Clients and server share this machine: the load average at the start says how busy it was, and the latencies were measured under that load. ' +
      'Latency is that of the answered attempt; worst_with_retries_ms spans the kill and restart.',
    measured_at: new Date().toISOString(),
  }
  console.log(JSON.stringify(result, null, 2))
  await mkdir(path.join(here, 'results'), { recursive: true })
  await writeFile(path.join(here, 'results/reviewers.json'), JSON.stringify(result, null, 2) + '\n')
  if (!keep) await rm(tmp, { recursive: true, force: true })
  else console.log(`kept ${tmp}`)
  if (!result.pass) process.exitCode = 1
}
