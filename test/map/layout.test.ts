/**
 * The embedding map: PCA finds the true principal axes; clusters that are apart in the embedding
 * stay apart in 2-D (on synthetic Gaussians and on the real teacher's embeddings of ants and bees);
 * the layout is repeatable from its seed, in-process and in a worker thread; a cancel stops it.
 */
import { describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildMap, walkGraph } from '../../main/engine/map/layout'
import { buildMapInWorker } from '../../main/engine/map/in-worker'
import { fitPca, projectPca, symmetricEigen } from '../../main/engine/math/pca'
import { evalEmbeddings } from '../../main/engine/selftrain/eval-embed'
import { kmeansPlusPlus } from '../../main/engine/math/kmeans'
import { knnGraph, similar } from '../../main/engine/math/knn'
import { gaussian, matrix, rng, takeRows, type Matrix } from '../../main/engine/math/linalg'
import { EmbeddingCache } from '../../main/engine/teacher/cache'
import { dataset } from '../shared'
import { mixture } from '../selftrain/synthetic'

/** Share of points whose `k` nearest neighbours in 2-D mostly have the point's own class. */
function knnAgreement(coords: Float32Array, y: ArrayLike<number>, k = 5): number {
  const n = y.length
  let agree = 0
  const d = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[j] = j === i ? Infinity : (coords[2 * i]! - coords[2 * j]!) ** 2 + (coords[2 * i + 1]! - coords[2 * j + 1]!) ** 2
    const near = Array.from(d.keys())
      .sort((a, b) => d[a]! - d[b]!)
      .slice(0, k)
    if (near.filter((j) => y[j] === y[i]).length * 2 > k) agree++
  }
  return agree / n
}

/** Non-negative, heavy-tailed clusters in 1280-d, like pooled ReLU features. */
function reluClusters(classes: number, perClass: number, seed: number): { X: Matrix; y: Int32Array } {
  const { X, y } = mixture({ classes, perClass, dim: 1280, spread: 0.04, seed })
  for (let i = 0; i < X.data.length; i++) X.data[i] = Math.max(0, X.data[i]!) * 3
  return { X, y }
}

describe('PCA', () => {
  it('finds the principal axes and their variances that an exact eigensolve gives', () => {
    const n = 600
    const d = 24
    const r = rng(5)
    // Independent axes with decreasing spread, then a random rotation.
    const scales = Array.from({ length: d }, (_, j) => 4 / (j + 1))
    // The eigenvectors of a random symmetric matrix: a random orthogonal Q.
    const G = Float64Array.from({ length: d * d }, () => gaussian(r))
    const S = G.map((v, t) => (v + G[(t % d) * d + Math.floor(t / d)]!) / 2)
    const Q = matrix(d, d, Float32Array.from(symmetricEigen(S, d).vectors))
    const X = matrix(n, d)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const z = scales[j]! * gaussian(r)
        for (let c = 0; c < d; c++) X.data[i * d + c] = X.data[i * d + c]! + z * Q.data[c * d + j]!
      }
    const pca = fitPca(X, 5, { seed: 2 })
    // The exact covariance and its eigenvectors.
    const mean = new Float64Array(d)
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] = mean[c]! + X.data[i * d + c]! / n
    const C = new Float64Array(d * d)
    for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a * d + b] = C[a * d + b]! + ((X.data[i * d + a]! - mean[a]!) * (X.data[i * d + b]! - mean[b]!)) / (n - 1)
    const exact = symmetricEigen(C, d)
    const order = Array.from(exact.values.keys()).sort((a, b) => exact.values[b]! - exact.values[a]!)
    for (let r2 = 0; r2 < 5; r2++) {
      const e = order[r2]!
      let dotp = 0
      for (let c = 0; c < d; c++) dotp += pca.components.data[r2 * d + c]! * exact.vectors[c * d + e]!
      expect(Math.abs(dotp)).toBeGreaterThan(0.99)
      expect(pca.variance[r2]).toBeCloseTo(exact.values[e]!, 1)
    }
    // Coordinates on the components are centred and uncorrelated.
    const P = projectPca(pca, X)
    let s01 = 0
    let s0 = 0
    for (let i = 0; i < n; i++) {
      s0 += P.data[i * 5]!
      s01 += P.data[i * 5]! * P.data[i * 5 + 1]!
    }
    expect(Math.abs(s0 / n)).toBeLessThan(1e-3)
    expect(Math.abs(s01 / n)).toBeLessThan(1e-2)
  })
})

