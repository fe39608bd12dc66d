import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EmbeddingCache, loadEmbeddings } from '../../main/engine/teacher/cache'
import { SimilarityIndex } from '../../main/engine/selftrain/similar-index'
import { applyFeatures, fitFeatures } from '../../main/engine/selftrain/features'
import { similar } from '../../main/engine/math/knn'
import { matrix, rng } from '../../main/engine/math/linalg'

const dir = mkdtempSync(path.join(tmpdir(), 'pls-similar-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A cache of `n` clustered, non-negative embeddings (d not a multiple of 4: the kernel's padding). */
async function cache(n: number, d: number): Promise<string> {
  const r = rng(11)
  const centres = Array.from({ length: 7 }, () => Float32Array.from({ length: d }, () => r() * 2))
  const c = await EmbeddingCache.open(dir, { modelSha256: 'a'.repeat(64), preprocessHash: `${n}`.padEnd(64, 'b'), dim: d, scoresDim: 0 })
  for (let i0 = 0; i0 < n; i0 += 400) {
    await c.append(Array.from({ length: Math.min(400, n - i0) }, (_, j) => ({ id: `image-${i0 + j}`, embedding: Float32Array.from(centres[(i0 + j) % 7]!, (v) => Math.max(0, v + r() - 0.5)) })))
  }
  await c.close()
  return c.file
}

describe('the similarity index', () => {
  it('finds what the plain features and exact search find, and reports its loading', async () => {
    const file = await cache(1500, 37)
    const reports: [number, number][] = []
    const index = new SimilarityIndex((done, total) => reports.push([done, total]))
    try {
      const emb = await loadEmbeddings(file, { scores: false })
      const pool = matrix(emb.ids.length, emb.dim, emb.data)
      const X = applyFeatures(fitFeatures(pool), pool)
      for (const q of [0, 777, 1499]) {
        const got = await index.query(file, 'state 1', `image-${q}`, 25)
        const want = similar(X, matrix(1, X.cols, X.data.slice(q * X.cols, (q + 1) * X.cols)), 25)
        expect(got.map((g) => g.hash)).toEqual(Array.from(want.index, (i) => emb.ids[i]))
        got.forEach((g, j) => expect(g.similarity).toBeCloseTo(want.sim[j]!, 5))
        expect(got[0]!.hash).toBe(`image-${q}`)
      }
      // loaded once for the three queries: from 0 to all 1,500 rows
      expect(reports[0]).toEqual([0, 1500])
      expect(reports.at(-1)).toEqual([1500, 1500])
      expect(reports.filter(([done]) => done === 0)).toHaveLength(1)
      expect(await index.query(file, 'state 1', 'no such image', 5)).toEqual([])
    } finally {
      index.close()
    }
  })

  it('gives the exact top-k, ties to the earlier image, while scoring few rows exactly', async () => {
    // tight clusters with exact duplicates (ties), a zero row and rows at the pool's mean: the
    // cases where the rearranged similarity the worker searches with is least accurate
    const n = 4000
    const d = 130
    const r = rng(5)
    const centres = Array.from({ length: 5 }, () => Float32Array.from({ length: d }, () => r() * 2))
    const rows: Float32Array[] = []
    for (let i = 0; i < n; i++) {
      if (i % 97 === 3) rows.push(new Float32Array(d))
      else if (i % 50 === 7) rows.push(rows[i - 1]!.slice())
      else rows.push(Float32Array.from(centres[i % 5]!, (v) => Math.max(0, v + (r() - 0.5) * 0.2)))
    }
    const c = await EmbeddingCache.open(path.join(dir, 'exact'), { modelSha256: 'e'.repeat(64), preprocessHash: 'f'.repeat(64), dim: d, scoresDim: 0 })
    await c.append(rows.map((embedding, i) => ({ id: `image-${i}`, embedding })))
    await c.close()
    const pool = matrix(n, d, Float32Array.from(rows.flatMap((x) => Array.from(x))))
    const X = applyFeatures(fitFeatures(pool), pool)
    const index = new SimilarityIndex()
    try {
      for (const [q, k] of [[6, 60], [7, 200], [3, 10], [1234, 150], [3999, 1]] as const) {
        const got = await index.query(c.file, 'exact', `image-${q}`, k)
        const want = similar(X, matrix(1, d, X.data.slice(q * d, (q + 1) * d)), k)
        expect(got.map((g) => g.hash)).toEqual(Array.from(want.index, (i) => `image-${i}`))
        got.forEach((g, j) => expect(g.similarity).toBeCloseTo(want.sim[j]!, 5))
        // the search pruned: far fewer rows than all were centred and scored again
        expect(index.lastCandidates).toBeLessThan(n / 4)
        expect(index.lastCandidates).toBeGreaterThanOrEqual(k)
      }
    } finally {
      index.close()
    }
  })

  it('a load that starts while another runs does not mix their rows (the worker takes one request at a time)', async () => {
    const first = await cache(3000, 64)
    const second = await cache(3003, 64)
    const index = new SimilarityIndex()
    try {
      // the second file fits in the first's memory: run together, both would write the same rows
      const a = index.load(first, 'first')
      const b = index.load(second, 'second')
      await Promise.all([a, b])
      const emb = await loadEmbeddings(second, { scores: false })
      const pool = matrix(emb.ids.length, emb.dim, emb.data)
      const X = applyFeatures(fitFeatures(pool), pool)
      const got = await index.query(second, 'second', 'image-5', 10)
      const want = similar(X, matrix(1, X.cols, X.data.slice(5 * X.cols, 6 * X.cols)), 10)
      expect(got.map((g) => g.hash)).toEqual(Array.from(want.index, (i) => emb.ids[i]))
      got.forEach((g, j) => expect(g.similarity).toBeCloseTo(want.sim[j]!, 5))
    } finally {
      index.close()
    }
  })

  it('loads ahead of the first query, once per cache state', async () => {
    const file = await cache(600, 64)
    const reports: number[] = []
    const index = new SimilarityIndex((done) => reports.push(done))
    try {
      await index.load(file, 'state A')
      const starts = reports.filter((d) => d === 0).length
      expect(starts).toBe(1)
      await index.query(file, 'state A', 'image-3', 5)
      expect(reports.filter((d) => d === 0).length).toBe(1)
      // a new state (the teacher embedded more images) is read afresh
      await index.query(file, 'state B', 'image-3', 5)
      expect(reports.filter((d) => d === 0).length).toBe(2)
    } finally {
      index.close()
    }
  })
})
