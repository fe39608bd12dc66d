/**
 * The project store: SQL over the schema in db.ts, behind one door. Synchronous on purpose: every
 * call is short (an index lookup or one small transaction) and a returned call means the change is
 * committed and fsynced, which is what "acknowledged" means for a label.
 *
 *   store.images    scan writes (knownFiles, applyScan, markUnreadable); get, byHash, byPath, filesOf, unreadableFiles
 *   store.queries   page, pageIds, allImages, counts (the grid's queries and their caches)
 *   store.classes   list, listWithDeleted, ensure, create, rename, setColor, delete, merge
 *   store.labels    set, propose, review, relabel, importLabels, retractRound, undo, redo, history (all label rules)
 *   store.rounds    start, finish, list, addModel, models
 *   store.leases    take, heldByOthers, release, grant, renew, leave, giveBack (review leases)
 *
 * The parts share one connection, one cache of prepared statements and one transaction helper.
 */
import type { DatabaseSyncInstance } from '@photostructure/sqlite'
import { Classes } from './classes'
import { Images } from './images'
import { LabelLog, Labels } from './labels'
import { Leases } from './leases'
import { Queries } from './queries'
import { Rounds } from './rounds'
import { ANALYSIS_LIMIT, Sql } from './sql'
import { startModuleWorker } from '../worker'
import type { CheckpointWorkerInput } from './checkpoint-worker'

/** SQLite's default: the WAL is checkpointed by the commit that takes it past this many pages. */
const AUTO_CHECKPOINT_PAGES = 1000

/** How a long writer and the checkpointing worker take turns (see withBackgroundCheckpoints). */
export interface CheckpointPacing {
  /** True while a checkpoint runs: hold the next commit. */
  readonly busy: boolean
  /** Call after each commit. */
  committed(): void
  /** Refreshes the planner's statistics (as ProjectStore.analyze) from the worker's connection. */
  analyze(): Promise<void>
}

export class ProjectStore {
  readonly images: Images
  readonly queries: Queries
  readonly classes: Classes
  readonly labels: Labels
  readonly rounds: Rounds
  readonly leases: Leases
  private readonly sql: Sql

  constructor(readonly db: DatabaseSyncInstance) {
    this.sql = new Sql(db)
    const log = new LabelLog(this.sql)
    this.images = new Images(this.sql)
    this.classes = new Classes(this.sql, log)
    this.queries = new Queries(this.sql, this.classes)
    this.labels = new Labels(this.sql, log, this.images)
    this.rounds = new Rounds(this.sql)
    this.leases = new Leases(this.sql)
  }

  /** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, no upgrade deadlocks). */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn)
  }

  /** Runs `fn` in a transaction shared with the other calls of this turn of the event loop; resolves once committed (see Sql.groupCommit). */
  groupCommit<T>(fn: () => T): Promise<T> {
    return this.sql.groupCommit(fn)
  }

  /** Refreshes the query planner's statistics (after a large index): cheap, and it picks better indexes. */
  analyze(): void {
    // Sampling (analysis_limit) keeps this to ~100 ms at 100k images; estimates are enough here.
    this.db.exec(`PRAGMA analysis_limit = ${ANALYSIS_LIMIT}; ANALYZE`)
    this.statisticsChanged()
  }

  private statisticsChanged(): void {
    this.sql.forgetStatements() // plans are made at prepare time
    this.queries.forgetPlans()
  }

  /**
   * Runs `fn`, a long series of write transactions (the first index of a large folder), with the
   * WAL checkpointed by a worker thread instead of by the commits: a checkpoint copies megabytes
   * back into the database and fsyncs it, which at a million files made the commits that happened
   * to run one the longest pauses of the event loop. Every `commitsPerCheckpoint` commits reported
   * through `pacing.committed()` start one; while it runs `pacing.busy` is true and the writer
   * should hold its commits (in memory, without waiting), so that the checkpoint catches up with
   * the whole WAL and the WAL starts again from its beginning instead of growing. Should the worker
   * fail, the commits checkpoint again as before.
   */
  async withBackgroundCheckpoints<T>(fn: (pacing: CheckpointPacing) => Promise<T>, commitsPerCheckpoint = 10): Promise<T> {
    const file = this.db.location()
    const inline: CheckpointPacing = { busy: false, committed: () => undefined, analyze: async () => this.analyze() }
    if (!file) return fn(inline) // in memory: no WAL
    const autoCheckpoint = (pages: number) => {
      if (this.db.isOpen) this.db.exec(`PRAGMA wal_autocheckpoint = ${pages}`)
    }
    let busy = false
    let failed = false
    let commits = 0
    let onStopped = () => undefined as void
    let onAnalyzed: ((ok: boolean) => void) | null = null
    let worker: ReturnType<typeof startModuleWorker>
    try {
      worker = startModuleWorker('checkpoint-worker', import.meta.url)
    } catch {
      // No worker (its file missing from a broken install): the commits checkpoint as before.
      return fn(inline)
    }
    const stopped = new Promise<void>((resolve) => (onStopped = resolve))
    worker.on('message', (m: unknown) => {
      if (m === 'checkpointed') busy = false
      else if (m === 'stopped') onStopped()
      else if (m === 'analyzed' || m === 'analyze failed') onAnalyzed?.(m === 'analyzed')
    })
    const fail = () => {
      failed = true
      busy = false
      autoCheckpoint(AUTO_CHECKPOINT_PAGES)
      onAnalyzed?.(false)
      onStopped()
    }
    worker.once('error', fail)
    worker.once('exit', fail)
    autoCheckpoint(0)
    worker.postMessage({ file } satisfies CheckpointWorkerInput)
    const pacing: CheckpointPacing = {
      get busy() {
        return busy
      },
      committed() {
        if (failed || busy || ++commits < commitsPerCheckpoint) return
        commits = 0
        busy = true
        worker.postMessage('checkpoint')
      },
      analyze: async () => {
        const ok = failed ? false : await new Promise<boolean>((resolve) => {
          onAnalyzed = resolve
          worker.postMessage('analyze')
        })
        onAnalyzed = null
        if (ok) {
          // Another connection's statistics are read in only on request (a quick read of sqlite_stat1).
          this.db.exec('ANALYZE sqlite_schema')
          this.statisticsChanged()
        } else this.analyze()
      },
    }
    try {
      return await fn(pacing)
    } finally {
      autoCheckpoint(AUTO_CHECKPOINT_PAGES)
      if (!failed) worker.postMessage('stop')
      await stopped
      worker.removeAllListeners()
      void worker.terminate()
    }
  }

  close(): void {
    this.sql.forgetStatements()
    // Fold the WAL back so the folder holds one tidy file when the studio is closed.
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } catch {
      // another reader may hold the WAL; it is checkpointed next time
    }
    this.db.close()
  }
}