describe('embedding map', () => {
  it('keeps separate clusters apart, in [0, 1], repeatably from its seed', () => {
    const { X, y } = reluClusters(8, 80, 3)
    const stages = new Set<string>()
    const a = buildMap(X, { seed: 4 }, (stage) => stages.add(stage))
    expect(a.coords.length).toBe(2 * X.rows)
    for (const v of a.coords) {
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThanOrEqual(1)
    }
    expect(knnAgreement(a.coords, y)).toBeGreaterThan(0.97)
    expect([...stages]).toEqual(['projecting', 'finding neighbours', 'laying out'])
    expect(Array.from(buildMap(X, { seed: 4 }).coords)).toEqual(Array.from(a.coords))
    expect(Array.from(buildMap(X, { seed: 5 }).coords)).not.toEqual(Array.from(a.coords))
  })

  it('places the images beyond the landmarks among their own cluster', () => {
    const { X, y } = reluClusters(6, 300, 7)
    const stages = new Set<string>()
    const m = buildMap(X, { landmarks: 400, seed: 1 }, (stage) => stages.add(stage))
    expect(m.landmarks.length).toBe(400)
    expect(stages.has('placing')).toBe(true)
    expect(knnAgreement(m.coords, y)).toBeGreaterThan(0.95)
  })

  it('finds nearly the exact nearest landmarks by walking their kNN graph, from k-means++ pivots', () => {
    // Tight clusters (a graph with no edges between them: every cluster needs a pivot) and loose ones.
    for (const spread of [0.6, 1.2]) {
      // One mixture split in two: landmarks and the points to place, from the same clusters.
      const { X } = mixture({ classes: 12, perClass: 340, dim: 50, spread, seed: 8 })
      const L = matrix(3600, 50, X.data.slice(0, 3600 * 50))
      const Q = matrix(480, 50, X.data.slice(3600 * 50))
      const k = 8
      const exact = similar(L, Q, k)
      const pivots = kmeansPlusPlus(L, 256, 1)
      const start = similar(takeRows(L, pivots), Q, 4)
      for (let t = 0; t < start.index.length; t++) start.index[t] = pivots[start.index[t]!]!
      const walked = walkGraph(L, knnGraph(L, 15), Q, start.index, 4, k)
      let hits = 0
      for (let q = 0; q < Q.rows; q++) {
        const want = new Set(exact.index.subarray(q * k, (q + 1) * k))
        for (const j of walked.index.subarray(q * k, (q + 1) * k)) if (want.has(j)) hits++
      }
      expect(hits / (Q.rows * k)).toBeGreaterThan(0.9)
      // Similarities come back sorted, best first, like the exact search's.
      for (let q = 0; q < Q.rows; q++) for (let t = 1; t < k; t++) expect(walked.sim[q * k + t]!).toBeLessThanOrEqual(walked.sim[q * k + t - 1]!)
    }
  })

  it('walks the graph to place the images beyond many landmarks', () => {
    const { X, y } = reluClusters(6, 450, 13)
    const m = buildMap(X, { landmarks: 2100, epochs: 100, seed: 1 })
    expect(m.landmarks.length).toBe(2100)
    expect(knnAgreement(m.coords, y)).toBeGreaterThan(0.95)
  })

  it('separates ants from bees on the real teacher embeddings about as well as the embedding does', async () => {
    const e = await evalEmbeddings(dataset('hymenoptera'))
    const n = e.pool.labels.length + e.test.labels.length
    const X = matrix(n, e.pool.dim, Float32Array.from([...e.pool.data, ...e.test.data]))
    const y = Int32Array.from([...e.pool.labels, ...e.test.labels])
    const m = buildMap(X)
    // The same agreement in the teacher's own space (cosine on the head's features) as a yardstick.
    const unit = matrix(n, X.cols, Float32Array.from(X.data))
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < X.cols; j++) s += unit.data[i * X.cols + j]! ** 2
      for (let j = 0; j < X.cols; j++) unit.data[i * X.cols + j] = unit.data[i * X.cols + j]! / Math.sqrt(s)
    }
    let agreeHigh = 0
    for (let i = 0; i < n; i++) {
      const sims = Array.from({ length: n }, (_, j) => {
        let s = 0
        for (let t = 0; t < X.cols; t++) s += unit.data[i * X.cols + t]! * unit.data[j * X.cols + t]!
        return j === i ? -Infinity : s
      })
      const near = Array.from(sims.keys())
        .sort((a, b) => sims[b]! - sims[a]!)
        .slice(0, 5)
      if (near.filter((j) => y[j] === y[i]).length >= 3) agreeHigh++
    }
    const high = agreeHigh / n
    const flat = knnAgreement(m.coords, y)
    expect(flat).toBeGreaterThan(0.8)
    expect(flat).toBeGreaterThan(high - 0.08)
  }, 300_000)
})

