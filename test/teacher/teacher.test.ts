import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHARED, TEST_TEACHER, dataset } from '../shared'
import { EmbeddingCache, ManifestError, OnnxError, Teacher, candidatesFor, embedImages, loadEmbeddings, loadManifest, openCacheFor, parseManifest } from '../../main/engine/teacher'
import type { EmbedItem, LoadedManifest } from '../../main/engine/teacher'
import { decodeInto } from '../../main/engine/teacher/preprocess'
import { editGraph, summarize } from '../../main/engine/teacher/onnx-graph'
import { EMBEDDING, PIXELS } from '../../main/engine/teacher/model'
import { run as cli } from '../../main/cli/embed'

const MODEL = 'mobilenetv2-12-int8'
let tmp: string
let teacher: Teacher
let loaded: LoadedManifest

/** The first `n` images of each class folder of a dataset's pool, ids = sha256 of the bytes. */
async function sample(name: string, perClass: number): Promise<EmbedItem[]> {
  const pool = path.join(dataset(name), 'pool')
  const items: EmbedItem[] = []
  for (const cls of (await readdir(pool)).sort()) {
    for (const f of (await readdir(path.join(pool, cls))).sort().slice(0, perClass)) {
      const absPath = path.join(pool, cls, f)
      items.push({ id: createHash('sha256').update(await readFile(absPath)).digest('hex'), absPath })
    }
  }
  return items
}

