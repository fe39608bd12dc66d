/**
 * `embed <folder> [--model ID|manifest.json] [--model-file PATH] [--provider P] [--device N]
 *        [--threads N] [--batch N] [--cache-dir DIR] [--shard I/N [--out DIR]]`
 * `embed <folder> --merge [DIR...] [--cache-dir DIR]`
 *
 * Embeds every image of a folder with a teacher; images already in the cache are skipped, so a
 * second run (or one after Ctrl+C) only does what is left. The cache is the one the studio uses for
 * that folder (in the project's data folder, found as the studio finds it, STUDIO_DATA_DIR
 * included), so opening the folder in the studio afterwards embeds nothing again; --cache-dir
 * puts it elsewhere.
 *
 * A folder too big for one machine (engine/teacher/shard.ts): `--shard I/N` (I from 0) embeds only
 * the images whose content hash falls in shard I, into a file of its own in --out (default
 * `<cache>/shards`), without opening the project, so N machines can run side by side on one shared
 * folder. `--merge [DIR...]` (the shard folders; default `<cache>/shards`) checks that one teacher
 * wrote shards 0..N-1, each once and finished, then merges them into the cache, holding the
 * project's lock as the studio does, so it is refused while the project is open elsewhere.
 *
 * Without --shard or --cache-dir, embed holds the project's lock as the studio does: it is refused
 * while the folder is open in the studio.
 *
 * Exit codes: 0 done (even if some images could not be decoded: they are listed), 1 failure while
 * working (model cannot run, disk error), 2 bad usage or bad input (unknown option, no such folder,
 * bad manifest or model file), 75 the project is open elsewhere, 130 cancelled.
 */
import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import path from 'node:path'
import { defaultAppDataDir, studioPathsFor } from '../engine/project/locations'
import { ProjectLock } from '../engine/store/db'
import { EXIT, busyMessage, isOpenElsewhere } from './session'
import { ManifestError, OnnxError, ShardError, defaultModelSearchDirs, embedFolder, embeddingCacheDir, mergeShards, parseShard } from '../engine/teacher'
import type { EmbedProgress, ProviderReport, Shard } from '../engine/teacher'
import { DEFAULT_TEACHER, PROVIDER_SETTINGS, type ProviderSetting } from '../../preload/vocabulary'

const USAGE =
  'usage: npm run cli -- embed <folder> [--model ID|file.json] [--model-file PATH] [--provider auto|cuda|dml|coreml|webgpu|cpu] [--device N] [--threads N] [--batch N] [--cache-dir DIR] [--shard I/N [--out DIR]]\n' +
  '       npm run cli -- embed <folder> --merge [SHARD_DIR...] [--cache-dir DIR]'

function describeProvider(p: ProviderReport): string {
  const nodes = p.nodes ? ` (nodes: ${Object.entries(p.nodes).map(([k, v]) => `${v} on ${k}`).join(', ')})` : ''
  return `provider: ${p.used}${p.used === 'cpu' ? '' : ` device ${p.deviceId}`}, ${p.intraOpThreads} threads${nodes}${p.fallback ? `\n  fallback: ${p.fallback}` : ''}`
}

