/**
 * Sharded embedding: a folder too big for one machine is embedded as n shares on n machines at
 * once (a Kubernetes indexed Job, a Slurm array), then the shares are merged into the project's
 * embedding cache.
 *
 * - Membership is by content: an image is in shard `parseInt(sha256[0..8], 16) % n`, so every
 *   machine agrees whatever order it lists the folder in or wherever it mounts it, and two copies of
 *   one image fall in the same shard. Shards are numbered from 0 (Kubernetes' JOB_COMPLETION_INDEX).
 * - A shard never opens the project (its database is locked by one process at a time): it reads the
 *   folder and writes one cache file of its own, `<key>.shard-<i>-of-<n>.emb`, which is
 *   `<key>.shard-<i>-of-<n>.emb.part` until the shard has finished (so a merge can tell a shard that
 *   was killed from one that is done). Running it again resumes it.
 * - The merge (once, by one process) checks that the finished files come from one teacher and one
 *   split and cover shards 0..n-1 exactly once, before it writes anything; then it streams each file
 *   into the project's cache (ids already there are skipped, so it can be run again).
 */
import { readdir, rename, stat } from 'node:fs/promises'
import path from 'node:path'
import type { CacheHeader, CacheKey, Shard } from './cache'
import { EmbeddingCache, cacheFileName, readCacheHeader, readRecords, recordsIn } from './cache'

export type { Shard } from './cache'

/** A shard argument or a set of shard files that cannot be used; the message says why and what to do. */
export class ShardError extends Error {
  override name = 'ShardError'
}

/**
 * Reads `i/n` (0 <= i < n). The index is 0-based, as Kubernetes' JOB_COMPLETION_INDEX is; a Slurm
 * array gives whatever range it was asked for, so `--array=0-7` fits as it is.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (!m) throw new ShardError(`--shard must be INDEX/COUNT in whole numbers, the index counted from 0 (--shard 0/8 to --shard 7/8); got "${text}"`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1) throw new ShardError(`--shard ${text}: the count must be at least 1`)
  if (index >= count) {
    throw new ShardError(`--shard ${text}: the index counts from 0, so it goes from 0 to ${count - 1} for ${count} shards (a Slurm array numbered from 1: --shard $((SLURM_ARRAY_TASK_ID - 1))/${count})`)
  }
  return { index, count }
}

/** The shard an image (its sha256, hex) belongs to among `count`: its first 32 bits modulo count. */
export function shardOf(id: string, count: number): number {
  return Number.parseInt(id.slice(0, 8), 16) % count
}

const UNFINISHED = '.part'
const SHARD_FILE = /\.shard-(\d+)-of-(\d+)\.emb(\.part)?$/

/** A shard's cache file once it has finished; `${name}.part` while it runs. */
export function shardFileName(key: Pick<CacheKey, 'modelSha256' | 'preprocessHash'>, shard: Shard): string {
  return cacheFileName(key).replace(/\.emb$/, `.shard-${shard.index}-of-${shard.count}.emb`)
}

/**
 * Opens a shard's cache file in `dir` for appending, as `<name>.part`; a finished one is reopened
 * (renamed back to .part, so a run that dies on the way does not pass for finished). Call
 * finishShard once every image of the share has been through the teacher.
 */
export async function openShardCache(dir: string, key: CacheKey, shard: Shard): Promise<EmbeddingCache> {
  const finished = path.join(dir, shardFileName(key, shard))
  await rename(finished, finished + UNFINISHED).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
  return EmbeddingCache.openFile(finished + UNFINISHED, key, shard)
}

/** Marks a shard's closed cache file (`<name>.part`) finished: renames it to `<name>`, which it returns. */
export async function finishShard(partFile: string): Promise<string> {
  const finished = partFile.slice(0, -UNFINISHED.length)
  await rename(partFile, finished)
  return finished
}

interface ShardFile {
  file: string
  header: CacheHeader & { shard: Shard }
  finished: boolean
}

/** Every shard cache file in `dirs` (finished or not), with its header. */
async function findShardFiles(dirs: readonly string[]): Promise<ShardFile[]> {
  const found: ShardFile[] = []
  // A folder named twice (`--merge d d/`) is read once, not taken for every shard twice.
  for (const dir of new Set(dirs.map((d) => path.resolve(d)))) {
    let names: string[]
    try {
      names = (await readdir(dir)).sort()
    } catch (err) {
      throw new ShardError(`cannot read the shard folder ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as Error).message}`)
    }
    for (const name of names) {
      if (!SHARD_FILE.test(name)) continue
      const file = path.join(dir, name)
      let header: CacheHeader
      try {
        header = await readCacheHeader(file)
      } catch (err) {
        throw new ShardError(`${file} cannot be read as a shard's embeddings (${(err as Error).message}); remove it or run its shard again`)
      }
      if (!header.shard) throw new ShardError(`${file} is named as a shard but its header says it holds a whole folder; remove it`)
      found.push({ file, header: { ...header, shard: header.shard }, finished: !name.endsWith(UNFINISHED) })
    }
  }
  return found
}

