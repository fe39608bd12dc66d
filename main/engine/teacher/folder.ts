/**
 * A whole folder through the teacher: list, hash (identity = content), embed what is not cached.
 * What the CLI and a project's "embed" job call.
 */
import path from 'node:path'
import { hashFile } from '../library/identify'
import { walk } from '../library/indexer'
import { mapLimit } from '../library/scan'
import { EmbeddingCache } from './cache'
import type { EmbedItem, EmbedOptions, EmbedSummary } from './embed'
import { embedImages } from './embed'
import type { LoadedManifest } from './manifest'
import type { TeacherOptions } from './teacher'
import { Teacher } from './teacher'

/** The cache folders inside a teacher cache dir (a project's is ProjectPaths.teacher): edited models and embedding files. */
export const modelCacheDir = (cacheDir: string) => path.join(cacheDir, 'models')
export const embeddingCacheDir = (cacheDir: string) => path.join(cacheDir, 'embeddings')

/** Opens the cache that belongs to a teacher (its model sha256 and preprocessing hash). */
export function openCacheFor(teacher: Teacher, cacheDir: string): Promise<EmbeddingCache> {
  return EmbeddingCache.open(embeddingCacheDir(cacheDir), {
    modelSha256: teacher.model.modelSha256,
    preprocessHash: teacher.model.preprocessHash,
    dim: teacher.dim,
    scoresDim: teacher.scoresDim,
  })
}

/** Lists the images of a folder with their content hashes (files that cannot be read are listed apart). */
export async function listWithIds(root: string, signal?: AbortSignal, onHashed?: (done: number, total: number) => void): Promise<{ items: EmbedItem[]; unreadable: { relPath: string; reason: string }[] }> {
  const walked = await walk(root, [''], signal)
  const files = walked.files.map((f) => path.join(root, f.rel))
  const unreadable = walked.errors.map((e) => ({ relPath: e.rel, reason: e.reason }))
  const items: (EmbedItem | undefined)[] = []
  let done = 0
  await mapLimit(
    files,
    8,
    async (abs, i) => {
      try {
        items[i] = { id: await hashFile(abs), absPath: abs }
      } catch (err) {
        unreadable.push({ relPath: path.relative(root, abs), reason: (err as Error).message })
      }
      onHashed?.(++done, files.length)
    },
    signal,
  )
  return { items: items.filter((x): x is EmbedItem => x !== undefined), unreadable }
}

export interface EmbedFolderOptions extends Omit<TeacherOptions, 'cacheDir'>, EmbedOptions {
  /** Teacher cache folder (edited models + embeddings); a project's is ProjectPaths.teacher. */
  cacheDir: string
  onTeacher?: (t: Teacher) => void
  /** Content hashing runs before embedding; this reports it (done, total). */
  onHashProgress?: (done: number, total: number) => void
}

export async function embedFolder(root: string, model: string | LoadedManifest, opts: EmbedFolderOptions): Promise<EmbedSummary & { unreadable: { relPath: string; reason: string }[] }> {
  const { cacheDir } = opts
  const { items, unreadable } = await listWithIds(root, opts.signal, opts.onHashProgress)
  const teacher = await Teacher.open(model, { ...opts, cacheDir: modelCacheDir(cacheDir) })
  try {
    opts.onTeacher?.(teacher)
    const cache = await openCacheFor(teacher, cacheDir)
    try {
      return { ...(await embedImages(teacher, cache, items, opts)), unreadable }
    } finally {
      await cache.close()
    }
  } finally {
    await teacher.close()
  }
}