/** A manifest like the shipped one with `patch` applied, pointing at `file`. */
async function variant(patch: (m: Record<string, any>) => void, file = TEST_TEACHER): Promise<LoadedManifest> {
  const m = JSON.parse(JSON.stringify(loaded.manifest)) as Record<string, any>
  m.file.path = file
  patch(m)
  return { manifest: parseManifest(m) }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'teacher-test-'))
  loaded = await loadManifest(MODEL)
  teacher = await Teacher.open(loaded, { cacheDir: path.join(tmp, 'models'), provider: 'cpu', intraOpThreads: 1 })
})
afterAll(async () => {
  await teacher?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('teacher model', () => {
  it('classifies the house finch as ImageNet class 12 with the shipped manifest', async () => {
    const pixels = new Uint8Array(224 * 224 * 3)
    await decodeInto(path.join(SHARED, 'models/imagenet-finch.jpg'), teacher.manifest.preprocess, teacher.size, pixels, 0)
    const { embeddings, scores } = await teacher.infer(pixels, 1)
    expect(embeddings.length).toBe(1280)
    expect(scores?.length).toBe(1000)
    const s = scores as Float32Array
    expect(s.indexOf(Math.max(...s))).toBe(12)
    // A dequantised average-pool output: non-negative (after ReLU6), not all zero.
    expect(Math.min(...embeddings)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...embeddings)).toBeGreaterThan(0)
  })

  it('reports which provider took the nodes after the first batch', () => {
    const nodes = teacher.provider.nodes
    expect(nodes).toBeDefined()
    expect(nodes?.CPUExecutionProvider).toBeGreaterThan(70)
  })

  it('edits the graph: pixels in, embedding out; an empty edit keeps every byte', async () => {
    const src = await readFile(TEST_TEACHER)
    expect(Buffer.compare(Buffer.from(editGraph(src, {})), src)).toBe(0)
    const g = summarize(teacher.model.bytes)
    expect(g.inputs.map((i) => i.name)).toEqual([PIXELS])
    expect(g.inputs[0]?.dtype).toBe('uint8')
    expect(g.outputs.map((o) => o.name)).toContain(EMBEDDING)
    expect(g.outputs.map((o) => o.name)).toContain('output')
  })

  it('caches the edited model by the source sha256', async () => {
    const files = await readdir(path.join(tmp, 'models'))
    expect(files).toEqual([path.basename(teacher.model.editedPath)])
    expect(files[0]?.startsWith('83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f-')).toBe(true)
  })
})

describe('manifest and model errors', () => {
  it('names the bad fields of an invalid manifest', () => {
    const m = JSON.parse(JSON.stringify(loaded.manifest)) as Record<string, any>
    delete m.file.sha256
    m.input.layout = 'CHWN'
    expect(() => parseManifest(m, 'x.json')).toThrow(ManifestError)
    expect(() => parseManifest(m, 'x.json')).toThrow(/file\.sha256[\s\S]*input\.layout|input\.layout[\s\S]*file\.sha256/)
  })

  it('rejects a corrupt .onnx file with a clear error', async () => {
    const bad = path.join(tmp, 'corrupt.onnx')
    const bytes = (await readFile(TEST_TEACHER)).subarray(0, 200_000) // a truncated download
    await writeFile(bad, bytes)
    const sha = createHash('sha256').update(bytes).digest('hex')
    const m = await variant((x) => (x.file.sha256 = sha), bad)
    await expect(Teacher.open(m, { cacheDir: path.join(tmp, 'm2'), provider: 'cpu' })).rejects.toThrow(OnnxError)
    await expect(Teacher.open(m, { cacheDir: path.join(tmp, 'm2'), provider: 'cpu' })).rejects.toThrow(/corrupt\.onnx: not an ONNX model/)
  })

  it('rejects a model file whose sha256 differs from the manifest', async () => {
    const m = await variant((x) => (x.file.sha256 = '0'.repeat(64)))
    await expect(Teacher.open(m, { cacheDir: path.join(tmp, 'm2'), provider: 'cpu' })).rejects.toThrow(/file\.sha256/)
  })

  it('rejects a manifest naming a tensor that does not exist', async () => {
    const m = await variant((x) => (x.outputs.embedding.tensor = '999_quantized'))
    await expect(Teacher.open(m, { cacheDir: path.join(tmp, 'm2'), provider: 'cpu' })).rejects.toThrow(/outputs\.embedding\.tensor: tensor "999_quantized" does not exist/)
  })

  it('rejects a wrong input size', async () => {
    const m = await variant((x) => {
      x.input.size = [200, 200]
      x.preprocess.resizeTo = 230
    })
    await expect(Teacher.open(m, { cacheDir: path.join(tmp, 'm2'), provider: 'cpu' })).rejects.toThrow(/input\.size is \[200,200\].*\[batch_size,3,224,224\]/)
  })

  it('rejects an unknown model id', async () => {
    await expect(loadManifest('no-such-teacher')).rejects.toThrow(/no teacher manifest "no-such-teacher"/)
  })
})

describe('providers', () => {
  it('orders auto by platform and always ends on the cpu', () => {
    expect(candidatesFor('auto', 'linux')).toEqual(['cuda', 'webgpu', 'cpu'])
    expect(candidatesFor('auto', 'win32')).toEqual(['dml', 'webgpu', 'cpu'])
    expect(candidatesFor('auto', 'darwin')).toEqual(['coreml', 'webgpu', 'cpu'])
    expect(candidatesFor('cuda')).toEqual(['cuda', 'cpu'])
    expect(candidatesFor('cpu')).toEqual(['cpu'])
  })

  it('falls back from an unavailable provider to the cpu and says why', async () => {
    const t = await Teacher.open(loaded, { cacheDir: path.join(tmp, 'models'), provider: 'cuda', reportNodes: false })
    try {
      const p = t.provider
      expect(p.requested).toBe('cuda')
      if (p.used === 'cuda') return // a machine with the CUDA provider installed: nothing to fall back from
      expect(p.used).toBe('cpu')
      expect(p.attempts[0]).toMatchObject({ provider: 'cuda', ok: false })
      expect(p.attempts[0]?.error).toMatch(/\S/)
      expect(p.attempts[1]).toMatchObject({ provider: 'cpu', ok: true })
      expect(p.fallback).toMatch(/^running on cpu: cuda unavailable \(.+\)/)
    } finally {
      await t.close()
    }
  })
})

describe('embedding pass and cache', () => {
  let items: EmbedItem[]
  beforeAll(async () => {
    items = await sample('cifar10-small', 3) // 30 images
  })

  async function pass(dir: string, its: EmbedItem[], opts: Parameters<typeof embedImages>[3] = {}) {
    const cache = await openCacheFor(teacher, dir)
    try {
      return await embedImages(teacher, cache, its, { batchSize: 8, ...opts })
    } finally {
      await cache.close()
    }
  }
  const fileOf = (dir: string) => path.join(dir, 'embeddings', `${teacher.model.modelSha256.slice(0, 16)}-${teacher.model.preprocessHash.slice(0, 16)}.emb`)

  it('gives the same embeddings in a batch as one image at a time', async () => {
    const few = (await sample('hymenoptera', 3)).slice(0, 6)
    await pass(path.join(tmp, 'b8'), few, { batchSize: 6 })
    await pass(path.join(tmp, 'b1'), few, { batchSize: 1 })
    const a = await loadEmbeddings(fileOf(path.join(tmp, 'b8')))
    const b = await loadEmbeddings(fileOf(path.join(tmp, 'b1')), { ids: a.ids })
    expect(a.ids.length).toBe(6)
    expect(b.ids).toEqual(a.ids)
    let max = 0
    for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs((a.data[i] as number) - (b.data[i] as number)))
    expect(max).toBeLessThanOrEqual(1e-4)
    expect(a.data.some((v) => v !== 0)).toBe(true)
  })

  it('a cancelled-then-resumed pass leaves the same cache as an uninterrupted one', async () => {
    const whole = path.join(tmp, 'whole')
    const s = await pass(whole, items)
    expect(s.embedded).toBe(30)
    expect(s.skipped).toBe(0)

    const resumed = path.join(tmp, 'resumed')
    const ac = new AbortController()
    await expect(pass(resumed, items, { signal: ac.signal, onProgress: (p) => p.embedded >= 16 && ac.abort() })).rejects.toThrow(/abort/i)
    const partial = await loadEmbeddings(fileOf(resumed))
    expect(partial.ids.length).toBe(16)
    const progress: number[] = []
    const s2 = await pass(resumed, items, { onProgress: (p) => progress.push(p.done) })
    expect(s2.skipped).toBe(16)
    expect(s2.embedded).toBe(14)
    expect(progress[0]).toBe(16)
    expect(progress.at(-1)).toBe(30)
    expect(Buffer.compare(await readFile(fileOf(resumed)), await readFile(fileOf(whole)))).toBe(0)

    // New images only: a third run over a larger list embeds just the new ones.
    const more = [...items, ...(await sample('cifar10-small', 4)).filter((it) => !items.some((x) => x.id === it.id))]
    const s3 = await pass(resumed, more)
    expect(s3.skipped).toBe(30)
    expect(s3.embedded).toBe(more.length - 30)
  })

  it('detects a torn last record and redoes it', async () => {
    const dir = path.join(tmp, 'torn')
    const ten = items.slice(0, 10)
    await pass(dir, ten)
    const file = fileOf(dir)
    const clean = await readFile(file)
    const rec = (clean.length - 4096) / 10
    // A crash in the middle of the 10th record: its second half never reached the disk.
    await writeFile(file, clean.subarray(0, clean.length - Math.floor(rec / 2)))
    const key = { modelSha256: teacher.model.modelSha256, preprocessHash: teacher.model.preprocessHash, dim: 1280, scoresDim: 1000 }
    let c = await EmbeddingCache.open(path.join(dir, 'embeddings'), key)
    expect(c.opened.records).toBe(9)
    expect(c.opened.truncatedBytes).toBe(rec - Math.floor(rec / 2))
    await c.close()
    // A full-length last record with damaged bytes (the size was written, the data was not).
    const damaged = Buffer.from(clean)
    damaged.fill(0, damaged.length - 100, damaged.length - 50)
    await writeFile(file, damaged)
    c = await EmbeddingCache.open(path.join(dir, 'embeddings'), key)
    expect(c.opened.records).toBe(9)
    expect(c.has(ten[9]!.id)).toBe(false)
    await c.close()
    const s = await pass(dir, ten)
    expect(s.embedded).toBe(1)
    expect(Buffer.compare(await readFile(file), clean)).toBe(0)
  })

  it('loads embeddings and logits as one matrix, optionally for chosen ids in order', async () => {
    const file = fileOf(path.join(tmp, 'whole'))
    const all = await loadEmbeddings(file)
    expect(all.ids.length).toBe(30)
    expect(all.dim).toBe(1280)
    expect(all.data.length).toBe(30 * 1280)
    expect(all.logits?.length).toBe(30 * 1000)
    const pick = [items[5]!.id, 'not-there', items[2]!.id]
    const some = await loadEmbeddings(file, { ids: pick, scores: false })
    expect(some.ids).toEqual([items[5]!.id, items[2]!.id])
    expect(some.logits).toBeUndefined()
    const row = all.ids.indexOf(items[2]!.id)
    expect(Array.from(some.data.subarray(1280, 2560))).toEqual(Array.from(all.data.subarray(row * 1280, (row + 1) * 1280)))
  })

  it('reports an undecodable image and keeps going', async () => {
    const bad = path.join(tmp, 'bad.jpg')
    await writeFile(bad, 'not a jpeg')
    const s = await pass(path.join(tmp, 'bad'), [{ id: 'bad', absPath: bad }, items[0]!])
    expect(s.embedded).toBe(1)
    expect(s.failed).toHaveLength(1)
    expect(s.failed[0]?.id).toBe('bad')
  })
})

