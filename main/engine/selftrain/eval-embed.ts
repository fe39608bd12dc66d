/**
 * Embeddings for the evaluation: every image of <folder>/pool/<class>/* and <folder>/test/<class>/*
 * through the teacher runtime (main/engine/teacher: Teacher + decodeInto), cached on disk under the
 * OS temp folder keyed by folder, file list and model, so a rerun of `eval` skips the teacher.
 * The studio's own embedding pass and cache (teacher/cache.ts) serve projects; this only serves eval.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Teacher } from '../teacher/teacher'
import { decodeInto } from '../teacher/preprocess'
import { IMAGE_EXTENSIONS } from '../library/scan'

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

async function listSplit(folder: string, split: string, classes?: string[]): Promise<{ classes: string[]; files: string[]; labels: number[] }> {
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
  const model = opts.model ?? 'mobilenetv2-12-int8'
  const abs = path.resolve(folder)
  const pool = await listSplit(abs, 'pool')
  if (pool.classes.length < 2 || pool.files.length === 0) throw new Error(`${abs}: expected pool/<class>/<images> with at least two classes`)
  const test = await listSplit(abs, 'test', pool.classes)
  const all = [...pool.files, ...test.files]
  const h = createHash('sha256').update(abs).update('\0').update(model)
  for (const f of all) {
    const s = await stat(path.join(abs, f))
    h.update(`\0${f}\0${s.size}\0${s.mtimeMs}`)
  }
  const key = h.digest('hex').slice(0, 24)
  const cacheDir = opts.cacheDir ?? path.join(os.tmpdir(), 'pseudolabel-eval')
  const cacheFile = path.join(cacheDir, `${key}.f32`)
  let data: Float32Array | undefined
  let dim = 0
  try {
    const buf = await readFile(cacheFile)
    dim = buf.readUInt32LE(0)
    data = new Float32Array(buf.buffer.slice(buf.byteOffset + 4, buf.byteOffset + buf.byteLength))
    if (data.length !== all.length * dim) data = undefined
  } catch {
    data = undefined
  }
  if (!data) {
    await mkdir(cacheDir, { recursive: true })
    const teacher = await Teacher.open(model, { cacheDir: path.join(cacheDir, 'models') })
    try {
      dim = teacher.dim
      data = new Float32Array(all.length * dim)
      const [H, W] = teacher.size
      const batch = 32
      for (let b0 = 0; b0 < all.length; b0 += batch) {
        opts.signal?.throwIfAborted()
        const n = Math.min(batch, all.length - b0)
        const pixels = new Uint8Array(n * H * W * 3)
        await Promise.all(Array.from({ length: n }, (_, r) => decodeInto(path.join(abs, all[b0 + r]!), teacher.manifest.preprocess, [H, W], pixels, r * H * W * 3)))
        const out = await teacher.infer(pixels, n)
        data.set(out.embeddings, b0 * dim)
        opts.onProgress?.(b0 + n, all.length)
      }
    } finally {
      await teacher.close()
    }
    const header = Buffer.alloc(4)
    header.writeUInt32LE(dim, 0)
    await writeFile(cacheFile, Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]))
  }
  const np = pool.files.length
  return {
    model,
    pool: { classes: pool.classes, files: pool.files, labels: Int32Array.from(pool.labels), dim, data: data.slice(0, np * dim) },
    test: { classes: pool.classes, files: test.files, labels: Int32Array.from(test.labels), dim, data: data.slice(np * dim) },
  }
}
