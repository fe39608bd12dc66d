/**
 * `npm run bench -- queries [--images N] [--dim D]`: the grid's, viewer's and review queue's
 * queries on a project of N images (default 100,000) with a teacher cache of D-d embeddings
 * (default 1280, MobileNetV2's): "select all" (images.ids), the threshold slider's per-class
 * counts (proposals.countAbove), and "more like this" (images.similar) cold and with its features
 * kept (similar_first_s, similar_next_s; the studio also loads them ahead, when the teacher pass
 * ends, which this cold figure leaves out). The store and the cache are synthetic (no image files: none of these reads one), built in
 * a temporary folder. Figures: ratios side by side, milliseconds for orientation only.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Project } from '../../main/engine/project/project'
import { EmbeddingCache } from '../../main/engine/teacher'
import { filterIds, proposalCountsAbove } from '../../main/app/image-queries'
import { SimilarImages } from '../../main/app/jobs/similar-images'
import { rng } from './library'

const here = path.dirname(fileURLToPath(import.meta.url))
const arg = (args: string[], name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, '--images') ?? 100_000)
  const dim = Number(arg(args, '--dim') ?? 1280)
  const root = mkdtempSync(path.join(tmpdir(), 'pls-bench-queries-'))
  try {
    const folder = path.join(root, 'images')
    mkdirSync(folder)
    const project = await Project.open(folder, { dataDir: path.join(root, 'data') })
    const hash = (i: number) => createHash('sha256').update(`image ${i}`).digest('hex')
    const rand = rng(7)
    let t = performance.now()
    for (let i0 = 0; i0 < n; i0 += 10_000) {
      const records = Array.from({ length: Math.min(10_000, n - i0) }, (_, j) => {
        const i = i0 + j
        return { path: `img/${String(i).padStart(7, '0')}.jpg`, size: 1000 + i, mtimeMs: 1, content: { hash: hash(i), bytes: 1000 + i, width: 64, height: 64, format: 'jpeg', error: null } }
      })
      project.store.images.applyScan(records, [])
    }
    const classes = Array.from({ length: 10 }, (_, k) => project.store.classes.ensure(`class ${k}`))
    const ids = project.store.queries.allImages().map((r) => r.id)
    const roundId = project.store.rounds.start()
    project.store.labels.propose(roundId, ids.filter(() => rand() < 0.6).map((imageId) => ({ imageId, classId: classes[Math.floor(rand() * 10)]!, confidence: rand() })))
    project.store.rounds.finish(roundId, 'done')
    console.log(`store of ${n} images with proposals in ${ms(t)} ms`)

    // Clustered embeddings (40 centres plus noise, non-negative like pooled ReLU features), so that
    // neighbours mean something; the timing does not depend on it.
    t = performance.now()
    const cache = await EmbeddingCache.open(path.join(root, 'cache'), { modelSha256: 'b'.repeat(64), preprocessHash: 'c'.repeat(64), dim, scoresDim: 0 })
    const centres = Array.from({ length: 40 }, () => Float32Array.from({ length: dim }, () => rand() * 2))
    for (let i0 = 0; i0 < n; i0 += 5000) {
      await cache.append(
        Array.from({ length: Math.min(5000, n - i0) }, (_, j) => {
          const c = centres[(i0 + j) % centres.length]!
          return { id: hash(i0 + j), embedding: Float32Array.from(c, (v) => Math.max(0, v + (rand() - 0.5))) }
        }),
      )
    }
    await cache.close()
    const cacheFile = cache.file
    console.log(`teacher cache of ${n} x ${dim} in ${ms(t)} ms`)

    t = performance.now()
    const all = filterIds(project, {})
    const selectAllMs = ms(t)
    t = performance.now()
    const proposedAbove = filterIds(project, { status: 'proposed', minConfidence: 0.5, sort: 'confidence', descending: true })
    const acceptIdsMs = ms(t)

    const thresholds = Array.from({ length: 20 }, (_, k) => 0.5 + k * 0.025)
    t = performance.now()
    for (const th of thresholds) proposalCountsAbove(project, th)
    const countMs = ms(t) / thresholds.length

    const progress: number[] = []
    const similar = new SimilarImages((done) => progress.push(done))
    const queryIds = [ids[0]!, ids[Math.floor(n / 2)]!, ids[n - 1]!]
    t = performance.now()
    await similar.query(project, cacheFile, queryIds[0]!, 200)
    const coldMs = ms(t)
    const stages = similar.lastLoad
    const rescored = similar.lastCandidates
    const warm: number[] = []
    for (const id of queryIds) {
      t = performance.now()
      const found = await similar.query(project, cacheFile, id, 200)
      warm.push(ms(t))
      if (found.length !== 200) throw new Error(`similar gave ${found.length} images, not 200`)
    }
    const warmMs = warm.reduce((a, b) => a + b, 0) / warm.length
    // its worker (under tsx, with tsx's loader thread) would keep the process from ending
    similar.clear()
    await project.close()

    const result = {
      images: n,
      dim,
      load_at_start: loadavg()[0],
      select_all: { ids: all.length, ms: selectAllMs },
      accept_above_ids: { ids: proposedAbove.length, ms: acceptIdsMs },
      count_above_per_slider_step_ms: Math.round(countMs * 10) / 10,
      similar: {
        first_query_ms: coldMs,
        // where the first query's time went: the worker's start-up, reading the cache (checksums
        // included), powering and normalising the rows, the rest (the search and the messages)
        first_query_stages_ms: stages && {
          worker_start: Math.round(stages.workerStartMs),
          read: Math.round(stages.readMs),
          transform: Math.round(stages.transformMs + stages.finishMs),
          search_and_rest: Math.round(coldMs - stages.workerStartMs - stages.readMs - stages.transformMs - stages.finishMs),
        },
        // rows the first query centred and scored exactly, of all images (see similar-worker.ts)
        rows_scored_exactly: rescored, kept_features_query_ms: Math.round(warmMs * 10) / 10, kept_over_first: Math.round((warmMs / coldMs) * 1000) / 1000, progress_reports_while_loading: progress.length },
      // issue 15's targets: the first "more like this" (features read from the cache file) and the next ones
      similar_first_s: Math.round(coldMs) / 1000,
      similar_next_s: Math.round(warmMs) / 1000,
    }
    console.log(JSON.stringify(result, null, 2))
    mkdirSync(path.join(here, 'results'), { recursive: true })
    writeFileSync(path.join(here, 'results', 'queries.json'), JSON.stringify(result, null, 2) + '\n')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
