/**
 * `npm run bench -- map [n]`: the embedding map at scale, on synthetic clustered 1280-d embeddings
 * (20 clusters, ReLU-like, written to a real teacher cache file).
 *   1. n images (default 100,000) through the worker as the studio runs it: time per stage, the
 *      main thread's longest stall while it ran, and how well clusters stay apart (5-NN class
 *      agreement in 2-D on a 2,000-point sample).
 *   2. Side by side at 20,000 images: the landmark layout (8,000 laid out, the rest placed) against
 *      UMAP on all 20,000, as a ratio of times and their agreements.
 * Results in test/bench/results/map.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildMapInWorker } from '../../main/engine/map/in-worker'
import { buildMap } from '../../main/engine/map/layout'
import { gaussian, matrix, rng, type Matrix } from '../../main/engine/math/linalg'
import { EmbeddingCache } from '../../main/engine/teacher/cache'

const here = path.dirname(fileURLToPath(import.meta.url))

function clusters(n: number, classes: number, seed: number): { X: Matrix; y: Int32Array } {
  const d = 1280
  const r = rng(seed)
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: d }, () => gaussian(r)))
  const X = matrix(n, d)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * classes)
    y[i] = c
    const centre = centres[c]!
    for (let j = 0; j < d; j++) X.data[i * d + j] = Math.max(0, centre[j]! + 0.9 * gaussian(r))
  }
  return { X, y }
}

/** Share of sampled points whose 5 nearest in 2-D are mostly of their own cluster. */
function agreement(coords: Float32Array, y: Int32Array, sample = 2000): number {
  const n = y.length
  const step = Math.max(1, Math.floor(n / sample))
  let agree = 0
  let asked = 0
  const best = new Float64Array(5)
  const who = new Int32Array(5)
  for (let i = 0; i < n; i += step) {
    best.fill(Infinity)
    for (let j = 0; j < n; j++) {
      if (j === i) continue
      const d = (coords[2 * i]! - coords[2 * j]!) ** 2 + (coords[2 * i + 1]! - coords[2 * j + 1]!) ** 2
      if (d >= best[4]!) continue
      let p = 4
      while (p > 0 && best[p - 1]! > d) {
        best[p] = best[p - 1]!
        who[p] = who[p - 1]!
        p--
      }
      best[p] = d
      who[p] = j
    }
    let same = 0
    for (let t = 0; t < 5; t++) if (y[who[t]!] === y[i]) same++
    if (same >= 3) agree++
    asked++
  }
  return agree / asked
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 100_000)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'studio-bench-map-'))
  try {
    // 1. n images through the worker, as the studio builds a project's map.
    const { X, y } = clusters(n, 20, 1)
    const cache = await EmbeddingCache.open(dir, { modelSha256: 'c'.repeat(64), preprocessHash: 'd'.repeat(64), dim: X.cols, scoresDim: 0 })
    const ids = Array.from({ length: n }, (_, i) => `img${i}`)
    for (let i0 = 0; i0 < n; i0 += 5000) {
      const rows = ids.slice(i0, i0 + 5000).map((id, k) => ({ id, embedding: X.data.subarray((i0 + k) * X.cols, (i0 + k + 1) * X.cols) }))
      await cache.append(rows)
    }
    await cache.close()
    const stages: Record<string, number> = {}
    let stage = ''
    let stageStart = performance.now()
    let stall = 0
    let tick = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      stall = Math.max(stall, now - tick - 50)
      tick = now
    }, 50)
    const t0 = performance.now()
    const result = await buildMapInWorker({ cacheFile: cache.file, ids }, (s) => {
      if (s === stage) return
      const now = performance.now()
      if (stage) stages[stage] = (now - stageStart) / 1000
      stage = s
      stageStart = now
      console.log(`  ${((now - t0) / 1000).toFixed(1)} s: ${s}`)
    })
    const total = (performance.now() - t0) / 1000
    stages[stage] = (performance.now() - stageStart) / 1000
    clearInterval(timer)
    const scaled = { images: n, seconds: total, stages, mainThreadLongestStallMs: Math.round(stall), agreement: agreement(result.coords, y), landmarks: result.landmarks }
    console.log(`${n.toLocaleString()} images: ${total.toFixed(1)} s, main thread's longest stall ${Math.round(stall)} ms, 5-NN agreement ${scaled.agreement.toFixed(3)}`)

    // 2. Landmarks against laying out everything, side by side on 20,000 images.
    const small = clusters(20_000, 20, 2)
    let t = performance.now()
    const withLandmarks = buildMap(small.X, { landmarks: 8000 })
    const landmarkSeconds = (performance.now() - t) / 1000
    t = performance.now()
    const everything = buildMap(small.X, { landmarks: 20_000 })
    const fullSeconds = (performance.now() - t) / 1000
    const side = {
      images: 20_000,
      landmarkSeconds,
      fullSeconds,
      fullOverLandmarks: fullSeconds / landmarkSeconds,
      landmarkAgreement: agreement(withLandmarks.coords, small.y),
      fullAgreement: agreement(everything.coords, small.y),
    }
    console.log(`20,000 images: all laid out takes ${side.fullOverLandmarks.toFixed(2)}x the landmark map; agreement ${side.fullAgreement.toFixed(3)} vs ${side.landmarkAgreement.toFixed(3)}`)

    const out = path.join(here, 'results', 'map.json')
    await mkdir(path.dirname(out), { recursive: true })
    await writeFile(out, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadAverage: os.loadavg()[0], scaled, sideBySide: side }, null, 2) + '\n')
    console.log(`written ${path.relative(process.cwd(), out)}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