describe('embed CLI', () => {
  it('embeds a folder, resumes, and uses documented exit codes', async () => {
    const folder = path.join(tmp, 'cli-folder')
    await mkdir(folder, { recursive: true })
    for (const it of (await sample('hymenoptera', 2)).slice(0, 3)) await copyFile(it.absPath, path.join(folder, path.basename(it.absPath)))
    const cacheDir = path.join(tmp, 'cli-cache')
    const args = [folder, '--provider', 'cpu', '--threads', '1', '--cache-dir', cacheDir]
    expect(await cli(args)).toBe(0)
    const emb = (await readdir(path.join(cacheDir, 'embeddings')))[0] as string
    expect((await loadEmbeddings(path.join(cacheDir, 'embeddings', emb))).ids).toHaveLength(3)
    const size = (await stat(path.join(cacheDir, 'embeddings', emb))).size
    expect(await cli(args)).toBe(0) // everything cached: nothing appended
    expect((await stat(path.join(cacheDir, 'embeddings', emb))).size).toBe(size)
    expect(await cli([])).toBe(2)
    expect(await cli([folder, '--provider', 'tpu'])).toBe(2)
    expect(await cli([path.join(tmp, 'no-such-folder')])).toBe(2)
    expect(await cli([folder, '--model', 'no-such-teacher', '--cache-dir', cacheDir])).toBe(2)
  })
})
