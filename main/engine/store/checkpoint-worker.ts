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

/** WAL frames (of 4 KB) past which a checkpoint makes sure the WAL starts over: 64 MB. */
const RESTART_FRAMES = 16_384

export interface CheckpointWorkerInput {
  file: string
}

parentPort?.once('message', ({ file }: CheckpointWorkerInput) => {
  const db = new DatabaseSync(file, { timeout: 1000 })
  parentPort?.on('message', (m: unknown) => {
    if (m === 'checkpoint') {
      try {
        // PASSIVE: never waits for the writer nor blocks it; the writer holds its commits meanwhile,
        // so the whole WAL is copied and the next commit starts it again from the beginning.
        const r = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number }
        // Frames appended meanwhile (the writer may not hold its commits for ever) keep the WAL from
        // starting over; once it is this long, RESTART waits for the writer's commit in progress and
        // copies everything, so that the WAL stays bounded.
        if (r.log > RESTART_FRAMES) db.exec('PRAGMA wal_checkpoint(RESTART)')
      } catch {
        // busy (another checkpointer): the next one catches up
      }
      parentPort?.postMessage('checkpointed')
    } else if (m === 'analyze') {
      try {
        db.exec(`PRAGMA analysis_limit = ${ANALYSIS_LIMIT}; ANALYZE`)
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
