/**
 * Indexing: walk the folder (or a few changed subpaths of it), skip files whose size and mtime are
 * unchanged since the last scan, hash and probe the rest, and write them to the store in batches so
 * that a cancelled or crashed scan leaves a consistent, partly updated project.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { IMAGE_EXTENSIONS, mapLimit } from './scan'
import { STUDIO_DIR } from '../project/paths'
import { identifyFile } from './identify'
import type { FileRecord, KnownFile } from '../store/images'
import type { CheckpointPacing, ProjectStore } from '../store/store'

export interface WalkEntry {
  rel: string
  size: number
  mtimeMs: number
}

export interface WalkResult {
  files: WalkEntry[]
  /** Paths that could not be listed or followed, with a reason (a folder path ends with '/'). */
  errors: { rel: string; reason: string }[]
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? (err instanceof Error ? err.message : String(err))
}

function fsReason(err: unknown): string {
  const code = errCode(err)
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: the studio may not read this'
  if (code === 'ELOOP') return 'symbolic link loop'
  if (code === 'ENOENT') return 'disappeared while being read (or a broken symbolic link)'
  if (code === 'EISDIR') return 'a folder named like an image'
  return `cannot be read (${code})`
}

const isImageName = (name: string): boolean => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase())

/** Whether a relative path is one the studio indexes (no hidden segment, not its own data folder). */
export function isIndexable(rel: string): boolean {
  return rel.split('/').every((seg) => seg.length > 0 && !seg.startsWith('.') && seg !== STUDIO_DIR) && isImageName(rel)
}

/** Resolves after pending I/O callbacks ran: called every few milliseconds of synchronous work. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Tracks synchronous work and yields to the event loop when a slice (default 8 ms) is used up. */
export function slicer(sliceMs = 8): () => Promise<void> | undefined {
  let start = performance.now()
  return () => {
    if (performance.now() - start < sliceMs) return undefined
    return breathe().then(() => {
      start = performance.now()
    })
  }
}

/**
 * Lists image files below `root` (or below each of `subpaths`, relative to root) with their size
 * and mtime. Hidden entries and the studio's folder are skipped; symbolic links are followed when
 * they stay inside `root`; a link back to a folder already walked is a loop, recorded and not
 * followed. Listing and stat calls are synchronous (a thread-pool round trip per file costs
 * several times more at 100k files) in slices that yield to the event loop.
 */
export async function walk(root: string, subpaths: readonly string[] = [''], signal?: AbortSignal): Promise<WalkResult> {
  const rootReal = realpathSync(root)
  const files: WalkEntry[] = []
  const errors: WalkResult['errors'] = []
  const seenDirs = new Set<string>()
  const inside = (p: string) => p === rootReal || p.startsWith(rootReal + path.sep)
  const tick = slicer()

  const addFile = (rel: string) => {
    try {
      const st = statSync(path.join(root, rel))
      if (st.isDirectory()) errors.push({ rel, reason: fsReason({ code: 'EISDIR' }) })
      else files.push({ rel, size: st.size, mtimeMs: st.mtimeMs })
    } catch (err) {
      errors.push({ rel, reason: fsReason(err) })
    }
  }

  async function visitDir(rel: string): Promise<void> {
    signal?.throwIfAborted()
    const abs = path.join(root, rel)
    let real: string
    try {
      real = realpathSync(abs)
    } catch (err) {
      if (rel) errors.push({ rel: rel + '/', reason: fsReason(err) })
      return
    }
    if (seenDirs.has(real)) {
      errors.push({ rel: rel + '/', reason: 'symbolic link loop (this folder was already indexed through another path)' })
      return
    }
    seenDirs.add(real)
    let entries
    try {
      entries = readdirSync(abs, { withFileTypes: true })
    } catch (err) {
      errors.push({ rel: (rel || '.') + '/', reason: `folder: ${fsReason(err)}` })
      return
    }
    const dirs: string[] = []
    for (const e of entries) {
      await tick()
      if (e.name.startsWith('.')) continue // hidden files and folders, including .pseudolabel
      const childRel = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) dirs.push(childRel)
      else if (e.isFile()) {
        if (isImageName(e.name)) addFile(childRel)
      } else if (e.isSymbolicLink()) {
        let target: string
        try {
          target = realpathSync(path.join(root, childRel))
        } catch (err) {
          if (isImageName(e.name) || errCode(err) === 'ELOOP') errors.push({ rel: childRel, reason: fsReason(err) })
          continue
        }
        if (!inside(target)) {
          if (isImageName(e.name)) errors.push({ rel: childRel, reason: 'symbolic link to a file outside the project folder (not followed)' })
          continue
        }
        try {
          const st = statSync(target)
          if (st.isDirectory()) dirs.push(childRel)
          else if (st.isFile() && isImageName(e.name)) addFile(childRel)
        } catch (err) {
          errors.push({ rel: childRel, reason: fsReason(err) })
        }
      }
    }
    dirs.sort()
    for (const d of dirs) await visitDir(d)
  }

  for (const sub of subpaths) {
    let st
    try {
      st = statSync(path.join(root, sub))
    } catch {
      continue // gone: the caller forgets what was known below it
    }
    if (st.isDirectory()) await visitDir(sub)
    else if (sub && isIndexable(sub)) addFile(sub)
  }
  return { files, errors }
}

