/**
 * What every part of the store shares: the connection, one cache of prepared statements, the
 * transaction helper and the version counters that the query caches compare against.
 */
import type { DatabaseSyncInstance, StatementSyncInstance } from '@photostructure/sqlite'

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

  /** Drops the prepared statements (their plans are made at prepare time). */
  forgetStatements(): void {
    this.stmts.clear()
  }
}