export async function run(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        model: { type: 'string', default: DEFAULT_TEACHER },
        'model-file': { type: 'string' },
        provider: { type: 'string', default: 'auto' },
        device: { type: 'string', default: '0' },
        threads: { type: 'string', default: '0' },
        batch: { type: 'string', default: '32' },
        'cache-dir': { type: 'string' },
        shard: { type: 'string' },
        out: { type: 'string' },
        merge: { type: 'boolean', default: false },
      },
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values: v, positionals } = parsed
  const folder = positionals[0]
  const int = (s: string | undefined, name: string, min: number) => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`)
    return n
  }
  let device: number, threads: number, batch: number
  let shard: Shard | undefined
  try {
    if (!folder) throw new Error('a folder is needed')
    if (v.merge && (v.shard !== undefined || v.out !== undefined)) throw new Error('--merge takes the shard folders as arguments, not --shard or --out')
    if (!v.merge && positionals.length > 1) throw new Error(`one folder is needed, not ${positionals.length} (shard folders go after --merge)`)
    if (v.out !== undefined && v.shard === undefined) throw new Error('--out is where a shard writes its file: give --shard I/N too')
    if (v.shard !== undefined) shard = parseShard(v.shard)
    if (!(PROVIDER_SETTINGS as readonly string[]).includes(v.provider)) throw new Error(`--provider must be one of ${PROVIDER_SETTINGS.join(', ')}`)
    device = int(v.device, 'device', 0)
    threads = int(v.threads, 'threads', 0)
    batch = int(v.batch, 'batch', 1)
    if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new Error(`${folder} is not a folder`)
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }

  if (v.merge) return merge(folder, positionals.slice(1), v['cache-dir'])

  const ac = new AbortController()
  const onSigint = () => ac.abort()
  process.once('SIGINT', onSigint)
  const tty = process.stderr.isTTY
  let lastPrint = 0
  const onProgress = (p: EmbedProgress) => {
    const now = Date.now()
    if (now - lastPrint < (tty ? 200 : 2000) && p.done < p.total) return
    lastPrint = now
    const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`
    const line = `${p.done}/${p.total} images (${p.skipped} cached, ${p.failed} failed), ${p.imagesPerSecond.toFixed(1)} img/s, ETA ${eta}`
    if (tty) process.stderr.write(`\r${line}\x1b[K`)
    else console.error(line)
  }
  let lock: ProjectLock | null = null
  try {
    const project = studioPathsFor(folder)
    // The project's own cache is appended to by the studio while the project is open: hold its
    // lock as merge does. Shards write files of their own and a --cache-dir is the caller's.
    if (!shard && v['cache-dir'] === undefined) lock = ProjectLock.acquire(project.lock, project.owner)
    const cacheDir = v['cache-dir'] ?? project.teacher
    const s = await embedFolder(folder, v.model, {
      cacheDir,
      ...(shard ? { shard: { ...shard, dir: v.out ?? shardsDir(cacheDir) } } : {}),
      // Teachers downloaded or imported into the app's models folder (`models pull`) are found too.
      searchDirs: defaultModelSearchDirs(defaultAppDataDir()),
      provider: v.provider as ProviderSetting,
      deviceId: device,
      intraOpThreads: threads,
      batchSize: batch,
      signal: ac.signal,
      onProgress,
      onHashProgress: (done, total) => {
        const now = Date.now()
        if (now - lastPrint < (tty ? 200 : 2000) && done < total) return
        lastPrint = now
        const line = `hashing ${done}/${total} files`
        if (tty) process.stderr.write(`\r${line}\x1b[K`)
        else console.error(line)
      },
      onTeacher: (t) => console.error(`teacher: ${t.manifest.name}\n  ${describeProvider(t.provider).replace(/, \d+ threads/, '')}`),
      ...(v['model-file'] ? { modelFile: v['model-file'] } : {}),
    })
    if (tty) process.stderr.write('\n')
    for (const f of s.failed) console.error(`  could not embed ${f.absPath}: ${f.reason}`)
    for (const u of s.unreadable) console.error(`  unreadable ${u.relPath}: ${u.reason}`)
    if (shard) console.log(`shard ${shard.index}/${shard.count}: ${s.total} of the folder's ${s.files} files are in its share`)
    console.log(
      `embedded ${s.embedded} images (${s.skipped} already cached, ${s.failed.length} failed, ${s.unreadable.length} unreadable) of ${s.total} in ${s.seconds.toFixed(1)} s: ${s.imagesPerSecond.toFixed(1)} img/s\n` +
        `${describeProvider(s.provider)}\ncache: ${s.cacheFile}`,
    )
    return 0
  } catch (err) {
    if (tty) process.stderr.write('\n')
    return failed(err, ac.signal.aborted, 'cancelled; finished images are kept in the cache, run again to resume', err instanceof ManifestError || err instanceof OnnxError)
  } finally {
    lock?.release()
    process.off('SIGINT', onSigint)
  }
}

/** Says why a run stopped and gives its exit code: cancelled, project open elsewhere, bad input, or a failure while working. */
function failed(err: unknown, aborted: boolean, cancelled: string, badInput: boolean): number {
  if (aborted) {
    console.error(cancelled)
    return EXIT.cancelled
  }
  if (isOpenElsewhere(err)) {
    console.error(busyMessage((err as Error).message))
    return EXIT.busy
  }
  console.error(err instanceof Error ? err.message : String(err))
  return badInput ? EXIT.usage : EXIT.failed
}

/** Where shards write their files, and the merge reads them, unless told otherwise. */
const shardsDir = (cacheDir: string) => path.join(cacheDir, 'shards')

/** `embed <folder> --merge [DIR...]`: the shards' files into the folder's cache (or --cache-dir's). */
async function merge(folder: string, dirs: string[], cacheDirOption: string | undefined): Promise<number> {
  let lock: ProjectLock | null = null
  const ac = new AbortController()
  const onSigint = () => ac.abort()
  process.once('SIGINT', onSigint)
  try {
    let cacheDir = cacheDirOption
    if (cacheDir === undefined) {
      // The project's own cache: the studio appends to it while the project is open, so hold its lock.
      const project = studioPathsFor(folder)
      lock = ProjectLock.acquire(project.lock, project.owner)
      cacheDir = project.teacher
    }
    let lastPrint = 0
    const s = await mergeShards(dirs.length ? dirs : [shardsDir(cacheDir)], embeddingCacheDir(cacheDir), {
      signal: ac.signal,
      onProgress: (done, total) => {
        if (Date.now() - lastPrint < 2000 && done < total) return
        lastPrint = Date.now()
        console.error(`merged ${done}/${total} records`)
      },
    })
    console.log(`merged ${s.shards} shards: ${s.added} images added, ${s.present} already in the cache\ncache: ${s.cacheFile}`)
    return 0
  } catch (err) {
    return failed(err, ac.signal.aborted, 'cancelled; what was merged is kept, run the merge again to finish', err instanceof ShardError)
  } finally {
    lock?.release()
    process.off('SIGINT', onSigint)
  }
}
