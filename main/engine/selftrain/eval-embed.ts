/**
 * Embeddings for the evaluation: every image of <folder>/pool/<class>/* and <folder>/test/<class>/*
 * through the teacher's embedding pass, cached (by content hash) under the OS temp folder unless told
 * otherwise, so a rerun of `eval` skips the teacher.
 */
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DEFAULT_TEACHER } from '../../../preload/vocabulary'
import { embedImages, loadEmbeddings, modelCacheDir, openCacheFor, Teacher } from '../teacher'
import { hashFile } from '../library/identify'
import { IMAGE_EXTENSIONS, mapLimit } from '../library/scan'

export interface SplitEmbeddings {
  classes: string[]
  /** n x dim, row-major, as the teacher gives it (not normalised) */
  data: Float32Array
  dim: number
  labels: Int32Array
  files: string[]
}

export interface EvalEmbeddings {
  pool: SplitEmbeddings
  test: SplitEmbeddings
  model: string
}

/** The images of <folder>/<split>/<class>/*, sorted, with their class index; `classes` fixes the order (the pool's). */
export async function listSplit(folder: string, split: string, classes?: string[]): Promise<{ classes: string[]; files: string[]; labels: number[] }> {
  const root = path.join(folder, split)
  const names = classes ?? (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort()
  const files: string[] = []
  const labels: number[] = []
  for (let c = 0; c < names.length; c++) {
    let entries: string[] = []
    try {
      entries = (await readdir(path.join(root, names[c]!))).filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())).sort()
    } catch {
      // a class with no test folder simply has no test images
    }
    for (const f of entries) {
      files.push(path.join(split, names[c]!, f))
      labels.push(c)
    }
  }
  return { classes: names, files, labels }
}

export async function evalEmbeddings(
  folder: string,
  opts: { model?: string; cacheDir?: string; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<EvalEmbeddings> {
  const model = opts.model ?? DEFAULT_TEACHER
  const abs = path.resolve(folder)
  const pool = await listSplit(abs, 'pool')
  if (pool.classes.length < 2 || pool.files.length === 0) throw new Error(`${abs}: expected pool/<class>/<images> with at least two classes`)
  const test = await listSplit(abs, 'test', pool.classes)
  const all = [...pool.files, ...test.files]
  const cacheDir = opts.cacheDir ?? path.join(os.tmpdir(), 'pseudolabel-eval')
  // The studio's own pipelined pass and resumable cache, keyed by content hash like a project.
  const items = await mapLimit(all, 8, async (f) => ({ id: await hashFile(path.join(abs, f)), absPath: path.join(abs, f) }), opts.signal)
  const teacher = await Teacher.open(model, { cacheDir: modelCacheDir(cacheDir) })
  let cacheFile: string
  try {
    const cache = await openCacheFor(teacher, cacheDir)
    try {
      const summary = await embedImages(teacher, cache, items, { signal: opts.signal, onProgress: (p) => opts.onProgress?.(p.done, p.total) })
      const bad = summary.failed[0]
      if (bad) throw new Error(`${summary.failed.length} images could not be embedded; first: ${bad.absPath}: ${bad.reason}`)
      cacheFile = summary.cacheFile
    } finally {
      await cache.close()
    }
  } finally {
    await teacher.close()
  }
  const emb = await loadEmbeddings(cacheFile, { ids: items.map((i) => i.id), scores: false })
  const dim = emb.dim
  const row = new Map(emb.ids.map((id, r) => [id, r]))
  const data = new Float32Array(all.length * dim)
  items.forEach((it, i) => {
    const r = row.get(it.id)
    if (r === undefined) throw new Error(`no embedding for ${it.absPath}`)
    data.set(emb.data.subarray(r * dim, (r + 1) * dim), i * dim)
  })
  const np = pool.files.length
  return {
    model,
    pool: { classes: pool.classes, files: pool.files, labels: Int32Array.from(pool.labels), dim, data: data.slice(0, np * dim) },
    test: { classes: pool.classes, files: test.files, labels: Int32Array.from(test.labels), dim, data: data.slice(np * dim) },
  }
}
