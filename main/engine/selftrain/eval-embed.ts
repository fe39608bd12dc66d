/**
 * Embeddings for the evaluation: every image of <folder>/pool/<class>/* and <folder>/test/<class>/*
 * through the teacher's embedding pass, cached (by content hash) under the OS temp folder unless told
 * otherwise, so a rerun of `eval` skips the teacher.
 */
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DEFAULT_TEACHER } from '../../../preload/vocabulary'
import { embedImages, loadEmbeddings, modelCacheDir, openCacheFor, openViewCachesFor, Teacher } from '../teacher'
import { hashFile } from '../library/identify'
import { IMAGE_EXTENSIONS, mapLimit } from '../library/scan'

export interface SplitEmbeddings {
  classes: string[]
  /** n x dim, row-major, as the teacher gives it (not normalised) */
  data: Float32Array
  dim: number
  labels: Int32Array
  files: string[]
  /** the augmented views' embeddings (opts.views of them), each like `data` */
  views: Float32Array[]
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
  opts: { model?: string; cacheDir?: string; views?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
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
  let files: string[]
  try {
    const cache = await openCacheFor(teacher, cacheDir)
    const views = await openViewCachesFor(teacher, cacheDir, opts.views ?? 0)
    try {
      const summary = await embedImages(teacher, cache, items, { signal: opts.signal, views, onProgress: (p) => opts.onProgress?.(p.done, p.total) })
      const bad = summary.failed[0]
      if (bad) throw new Error(`${summary.failed.length} images could not be embedded; first: ${bad.absPath}: ${bad.reason}`)
      files = [summary.cacheFile, ...views.map((v) => v.file)]
    } finally {
      await cache.close()
      for (const v of views) await v.close()
    }
  } finally {
    await teacher.close()
  }
  // the clean embeddings, then each view's, every one in the order of `all`
  const [data, ...viewData] = await Promise.all(files.map((f) => inOrder(f, items)))
  const dim = data!.dim
  const np = pool.files.length
  const split = (m: { data: Float32Array }, test: boolean) => (test ? m.data.slice(np * dim) : m.data.slice(0, np * dim))
  return {
    model,
    pool: { classes: pool.classes, files: pool.files, labels: Int32Array.from(pool.labels), dim, data: split(data!, false), views: viewData.map((v) => split(v, false)) },
    test: { classes: pool.classes, files: test.files, labels: Int32Array.from(test.labels), dim, data: split(data!, true), views: viewData.map((v) => split(v, true)) },
  }
}

/** A cache file's rows for `items`, in their order; an item without one is an error. */
async function inOrder(file: string, items: { id: string; absPath: string }[]): Promise<{ dim: number; data: Float32Array }> {
  const emb = await loadEmbeddings(file, { ids: items.map((i) => i.id), scores: false })
  const dim = emb.dim
  const row = new Map(emb.ids.map((id, r) => [id, r]))
  const data = new Float32Array(items.length * dim)
  items.forEach((it, i) => {
    const r = row.get(it.id)
    if (r === undefined) throw new Error(`no embedding for ${it.absPath} in ${file}`)
    data.set(emb.data.subarray(r * dim, (r + 1) * dim), i * dim)
  })
  return { dim, data }
}
