/**
 * Worker-thread entry: checkpoints a database's WAL from a connection of its own while a long scan
 * writes, so that copying the WAL back into the database file, and the fsyncs that go with it, never
 * run on the main event loop (in the committing call they were the scan's longest pauses).
 * It also refreshes the planner's statistics at the end of such a scan (ANALYZE of a million rows
 * and twenty indexes takes a second or more, too long for the main thread).
 *   in:  { file } once, then 'checkpoint' or 'analyze' any number of times, then 'stop'
 *   out: 'checkpointed' after each checkpoint, 'analyzed' or 'analyze failed', 'stopped' once the connection is closed
 */
import { parentPort } from 'node:worker_threads'
import { DatabaseSync } from '@photostructure/sqlite'
import { ANALYSIS_LIMIT } from './sql'

export interface CheckpointWorkerInput {
  file: string
}

parentPort?.once('message', ({ file }: CheckpointWorkerInput) => {
  const db = new DatabaseSync(file, { timeout: 1000 })
  parentPort?.on('message', (m: unknown) => {
    if (m === 'checkpoint') {
      try {
        // PASSIVE: never waits for the writer nor blocks it (RESTART would block the main thread's
        // next commit). The writer holds its commits meanwhile, so the whole WAL is copied and the
        // next commit starts it again from the beginning; frames a writer appended anyway are
        // copied by the next checkpoint.
        db.exec('PRAGMA wal_checkpoint(PASSIVE)')
      } catch {
        // busy (another checkpointer): the next one catches up
      }
      parentPort?.postMessage('checkpointed')
    } else if (m === 'analyze') {
      try {
        // One table or index at a time: each ANALYZE holds the write lock, and a label decision
        // on the main connection waits for it (and fails after the busy timeout).
        db.exec(`PRAGMA analysis_limit = ${ANALYSIS_LIMIT}`)
        // Each index once, and the tables that have none (ANALYZE of a table also does all its
        // indexes: naming both did every index twice).
        const names = db
          .prepare(
            `SELECT name FROM sqlite_schema WHERE type = 'index'
             UNION ALL SELECT t.name FROM sqlite_schema t WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%'
               AND NOT EXISTS (SELECT 1 FROM sqlite_schema i WHERE i.type = 'index' AND i.tbl_name = t.name)`,
          )
          .all() as { name: string }[]
        for (const { name } of names) db.exec(`ANALYZE "${name.replaceAll('"', '""')}"`)
        parentPort?.postMessage('analyzed')
      } catch {
        parentPort?.postMessage('analyze failed')
      }
    } else if (m === 'stop') {
      db.close()
      parentPort?.postMessage('stopped')
    }
  })
})