export interface IndexOptions {
  signal?: AbortSignal
  /** Called as files are identified; `total` is the number of new or changed files (0 while walking). */
  onProgress?: (done: number, total: number) => void
  /** Only look at these paths (relative to the folder, files or folders); the rest stays as it was. */
  subpaths?: readonly string[]
  /** Files identified at once (reading and header probing run on libuv's thread pool). */
  concurrency?: number
}

export interface IndexReport {
  /** Files seen on disk (readable or not). */
  seen: number
  /** Files hashed and probed (new or changed size/mtime). */
  identified: number
  unchanged: number
  removed: number
  /** Files recorded as unusable in this scan, by reason. */
  unreadable: number
  ms: number
}

/** Files per transaction: small enough that one commit never blocks the event loop for long. */
export const SCAN_BATCH = 100

/** Files to read from which the WAL is checkpointed by a worker (starting one costs a few hundred ms). */
const BACKGROUND_CHECKPOINT_FILES = 5000

/** Records held in memory at most while a checkpoint runs (a few seconds of reading; ~1 MB). */
const HELD_RECORDS = 50 * SCAN_BATCH

/** Brings the store in line with the folder; see the module comment. */
export async function indexFolder(root: string, store: ProjectStore, opts: IndexOptions = {}): Promise<IndexReport> {
  const t0 = performance.now()
  const subpaths = opts.subpaths ?? ['']
  opts.onProgress?.(0, 0)
  const tick = slicer()
  const { files, errors } = await walk(root, subpaths, opts.signal)
  const known = new Map<string, KnownFile>()
  for (const page of store.images.knownFilePages(subpaths)) {
    for (const k of page) known.set(k.path, k)
    opts.signal?.throwIfAborted()
    await breathe()
  }

  // Every path seen on disk is taken out of `known`: what is left was removed. (No set of a million
  // seen paths; a path listed twice, e.g. by overlapping subpaths, is at worst read again.)
  const todo: WalkEntry[] = []
  for (const f of files) {
    await tick()
    const k = known.get(f.rel)
    known.delete(f.rel)
    // A file that could not be read before (imageId null) is always retried.
    if (k && k.imageId !== null && k.size === f.size && k.mtimeMs === f.mtimeMs) continue
    todo.push(f)
  }
  let unreadable = 0
  const errorRecords: FileRecord[] = []
  for (const e of errors) {
    known.delete(e.rel)
    errorRecords.push({ path: e.rel, size: 0, mtimeMs: 0, content: null, fileError: e.reason })
  }
  unreadable += errorRecords.length
  const removed = [...known.keys()]
  known.clear()
  // The listing is let go before the long part: only what is read (`todo`) stays in memory.
  const seen = files.length + errors.length
  const unchanged = files.length - todo.length
  files.length = 0
  errors.length = 0
  for (let i = 0; i < Math.max(errorRecords.length, removed.length); i += SCAN_BATCH) {
    // Stopping between batches is safe: the next scan finds the rest removed again.
    opts.signal?.throwIfAborted()
    store.images.applyScan(errorRecords.slice(i, i + SCAN_BATCH), removed.slice(i, i + SCAN_BATCH))
    await tick()
  }

  let batch: FileRecord[] = []
  let done = 0
  let pacing: CheckpointPacing | null = null
  const flush = async (force = false) => {
    // While the WAL is checkpointed, records wait here (up to a bound, should it take long).
    if (batch.length === 0 || (!force && pacing?.busy && batch.length < HELD_RECORDS)) return
    const records = batch
    batch = []
    // Held records go in transactions of the usual size, letting the event loop run in between.
    for (let i = 0; i < records.length; i += SCAN_BATCH) {
      if (i > 0) await breathe()
      store.images.applyScan(records.slice(i, i + SCAN_BATCH), [])
    }
    pacing?.committed()
  }
  const identifyAll = async () => {
    try {
      await mapLimit(
        todo,
        opts.concurrency ?? 8,
        async (f) => {
          await tick()
          let rec: FileRecord
          try {
            const content = await identifyFile(path.join(root, f.rel), f.size)
            rec = { path: f.rel, size: f.size, mtimeMs: f.mtimeMs, content }
            if (content.error) unreadable++
          } catch (err) {
            rec = { path: f.rel, size: f.size, mtimeMs: f.mtimeMs, content: null, fileError: fsReason(err) }
            unreadable++
          }
          batch.push(rec)
          if (batch.length >= SCAN_BATCH) await flush()
          opts.onProgress?.(++done, todo.length)
        },
        opts.signal,
      )
    } finally {
      // Whatever was identified before a cancel or an error is kept.
      await flush(true)
    }
  }
  // After a large change the planner's statistics are stale; with none at all it can pick an
  // index that scans the whole table for a filtered, sorted page.
  const stale = todo.length + removed.length > 1000
  // A long scan leaves the WAL's checkpoints (copies and fsyncs of megabytes) and its ANALYZE to a
  // worker thread.
  if (todo.length >= BACKGROUND_CHECKPOINT_FILES)
    await store.withBackgroundCheckpoints(async (p) => {
      pacing = p
      await identifyAll()
      if (stale) await p.analyze()
    })
  else {
    await identifyAll()
    if (stale) store.analyze()
  }
  return { seen, identified: todo.length, unchanged, removed: removed.length, unreadable, ms: performance.now() - t0 }
}