describe('map in a worker', () => {
  async function syntheticCache(X: Matrix): Promise<{ file: string; ids: string[]; done: () => Promise<void> }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'studio-map-'))
    const cache = await EmbeddingCache.open(dir, { modelSha256: 'a'.repeat(64), preprocessHash: 'b'.repeat(64), dim: X.cols, scoresDim: 0 })
    const ids = Array.from({ length: X.rows }, (_, i) => `img${String(i).padStart(5, '0')}`)
    await cache.append(ids.map((id, i) => ({ id, embedding: X.data.subarray(i * X.cols, (i + 1) * X.cols) })))
    await cache.close()
    return { file: cache.file, ids, done: () => rm(dir, { recursive: true, force: true }) }
  }

  it('reads the cache itself and gives the same map as in-process, reporting each stage', async () => {
    const { X } = reluClusters(4, 60, 11)
    const c = await syntheticCache(X)
    try {
      const stages: string[] = []
      // Ask for the rows in reverse and one id the cache lacks: the result follows the ids found.
      const ids = [...c.ids].reverse()
      const r = await buildMapInWorker({ cacheFile: c.file, ids: [...ids, 'missing'], options: { seed: 2 } }, (s) => stages.at(-1) !== s && stages.push(s))
      expect(r.ids).toEqual(ids)
      const reversed = matrix(X.rows, X.cols)
      for (let i = 0; i < X.rows; i++) reversed.data.set(X.data.subarray((X.rows - 1 - i) * X.cols, (X.rows - i) * X.cols), i * X.cols)
      expect(Array.from(r.coords)).toEqual(Array.from(buildMap(reversed, { seed: 2 }).coords))
      expect(stages).toEqual(['reading embeddings', 'projecting', 'finding neighbours', 'laying out'])
    } finally {
      await c.done()
    }
  })

  it('stops when cancelled, with the cancel as the reason', async () => {
    const { X } = reluClusters(4, 400, 12)
    const c = await syntheticCache(X)
    try {
      const abort = new AbortController()
      const started = Date.now()
      const run = buildMapInWorker({ cacheFile: c.file, ids: c.ids, options: { epochs: 100_000 } }, (stage) => {
        if (stage === 'laying out') abort.abort(new Error('cancelled by the test'))
      }, abort.signal)
      await expect(run).rejects.toThrow('cancelled by the test')
      expect(Date.now() - started).toBeLessThan(30_000)
    } finally {
      await c.done()
    }
  })
})
