/**
 * A whole folder through the teacher: list, hash (identity = content), embed what is not cached.
 * What the CLI and a project's "embed" job call.
 */
import path from 'node:path'
import { hashFile } from '../library/identify'
import { walk } from '../library/indexer'
import { mapLimit } from '../library/scan'
import { viewCacheKey } from './augment'
import { EmbeddingCache, cacheFileName, readCacheHeader, type CacheKey } from './cache'
import type { EmbedItem, EmbedOptions, EmbedSummary } from './embed'
import { embedImages } from './embed'
import type { LoadedManifest } from './manifest'
import { finishShard, openShardCache, shardOf, type Shard } from './shard'
import type { TeacherOptions } from './teacher'
import { Teacher } from './teacher'

/** The cache folders inside a teacher cache dir (a project's is ProjectPaths.teacher): edited models and embedding files. */
export const modelCacheDir = (cacheDir: string) => path.join(cacheDir, 'models')
export const embeddingCacheDir = (cacheDir: string) => path.join(cacheDir, 'embeddings')

/** What a teacher's embeddings are keyed on: its model sha256 and preprocessing hash, and their sizes. */
function cacheKeyOf(teacher: Teacher): CacheKey {
  return { modelSha256: teacher.model.modelSha256, preprocessHash: teacher.model.preprocessHash, dim: teacher.dim, scoresDim: teacher.scoresDim }
}

/** Opens the cache that belongs to a teacher (its model sha256 and preprocessing hash). */
export function openCacheFor(teacher: Teacher, cacheDir: string): Promise<EmbeddingCache> {
  return EmbeddingCache.open(embeddingCacheDir(cacheDir), cacheKeyOf(teacher))
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
  /**
   * Embed only this shard's share of the folder, into its own file in `dir` instead of the cache
   * (see shard.ts); the file is marked finished only when the whole share has been through.
   */
  shard?: Shard & { dir: string }
}

export interface FolderSummary extends EmbedSummary {
  unreadable: { relPath: string; reason: string }[]
  /** Files listed and hashed (a shard embeds only its share of them). */
  files: number
}

export async function embedFolder(root: string, model: string | LoadedManifest, opts: EmbedFolderOptions): Promise<FolderSummary> {
  const { cacheDir, shard } = opts
  const { items, unreadable } = await listWithIds(root, opts.signal, opts.onHashProgress)
  const share = shard ? items.filter((it) => shardOf(it.id, shard.count) === shard.index) : items
  const teacher = await Teacher.open(model, { ...opts, cacheDir: modelCacheDir(cacheDir) })
  try {
    opts.onTeacher?.(teacher)
    const cache = shard ? await openShardCache(shard.dir, cacheKeyOf(teacher), shard) : await openCacheFor(teacher, cacheDir)
    let summary: EmbedSummary
    try {
      summary = await embedImages(teacher, cache, share, opts)
    } finally {
      await cache.close()
    }
    // A shard is finished once its whole share went through (an image that failed to decode would fail again).
    return { ...summary, ...(shard ? { cacheFile: await finishShard(cache.file) } : {}), unreadable, files: items.length }
  } finally {
    await teacher.close()
  }
}

/** Opens the caches of views 0..count-1 of a teacher's embeddings (augment.ts), beside its clean cache. */
export function openViewCachesFor(teacher: Teacher, cacheDir: string, count: number): Promise<EmbeddingCache[]> {
  return Promise.all(Array.from({ length: count }, (_, v) => EmbeddingCache.open(embeddingCacheDir(cacheDir), viewCacheKey(cacheKeyOf(teacher), v))))
}

/** The files of views 0..count-1 of the embeddings in `cacheFile` (opened by openViewCachesFor), for loadEmbeddings. */
export async function viewCacheFiles(cacheFile: string, count: number): Promise<string[]> {
  const key = await readCacheHeader(cacheFile)
  return Array.from({ length: count }, (_, v) => path.join(path.dirname(cacheFile), cacheFileName(viewCacheKey(key, v))))
}
