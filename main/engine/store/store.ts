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
import { Sql } from './sql'

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
    this.db.exec('PRAGMA analysis_limit = 2000; ANALYZE')
    this.sql.forgetStatements() // plans are made at prepare time
    this.queries.forgetPlans()
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
