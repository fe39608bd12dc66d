/**
 * What every part of the store shares: the connection, one cache of prepared statements, the
 * transaction helper and the version counters that the query caches compare against.
 */
import type { DatabaseSyncInstance, StatementSyncInstance } from '@photostructure/sqlite'

/** Rows ANALYZE samples per index: estimates are enough for the planner, and it stays quick. */
export const ANALYSIS_LIMIT = 2000

export class Sql {
  private readonly stmts = new Map<string, StatementSyncInstance>()
  /** Bumped by every write transaction; cached page totals from an older version are stale. */
  version = 0
  /** Bumped by writes that change files (scans, unreadable marks). */
  scanVersion = 0

  constructor(readonly db: DatabaseSyncInstance) {}

  /** Prepared statements are cached: preparing costs more than running at 100k rows. */
  st(sql: string): StatementSyncInstance {
    let s = this.stmts.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.stmts.set(sql, s)
    }
    return s
  }

  /** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, no upgrade deadlocks). */
  transaction<T>(fn: () => T): T {
    // Inside a caller's transaction (a decision with its lease check): one commit, one rollback.
    if (this.db.isTransaction) return fn()
    this.version++
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw err
    }
  }

  private batch: { fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void }[] | null = null

  /**
   * Runs `fn` in a transaction shared with the other calls made in the same turn of the event loop,
   * and resolves once that transaction is committed: one commit (one fsync) for all of them. With
   * several reviewers deciding at once, the fsync is most of a decision's cost, so this is what
   * keeps their answers quick. Each call runs in its own savepoint: one that throws is rolled back
   * alone and rejects; the others commit. A failed commit rejects them all.
   */
  groupCommit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.batch) {
        this.batch = []
        setImmediate(() => this.flush())
      }
      this.batch.push({ fn, resolve: resolve as (value: unknown) => void, reject })
    })
  }

  private flush(): void {
    const jobs = this.batch ?? []
    this.batch = null
    const settle: (() => void)[] = []
    try {
      this.transaction(() => {
        for (const job of jobs) {
          // Each job may read what the jobs before it wrote: no query cache may answer from before them.
          this.version++
          this.db.exec('SAVEPOINT job')
          try {
            const value = job.fn()
            this.db.exec('RELEASE job')
            settle.push(() => job.resolve(value))
          } catch (err) {
            this.db.exec('ROLLBACK TO job')
            this.db.exec('RELEASE job')
            settle.push(() => job.reject(err))
          }
        }
      })
    } catch (err) {
      for (const job of jobs) job.reject(err)
      return
    }
    for (const s of settle) s()
  }

  /**
   * Runs `fn`, a write that moves a large share of `table`'s rows in its indexes, with those indexes
   * dropped and built again after it (the same definitions, under the same names, with fresh
   * planner statistics: a dropped index loses its sqlite_stat1 row). Building an index sorts its
   * rows once; updating it in place costs a B-tree search per row and index: a round's 577,000
   * proposals at a million images took minutes in place. Call it inside a transaction: a failure
   * rolls the indexes back with the write.
   */
  withIndexesRebuilt<T>(table: string, fn: () => T): T {
    if (!this.db.isTransaction) throw new Error('withIndexesRebuilt runs inside a transaction')
    const indexes = this.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table) as { name: string; sql: string }[]
    // A savepoint of its own: a caller that caught the error and committed anyway must not commit
    // the table without its indexes.
    this.db.exec('SAVEPOINT rebuild')
    try {
      for (const i of indexes) this.db.exec(`DROP INDEX "${i.name}"`)
      const out = fn()
      for (const i of indexes) this.db.exec(i.sql)
      this.db.exec(`PRAGMA analysis_limit = ${ANALYSIS_LIMIT}; ANALYZE "${table}"`)
      this.db.exec('RELEASE rebuild')
      return out
    } catch (err) {
      this.db.exec('ROLLBACK TO rebuild; RELEASE rebuild')
      throw err
    }
  }

  /** Drops the prepared statements (their plans are made at prepare time). */
  forgetStatements(): void {
    this.stmts.clear()
  }
}
