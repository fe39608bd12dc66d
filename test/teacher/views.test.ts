import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataset } from '../shared'
import { AUGMENT_RECIPE, augmentInto, embedImages, loadEmbeddings, openCacheFor, openViewCachesFor, Teacher, viewCacheFiles, viewCacheKey, type EmbedItem } from '../../main/engine/teacher'
import { decodeInto } from '../../main/engine/teacher/preprocess'

let tmp: string
let teacher: Teacher

/** The first `perClass` hymenoptera pool photos of each class, ids = sha256 of the bytes. */
async function sample(perClass: number): Promise<EmbedItem[]> {
  const pool = path.join(dataset('hymenoptera'), 'pool')
  const items: EmbedItem[] = []
  for (const cls of (await readdir(pool)).sort())
    for (const f of (await readdir(path.join(pool, cls))).sort().slice(0, perClass)) {
      const absPath = path.join(pool, cls, f)
      items.push({ id: createHash('sha256').update(await readFile(absPath)).digest('hex'), absPath })
    }
  return items
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'views-test-'))
  teacher = await Teacher.open('mobilenetv2-12-int8', { cacheDir: path.join(tmp, 'models'), provider: 'cpu', intraOpThreads: 1, reportNodes: false })
})
afterAll(async () => {
  await teacher?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('augmented views', () => {
  it('are the same for the same (image, view), differ between views and from the clean image', async () => {
    const [item] = await sample(1)
    const size = teacher.size
    const per = size[0] * size[1] * 3
    const clean = new Uint8Array(per)
    await decodeInto(item!.absPath, teacher.manifest.preprocess, size, clean, 0)
    const before = clean.slice()
    const view = (v: number, id = item!.id) => {
      const out = new Uint8Array(per)
      augmentInto(clean, 0, size, id, v, out, 0)
      return out
    }
    const meanAbs = (a: Uint8Array, b: Uint8Array) => a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length
    const v0 = view(0)
    expect(view(0)).toEqual(v0)
    expect(clean).toEqual(before) // the source is not changed
    // a view is a different picture of the same image: changed pixels, not noise
    expect(meanAbs(v0, clean)).toBeGreaterThan(2)
    expect(meanAbs(view(1), v0)).toBeGreaterThan(2)
    // seeded by the image too: another image id gives another view 0
    expect(meanAbs(view(0, 'f'.repeat(64)), v0)).toBeGreaterThan(2)
  })

  it('keys each view cache by the recipe and the view index, not by how many views there are', () => {
    const key = { modelSha256: 'a'.repeat(64), preprocessHash: 'b'.repeat(64), dim: 4, scoresDim: 0 }
    const k0 = viewCacheKey(key, 0).preprocessHash
    expect(viewCacheKey(key, 0).preprocessHash).toBe(k0)
    expect(viewCacheKey(key, 1).preprocessHash).not.toBe(k0)
    expect(viewCacheKey({ ...key, preprocessHash: 'c'.repeat(64) }, 0).preprocessHash).not.toBe(k0)
    expect(k0).not.toBe(key.preprocessHash)
    expect(AUGMENT_RECIPE.version).toBe(2)
  })

  it('embeds only what is missing: a second pass nothing, K 2 -> 3 only the third view', async () => {
    const items = await sample(3)
    const pass = async (views: number) => {
      const cache = await openCacheFor(teacher, tmp)
      const caches = await openViewCachesFor(teacher, tmp, views)
      try {
        return await embedImages(teacher, cache, items, { batchSize: 5, views: caches })
      } finally {
        await cache.close()
        for (const c of caches) await c.close()
      }
    }
    const first = await pass(2)
    expect(first.embedded).toBe(items.length)
    expect(first.viewsEmbedded).toEqual([items.length, items.length])
    expect(first.failed).toEqual([])

    const again = await pass(2)
    expect(again.embedded).toBe(0)
    expect(again.skipped).toBe(items.length)
    expect(again.viewsEmbedded).toEqual([0, 0])

    const more = await pass(3)
    expect(more.viewsEmbedded).toEqual([0, 0, items.length])
    expect(more.embedded).toBe(items.length) // each image had its third view to do

    // every view's embedding is there, and differs from the clean one
    const [cleanFile, files] = [first.cacheFile, await viewCacheFiles(first.cacheFile, 3)]
    const clean = await loadEmbeddings(cleanFile, { ids: items.map((i) => i.id), scores: false })
    expect(clean.ids.length).toBe(items.length)
    for (const f of files) {
      const v = await loadEmbeddings(f, { ids: items.map((i) => i.id), scores: false })
      expect(v.ids).toEqual(clean.ids)
      let diff = 0
      for (let j = 0; j < v.data.length; j++) diff += Math.abs(v.data[j]! - clean.data[j]!)
      expect(diff / v.data.length).toBeGreaterThan(1e-3)
    }
    // the same view made in one pass equals the one made alone (batching does not change it)
    const one = await mkdtemp(path.join(tmp, 'one-'))
    const cache = await openCacheFor(teacher, one)
    const [alone] = await openViewCachesFor(teacher, one, 1)
    await embedImages(teacher, cache, items.slice(0, 1), { views: [alone!] })
    await cache.close()
    await alone!.close()
    const a = await loadEmbeddings(alone!.file, { scores: false })
    const b = await loadEmbeddings(files[0]!, { ids: [items[0]!.id], scores: false })
    let gap = 0
    for (let j = 0; j < a.data.length; j++) gap = Math.max(gap, Math.abs(a.data[j]! - b.data[j]!))
    expect(gap).toBeLessThan(1e-4)
  }, 120_000)
})
