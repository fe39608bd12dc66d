/**
 * A project: one image folder, its SQLite store and its thumbnail cache. This is the API main/api.ts
 * and the CLI call; everything is plain Node (no Electron).
 *
 *   const p = await Project.open(folder, { appDataDir })   // StoreError codes: not_a_database,
 *                                                          // foreign_database, corrupt_database,
 *                                                          // newer_schema, open_elsewhere, ...
 *   await p.index({ signal, onProgress })   // incremental: unchanged size+mtime are not re-read
 *   p.watch(onChange)                        // re-indexes changed paths while open
 *   p.page({ status, classId, minConfidence, maxConfidence, sort, descending, offset, limit })
 *   p.counts(); p.image(id); p.imageByPath(rel); p.filesOf(id); p.unreadableFiles(offset, limit)
 *   p.ensureClass(name) -> classId; p.classes()
 *   p.setLabel(ids, classId, actor)          // seed labels (null clears)
 *   p.propose(roundId, [{ imageId, classId, confidence, uncertainty? }])   // pseudo-labels
 *   p.review(ids, 'accept' | 'reject', actor); p.relabel(ids, classId, actor)
 *   p.retractRound(roundId)                  // withdraws a round's proposals as a whole
 *   p.undo(); p.redo(); p.history(id)       // labels are events; the current label is derived
 *   await p.thumbnail(id, { priority, signal }); p.focusThumbnails(ids); await p.clearThumbnails()
 *   p.close()
 *
 * A corrupt or foreign database: catch StoreError, offer Project.startAfresh(folder, opts), which
 * moves the old file aside (never deletes it) and returns where it went.
 */
import { existsSync, mkdirSync, readdirSync, watch as fsWatch, type FSWatcher } from 'node:fs'
import path from 'node:path'
import { indexFolder, slicer, type IndexOptions, type IndexReport } from './indexer'
import { ThumbnailDecodeError, ThumbnailQueue } from './thumbs'
import { DB_NAME, ProjectLock, locateStore, moveDatabaseAside, openDatabase, type StoreLocation } from '../store/db'
import { ProjectStore, type ImageRow, type LabelChange, type PageQuery, type Page, type Counts, type ClassInfo, type LabelEvent, type UndoResult } from '../store/store'

export interface OpenOptions {
  /**
   * Keep the project's data here, whatever the image folder allows. The hosts set it from
   * STUDIO_DATA_DIR, which tests use so that shared, read-only datasets are never written to.
   */
  dataDir?: string
  /** Where to keep the project's data when the image folder is read-only (the app's data folder). */
  appDataDir?: string
  /** Thumbnails made at once (default: the number of CPUs). */
  thumbnailConcurrency?: number
}

export interface Proposal {
  imageId: number
  classId: number
  confidence: number
  uncertainty?: number
}

export interface WatchEvent {
  report?: IndexReport
  error?: unknown
}

function locate(root: string, opts: OpenOptions): StoreLocation {
  if (!opts.dataDir) return locateStore(root, opts.appDataDir)
  mkdirSync(opts.dataDir, { recursive: true })
  return { dataDir: opts.dataDir, fallback: true }
}

export class Project {
  readonly store: ProjectStore
  readonly thumbs: ThumbnailQueue
  private readonly watchers = new Map<string, FSWatcher>()
  private watching = false
  private poller: NodeJS.Timeout | null = null
  private indexing: Promise<IndexReport> | null = null
  private closed = false

  private constructor(
    readonly folder: string,
    readonly dataDir: string,
    /** True when the folder was read-only and the data lives in the app's data folder. */
    readonly usesFallbackDir: boolean,
    store: ProjectStore,
    private readonly lock: ProjectLock,
    opts: OpenOptions,
  ) {
    this.store = store
    this.thumbs = new ThumbnailQueue(path.join(dataDir, 'thumbs'), { concurrency: opts.thumbnailConcurrency })
  }

  /** Opens (or creates) the project of `folder`. Throws StoreError when the database cannot be used. */
  static async open(folder: string, opts: OpenOptions = {}): Promise<Project> {
    const root = path.resolve(folder)
    const loc = locate(root, opts)
    const lock = ProjectLock.acquire(loc.dataDir)
    try {
      const db = openDatabase(path.join(loc.dataDir, DB_NAME))
      return new Project(root, loc.dataDir, loc.fallback, new ProjectStore(db), lock, opts)
    } catch (err) {
      lock.release()
      throw err
    }
  }