const sameTeacher = (a: CacheKey, b: CacheKey) => a.modelSha256 === b.modelSha256 && a.preprocessHash === b.preprocessHash && a.dim === b.dim && a.scoresDim === b.scoresDim
const describeTeacher = (k: CacheKey) => `model ${k.modelSha256.slice(0, 12)}, preprocessing ${k.preprocessHash.slice(0, 12)}, ${k.dim} values`

/**
 * Checks that the finished shard files in `dirs` are one teacher's, one split's, and cover every
 * shard exactly once; returns them in shard order. Throws ShardError naming what is missing,
 * unfinished, repeated or mismatched.
 */
export async function checkShards(dirs: readonly string[]): Promise<{ key: CacheKey; count: number; files: string[] }> {
  const all = await findShardFiles(dirs)
  const done = all.filter((f) => f.finished)
  const first = done[0]
  if (!first) {
    const unfinished = all.map((f) => `${f.file} (shard ${f.header.shard.index}/${f.header.shard.count})`)
    throw new ShardError(`no finished shard files in ${dirs.join(', ')}${unfinished.length ? `; unfinished: ${unfinished.join(', ')}: run those shards again, they resume` : ': run `embed <folder> --shard i/n --out DIR` for each i first'}`)
  }
  const key = first.header
  const other = done.find((f) => !sameTeacher(f.header, key))
  if (other) {
    throw new ShardError(
      `the shard files were written by different teachers: ${first.file} (${describeTeacher(key)}) and ${other.file} (${describeTeacher(other.header)}); merge one teacher's shards at a time (move the others to another folder)`,
    )
  }
  const { count } = first.header.shard
  const split = done.find((f) => f.header.shard.count !== count)
  if (split) {
    throw new ShardError(`the shard files come from different splits: ${first.file} is one of ${count} shards, ${split.file} one of ${split.header.shard.count}; merge one run's files (move the others to another folder)`)
  }
  const byIndex: ShardFile[][] = Array.from({ length: count }, () => [])
  for (const f of done) byIndex[f.header.shard.index]?.push(f)
  const problems: string[] = []
  byIndex.forEach((files, index) => {
    if (files.length > 1) problems.push(`shard ${index}/${count} is there ${files.length} times (${files.map((f) => f.file).join(', ')}): keep one`)
    if (files.length > 0) return
    const part = all.find((f) => !f.finished && f.header.shard.index === index && f.header.shard.count === count && sameTeacher(f.header, key))
    problems.push(part ? `shard ${index}/${count} did not finish (${part.file}): run it again, it resumes` : `shard ${index}/${count} is missing: run it (--shard ${index}/${count})`)
  })
  if (problems.length) throw new ShardError(`cannot merge ${count} shards; nothing was merged:\n  ${problems.join('\n  ')}`)
  return { key: { modelSha256: key.modelSha256, preprocessHash: key.preprocessHash, dim: key.dim, scoresDim: key.scoresDim }, count, files: byIndex.map((f) => (f[0] as ShardFile).file) }
}

export interface MergeSummary {
  shards: number
  /** Records added to the cache. */
  added: number
  /** Records the cache held already (a merge run twice, or images the project had embedded). */
  present: number
  /** The cache merged into. */
  cacheFile: string
}

/**
 * Merges the shard files in `dirs` into the embedding cache in `embeddingsDir` (a project's is
 * embeddingCacheDir(ProjectPaths.teacher)). Nothing is written unless checkShards passes. Memory is
 * bounded by one chunk of records plus the cache's index of ids. On cancel or error, what was
 * appended is kept (it is correct); running the merge again finishes it.
 */
export async function mergeShards(
  dirs: readonly string[],
  embeddingsDir: string,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<MergeSummary> {
  const { key, count, files } = await checkShards(dirs)
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size))
  const total = sizes.reduce((sum, bytes) => sum + recordsIn(key, bytes), 0)
  const cache = await EmbeddingCache.open(embeddingsDir, key)
  let added = 0
  let present = 0
  try {
    for (const [index, file] of files.entries()) {
      const records = readRecords(file)
      let next = await records.next()
      try {
        while (!next.done) {
          opts.signal?.throwIfAborted()
          const before = cache.size
          await cache.append(next.value)
          added += cache.size - before
          present += next.value.length - (cache.size - before)
          opts.onProgress?.(added + present, total)
          next = await records.next()
        }
      } finally {
        // Cancelled or failed part-way: the reader's own finally waits for its read and closes the shard.
        if (!next.done) await records.return({ damaged: false, records: 0 })
      }
      if (next.value.damaged) {
        throw new ShardError(`${file} (shard ${index}/${count}) is damaged after record ${next.value.records} (a bad checksum or a cut end): run shard ${index}/${count} again, then merge again (what was merged so far is kept)`)
      }
    }
  } finally {
    await cache.close()
  }
  return { shards: count, added, present, cacheFile: cache.file }
}
