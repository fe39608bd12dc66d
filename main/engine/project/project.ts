/**
 * A project: one image folder, its SQLite store and its caches. This is what main/ and the CLI
 * open; everything is plain Node (no Electron).
 *
 *   const p = await Project.open(folder, { appDataDir })   // StoreError codes: not_a_database,
 *                                                          // foreign_database, corrupt_database,
 *                                                          // newer_schema, open_elsewhere, ...
 *   await p.index({ signal, onProgress })   // incremental: unchanged size+mtime are not re-read
 *   p.watch(onChange); p.unwatch()          // re-indexes changed paths while open (library/watcher.ts)
 *   p.store.images | queries | classes | labels | rounds   // the database, behind one door (store/store.ts)
 *   p.paths                                  // every file under the project's data folder (paths.ts)
 *   await p.thumbnail(id, { priority, signal }); p.focusThumbnails(ids); await p.clearThumbnails()
 *   p.close()
 *
 * A corrupt or foreign database: catch StoreError, offer Project.startAfresh(folder, opts), which
 * moves the old file aside (never deletes it) and returns where it went.
 */
import path from 'node:path'
import { indexFolder, type IndexOptions, type IndexReport } from '../library/indexer'
import { ThumbnailDecodeError, ThumbnailQueue } from '../library/thumbs'
import { FolderWatcher, type WatchEvent, type WatchOptions } from '../library/watcher'
import { ProjectLock, moveDatabaseAside, openDatabase } from '../store/db'
import { ProjectStore } from '../store/store'
import { locateDataDir, type LocationOptions } from './locations'
import { ProjectPaths } from './paths'

export interface OpenOptions extends LocationOptions {
  /** Thumbnails made at once (default: the number of CPUs). */
  thumbnailConcurrency?: number
}

export class Project {
  readonly store: ProjectStore
  readonly thumbs: ThumbnailQueue
  readonly paths: ProjectPaths
  private readonly watcher: FolderWatcher
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
    this.paths = new ProjectPaths(dataDir)
    this.thumbs = new ThumbnailQueue(this.paths.thumbs, { concurrency: opts.thumbnailConcurrency })
    this.watcher = new FolderWatcher(folder, {
      rescan: (subpaths) => this.runIndex(subpaths ? { subpaths } : {}),
      scanning: () => this.indexing !== null,
      closed: () => this.closed,
    })
  }

  /** Opens (or creates) the project of `folder`. Throws StoreError when the database cannot be used. */
  static async open(folder: string, opts: OpenOptions = {}): Promise<Project> {
    const root = path.resolve(folder)
    const loc = locateDataDir(root, opts)
    const paths = new ProjectPaths(loc.dataDir)
    const lock = ProjectLock.acquire(paths.lock, paths.owner)
    try {
      const db = openDatabase(paths.database)
      return new Project(root, loc.dataDir, loc.fallback, new ProjectStore(db), lock, opts)
    } catch (err) {
      lock.release()
      throw err
    }
  }

  /** Moves the project's unusable database aside (nothing is deleted); returns its new path, or null if there was none. */
  static startAfresh(folder: string, opts: OpenOptions = {}): string | null {
    const paths = new ProjectPaths(locateDataDir(path.resolve(folder), opts).dataDir)
    const lock = ProjectLock.acquire(paths.lock, paths.owner) // never move a database another process is using
    try {
      try {
        return moveDatabaseAside(paths.database)
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

  /** Watches the folder while the project is open and re-indexes what changes (see library/watcher.ts). */
  watch(onChange: (e: WatchEvent) => void, opts: WatchOptions = {}): void {
    this.watcher.watch(onChange, opts)
  }

  unwatch(): void {
    this.watcher.unwatch()
  }

  // ---- thumbnails ----

  /**
   * The WebP thumbnail of an image. An image that turns out not to decode is recorded as unreadable
   * (with the reason) and the promise rejects with ThumbnailDecodeError.
   */
  async thumbnail(imageId: number, opts: { priority?: number; signal?: AbortSignal } = {}): Promise<Buffer> {
    const img = this.store.images.get(imageId)
    if (!img || img.path === null) throw Object.assign(new Error(`no file for image ${imageId}`), { code: 'not_found' })
    try {
      return await this.thumbs.get(img.hash, path.join(this.folder, img.path), opts)
    } catch (err) {
      if (err instanceof ThumbnailDecodeError && !this.closed) this.store.images.markUnreadable(imageId, err.reason)
      throw err
    }
  }

  /** Puts these images' thumbnails first in the queue (what is on screen, in screen order). */
  focusThumbnails(imageIds: readonly number[]): void {
    this.thumbs.focus(imageIds.map((id) => this.store.images.get(id)?.hash).filter((h): h is string => !!h))
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