  /** Moves the project's unusable database aside (nothing is deleted); returns its new path, or null if there was none. */
  static startAfresh(folder: string, opts: OpenOptions = {}): string | null {
    const loc = locate(path.resolve(folder), opts)
    const lock = ProjectLock.acquire(loc.dataDir) // never move a database another process is using
    try {
      const dbPath = path.join(loc.dataDir, DB_NAME)
      try {
        return moveDatabaseAside(dbPath)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
    } finally {
      lock.release()
    }
  }

  /** Brings the project in line with the folder. Concurrent calls share one run. */
  index(opts: Omit<IndexOptions, 'subpaths'> = {}): Promise<IndexReport> {
    return this.runIndex(opts)
  }

  private runIndex(opts: IndexOptions): Promise<IndexReport> {
    if (this.closed) return Promise.reject(new Error('project is closed'))
    // One scan at a time: a watcher batch waits for a running full scan and then runs.
    const prev = this.indexing ?? Promise.resolve(null)
    const run = prev.catch(() => null).then(() => indexFolder(this.folder, this.store, opts))
    this.indexing = run
    return run.finally(() => {
      if (this.indexing === run) this.indexing = null
    })
  }

  /**
   * Watches the folder while the project is open and re-indexes what changes (debounced). One
   * non-recursive watcher per folder: Node 20's recursive watch on Linux walks the whole tree
   * synchronously when it starts (about 3 s of blocked event loop at 100k files). Falls back to
   * polling (a full incremental re-scan every `pollMs`) when the OS runs out of watches.
   */
  watch(onChange: (e: WatchEvent) => void, opts: { debounceMs?: number; pollMs?: number } = {}): void {
    if (this.watching) return
    this.watching = true
    const debounceMs = opts.debounceMs ?? 300
    const pending = new Set<string>()
    let timer: NodeJS.Timeout | null = null
    const fail = (error: unknown) => {
      this.closeWatchers()
      onChange({ error })
      this.startPolling(onChange, opts.pollMs ?? 30_000)
    }
    const flush = () => {
      timer = null
      const subpaths = collapse([...pending])
      pending.clear()
      if (subpaths.length === 0 || this.closed || !this.watching) return
      this.runIndex({ subpaths }).then(
        async (report) => {
          onChange({ report })
          // New folders get their own watcher (watchers of vanished folders close themselves).
          // Files written into a new folder before its watcher existed are caught by one more pass.
          // A watcher follows its folder's inode, so after a rename it would report the old
          // name: drop watchers of paths that are gone (the new name gets fresh ones below).
          for (const sub of subpaths) {
            if (existsSync(path.join(this.folder, sub))) continue
            for (const [dir, w] of this.watchers) {
              if (sub !== '' && (dir === sub || dir.startsWith(sub + '/'))) {
                w.close()
                this.watchers.delete(dir)
              }
            }
          }
          const added: string[] = []
          for (const sub of subpaths) added.push(...(await this.watchTree(sub, onEvent).catch((e: unknown) => (fail(e), []))))
          if (added.length && this.watching) onChange({ report: await this.runIndex({ subpaths: collapse(added) }) })
        },
        (error: unknown) => onChange({ error }),
      )
    }
    const onEvent = (rel: string) => {
      if (rel.split('/').some((seg) => seg.startsWith('.'))) return // hidden, and our own folder
      // Any other name may be a folder (created, moved in or out; "holiday.2024" included), so
      // every path is re-walked; a non-image file costs one stat.
      pending.add(rel)
      if (!timer) timer = setTimeout(flush, debounceMs)
    }
    void this.watchTree('', onEvent).catch(fail)
  }

  /** Adds a watcher to `rel` and every folder below it that has none yet; returns the folders it added. */
  private async watchTree(rel: string, onEvent: (rel: string) => void): Promise<string[]> {
    const tick = slicer()
    const added: string[] = []
    const visit = async (dir: string): Promise<void> => {
      if (!this.watching || this.closed) return
      const abs = path.join(this.folder, dir)
      let entries
      try {
        entries = readdirSync(abs, { withFileTypes: true })
      } catch {
        return // gone, or not a folder
      }
      if (!this.watchers.has(dir)) {
        const w = fsWatch(abs, (_event, name) => {
          if (name) onEvent(dir ? `${dir}/${name.toString()}` : name.toString())
        })
        w.on('error', () => {
          // the folder was removed: its parent reports that; just drop this watcher
          w.close()
          this.watchers.delete(dir)
        })
        this.watchers.set(dir, w)
        added.push(dir)
      }
      for (const e of entries) {
        await tick()
        if (e.isDirectory() && !e.name.startsWith('.')) await visit(dir ? `${dir}/${e.name}` : e.name)
      }
    }
    await visit(rel)
    return added
  }

  private closeWatchers(): void {
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }

  private startPolling(onChange: (e: WatchEvent) => void, pollMs: number): void {
    if (this.closed || this.poller) return
    this.poller = setInterval(() => {
      if (this.indexing) return
      this.runIndex({}).then(
        (report) => onChange({ report }),
        (error: unknown) => onChange({ error }),
      )
    }, pollMs)
    this.poller.unref()
  }

  unwatch(): void {
    this.watching = false
    this.closeWatchers()
    if (this.poller) clearInterval(this.poller)
    this.poller = null
  }

  // ---- queries ----

  page(q: PageQuery = {}): Page {
    return this.store.page(q)
  }
  /** Every readable image, in name order: the default page, all of it. */
  allImages(): ImageRow[] {
    const rows: ImageRow[] = []
    for (let offset = 0; ; offset += 2000) {
      const page = this.page({ offset, limit: 2000 })
      rows.push(...page.items)
      if (page.items.length === 0 || rows.length >= page.total) return rows
    }
  }
  counts(): Counts {
    return this.store.counts()
  }
  image(id: number): ImageRow | null {
    return this.store.image(id)
  }
  imageByPath(rel: string): ImageRow | null {
    return this.store.imageByPath(rel)
  }
  filesOf(id: number): string[] {
    return this.store.filesOf(id)
  }
  unreadableFiles(offset = 0, limit = 100) {
    return this.store.unreadableFiles(offset, limit)
  }
  classes(): ClassInfo[] {
    return this.store.classes()
  }
  ensureClass(name: string, color: string | null = null): number {
    return this.store.ensureClass(name, color)
  }
  history(imageId: number): LabelEvent[] {
    return this.store.history(imageId)
  }

  // ---- labels: every call below is one committed action, durable when it returns ----

  /** Seed labels given by a person (`classId` null clears the label). */
  setLabel(imageIds: readonly number[], classId: number | null, actor = 'user'): number {
    return this.store.addLabelEvents(
      imageIds.map((imageId) => ({ imageId, classId, source: 'human', state: 'accepted' })),
      { actor, kind: 'label' },
    ).actionId
  }

  /** Pseudo-labels proposed by a round; not undoable one by one (a round is rolled back as a whole). */
  propose(roundId: number, proposals: readonly Proposal[], actor = `round ${roundId}`): number {
    return this.store.addLabelEvents(
      proposals.map((p) => ({ imageId: p.imageId, classId: p.classId, source: 'pseudo', state: 'proposed', roundId, confidence: p.confidence, uncertainty: p.uncertainty ?? null })),
      { actor, kind: 'proposal', undoable: false },
    ).actionId
  }

  /** Withdraws every proposal of a round (e.g. a round judged bad); returns the images affected. */
  retractRound(roundId: number): number[] {
    return [...new Set(this.store.retractProposals(roundId).flatMap((r) => r.imageIds))]
  }

  /** A person accepts or rejects the current pseudo-labels of these images. Images without one are skipped. */
  review(imageIds: readonly number[], decision: 'accept' | 'reject', actor = 'user'): number | null {
    const changes: LabelChange[] = []
    for (const id of imageIds) {
      const img = this.store.image(id)
      if (!img || img.classId === null || img.roundId === null) continue
      changes.push({ imageId: id, classId: img.classId, source: 'pseudo', state: decision === 'accept' ? 'accepted' : 'rejected', roundId: img.roundId, confidence: img.confidence, uncertainty: img.uncertainty })
    }
    return changes.length ? this.store.addLabelEvents(changes, { actor, kind: decision }).actionId : null
  }

  /** A person corrects a (pseudo-)label to another class. */
  relabel(imageIds: readonly number[], classId: number, actor = 'user'): number {
    return this.store.addLabelEvents(
      imageIds.map((imageId) => ({ imageId, classId, source: 'human', state: 'relabelled', roundId: this.store.image(imageId)?.roundId ?? null })),
      { actor, kind: 'relabel' },
    ).actionId
  }

  undo(): UndoResult | null {
    return this.store.undo()
  }
  redo(): UndoResult | null {
    return this.store.redo()
  }

  // ---- thumbnails ----

  /**
   * The WebP thumbnail of an image. An image that turns out not to decode is recorded as unreadable
   * (with the reason) and the promise rejects with ThumbnailDecodeError.
   */
  async thumbnail(imageId: number, opts: { priority?: number; signal?: AbortSignal } = {}): Promise<Buffer> {
    const img = this.store.image(imageId)
    if (!img || img.path === null) throw Object.assign(new Error(`no file for image ${imageId}`), { code: 'not_found' })
    try {
      return await this.thumbs.get(img.hash, path.join(this.folder, img.path), opts)
    } catch (err) {
      if (err instanceof ThumbnailDecodeError && !this.closed) this.store.markUnreadable(imageId, err.reason)
      throw err
    }
  }

  /** Puts these images' thumbnails first in the queue (what is on screen, in screen order). */
  focusThumbnails(imageIds: readonly number[]): void {
    this.thumbs.focus(imageIds.map((id) => this.store.image(id)?.hash).filter((h): h is string => !!h))
  }

  /** Deletes the thumbnail cache; thumbnails are made again on demand. */
  clearThumbnails(): Promise<void> {
    return this.thumbs.clear()
  }

  /** Stops watching, waits for a running scan to settle, and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.unwatch()
    await this.indexing?.catch(() => undefined)
    this.store.close()
    this.lock.release()
  }
}

/** Drops paths that lie below another path in the list (re-walking the parent covers them). */
function collapse(paths: string[]): string[] {
  paths.sort()
  const out: string[] = []
  for (const p of paths) {
    const last = out[out.length - 1]
    if (last !== undefined && (p === last || p.startsWith(last + '/'))) continue
    out.push(p)
  }
  return out
}
