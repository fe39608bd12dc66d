/**
 * Opening the project database: the lock that keeps a second studio process out, recognising
 * corrupt or foreign files, and the schema migrations. Where the files are is engine/project's
 * business (paths.ts, locations.ts).
 */
import { DatabaseSync, type DatabaseSyncInstance } from '@photostructure/sqlite'
import { closeSync, openSync, readSync, renameSync, existsSync, statSync, writeFileSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'

export type StoreErrorCode =
  /** The file is not an SQLite database at all (wrong header). */
  | 'not_a_database'
  /** An SQLite database, but not one of ours (other tables, other application id). */
  | 'foreign_database'
  /** Ours, but damaged (integrity check failed or SQLite reports corruption). */
  | 'corrupt_database'
  /** Written by a newer studio: its schema version is above the one this build knows. */
  | 'newer_schema'
  /** Another studio process has this project open. */
  | 'open_elsewhere'
  /** Neither the folder nor the fallback data folder can hold the project's data. */
  | 'no_writable_location'

/** A failure opening the project store, with a code the UI can act on (offer to start afresh, etc.). */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly dbPath?: string,
  ) {
    super(message)
    this.name = 'StoreError'
  }
}

/** Written into the database header so that we can tell our files from other SQLite files ("PLST"). */
export const APPLICATION_ID = 0x504c5354

/** Each entry moves the schema from version i to i+1; never edit a shipped entry, append a new one. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,          -- sha256 of the file's bytes: the image's identity
    bytes INTEGER NOT NULL,
    width INTEGER, height INTEGER,      -- upright (EXIF orientation applied)
    format TEXT,
    error TEXT,                         -- why the content cannot be used; NULL when readable
    path TEXT,                          -- display path: the first present file, by name; NULL when gone
    file_count INTEGER NOT NULL DEFAULT 0,
    avail INTEGER NOT NULL DEFAULT 0,   -- 1 present and readable, 2 present but unreadable, 0 gone
    first_seen INTEGER NOT NULL,
    -- The current label, materialised from label_events in the same transaction as each event,
    -- so that the grid's filters and sorts are index scans.
    status TEXT NOT NULL DEFAULT 'unlabelled',
    class_id INTEGER,
    confidence REAL,
    uncertainty REAL,
    round_id INTEGER,
    label_event_id INTEGER,
    changed_at INTEGER
  );
  CREATE INDEX images_name ON images(avail, path);
  CREATE INDEX images_status_name ON images(avail, status, path);
  CREATE INDEX images_status_conf ON images(avail, status, confidence);
  CREATE INDEX images_status_unc ON images(avail, status, uncertainty);
  CREATE INDEX images_status_changed ON images(avail, status, changed_at);
  CREATE INDEX images_class_name ON images(avail, class_id, path);
  CREATE INDEX images_class_conf ON images(avail, class_id, confidence);
  CREATE INDEX images_class_unc ON images(avail, class_id, uncertainty);
  CREATE INDEX images_class_changed ON images(avail, class_id, changed_at);
  CREATE INDEX images_class_status ON images(avail, class_id, status);  -- counts(): an index-only scan
  CREATE INDEX images_conf ON images(avail, confidence);
  CREATE INDEX images_unc ON images(avail, uncertainty);
  CREATE INDEX images_changed ON images(avail, changed_at);

  CREATE TABLE files (
    path TEXT PRIMARY KEY,              -- relative to the project folder, forward slashes
    image_id INTEGER REFERENCES images(id),
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    error TEXT                          -- the file itself could not be read (no content to identify)
  ) WITHOUT ROWID;
  CREATE INDEX files_image ON files(image_id);
  CREATE INDEX files_unreadable ON files(path) WHERE error IS NOT NULL;

  CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    color TEXT,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                 -- teacher | head | student
    name TEXT NOT NULL,
    path TEXT,
    params TEXT,                        -- JSON
    created_at INTEGER NOT NULL
  );

  CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL DEFAULT 'running',  -- running | done | failed | cancelled
    teacher_id INTEGER REFERENCES models(id),
    head_id INTEGER REFERENCES models(id),
    params TEXT,                        -- JSON
    summary TEXT                        -- JSON
  );

  -- One user gesture or one job step; undo and redo act on whole actions.
  CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    undoable INTEGER NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0     -- 1 undone (on the redo stack), 2 undone for good
  );
  CREATE INDEX actions_undo ON actions(undoable, undone, id);

  CREATE TABLE label_events (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id),
    image_id INTEGER NOT NULL REFERENCES images(id),
    class_id INTEGER REFERENCES classes(id),  -- NULL: the label was cleared
    source TEXT NOT NULL CHECK (source IN ('human', 'pseudo')),
    round_id INTEGER REFERENCES rounds(id),
    confidence REAL,
    uncertainty REAL,
    state TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'rejected', 'relabelled')),
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX label_events_image ON label_events(image_id, id);
  CREATE INDEX label_events_action ON label_events(action_id);
  `,
  // A deleted (or merged-away) class stays in the table, so that history still names it and undo
  // can bring it back: it is deleted while the action in deleted_by is live (not undone).
  `
  ALTER TABLE classes ADD COLUMN deleted_by INTEGER REFERENCES actions(id);
  `,
  // Where an action's labels came from when not from a gesture in the studio: the file an import
  // read (its path as given), so the audit trail names it.
  `
  ALTER TABLE actions ADD COLUMN origin TEXT;
  `,
  // A class an import created: it lives only while that action is live, so one undo of the import
  // takes its new classes away with its labels.
  `
  ALTER TABLE classes ADD COLUMN created_by INTEGER REFERENCES actions(id);
  `,
  // Reviewers: undo and redo act on one actor's actions (the index); a decision carries the
  // client's request id so that a retry after a lost answer is recognised, not applied twice;
  // review leases survive a restart, so two reviewers never hold the same proposal.
  `
  ALTER TABLE actions ADD COLUMN request_id TEXT;
  CREATE UNIQUE INDEX actions_request ON actions(actor, request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX actions_actor_undo ON actions(actor, undoable, undone, id);
  CREATE TABLE review_leases (
    image_id INTEGER PRIMARY KEY REFERENCES images(id),
    actor TEXT NOT NULL,
    expires_at INTEGER NOT NULL         -- ms since the epoch; an expired lease holds nothing
  );
  CREATE INDEX review_leases_actor ON review_leases(actor);
  `,
  // The review queue's "proposals at or above a threshold, per class" (asked after every decision
  // while the queue is open) and a class's proposals by confidence: an index-only range. Through
  // images_class_conf each image above the threshold cost a table read to check its status: at a
  // million images, tens of thousands of reads per decision.
  `
  CREATE INDEX images_status_class_conf ON images(avail, status, class_id, confidence);
  -- A new index without statistics among indexes with them looks to the planner as if it found a
  -- few rows: it took it for every "avail = 1" query and sorted a million rows for each page.
  PRAGMA analysis_limit = 2000;
  ANALYZE images;
  `,
  // The panels' counts (present images per class and status, their files and duplicate groups),
  // kept by triggers as images change: counting a million rows took about a second, and the
  // panels ask after every label change. class_id 0 stands for "no class" (ids start at 1).
  `
  CREATE TABLE image_counts (
    class_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,           -- present, readable images (avail = 1)
    files INTEGER NOT NULL,       -- their files (sum of file_count)
    dup INTEGER NOT NULL,         -- those with more than one file
    PRIMARY KEY (class_id, status)
  ) WITHOUT ROWID;
  INSERT INTO image_counts (class_id, status, n, files, dup)
    SELECT COALESCE(class_id, 0), status, count(*), sum(file_count), sum(file_count > 1) FROM images WHERE avail = 1 GROUP BY 1, 2;
  CREATE TRIGGER image_counts_insert AFTER INSERT ON images WHEN NEW.avail = 1 BEGIN
    INSERT INTO image_counts VALUES (COALESCE(NEW.class_id, 0), NEW.status, 1, NEW.file_count, NEW.file_count > 1)
      ON CONFLICT (class_id, status) DO UPDATE SET n = n + 1, files = files + excluded.files, dup = dup + excluded.dup;
  END;
  CREATE TRIGGER image_counts_delete AFTER DELETE ON images WHEN OLD.avail = 1 BEGIN
    UPDATE image_counts SET n = n - 1, files = files - OLD.file_count, dup = dup - (OLD.file_count > 1) WHERE class_id = COALESCE(OLD.class_id, 0) AND status = OLD.status;
  END;
  CREATE TRIGGER image_counts_update AFTER UPDATE OF avail, status, class_id, file_count ON images WHEN OLD.avail = 1 OR NEW.avail = 1 BEGIN
    UPDATE image_counts SET n = n - 1, files = files - OLD.file_count, dup = dup - (OLD.file_count > 1) WHERE OLD.avail = 1 AND class_id = COALESCE(OLD.class_id, 0) AND status = OLD.status;
    INSERT INTO image_counts SELECT COALESCE(NEW.class_id, 0), NEW.status, 1, NEW.file_count, NEW.file_count > 1 WHERE NEW.avail = 1
      ON CONFLICT (class_id, status) DO UPDATE SET n = n + 1, files = files + excluded.files, dup = dup + excluded.dup;
  END;
  `,
  // A class's images by each sort, "status != 'rejected'" checked in the index, not the table: an
  // index-only scan that a page seeks into (anchors in queries.ts), instead of an id list built by
  // reading every matching row (a second or more at a million images). They hold the old indexes'
  // columns first, so they replace them. The id before status keeps ties in id order. At a million
  // images this migration took 13 s on a busy 2-core machine (2.5 s an index), plus the full check
  // that any migration gets.
  `
  DROP INDEX images_class_name;
  DROP INDEX images_class_conf;
  DROP INDEX images_class_unc;
  DROP INDEX images_class_changed;
  CREATE INDEX images_class_name ON images(avail, class_id, path, id, status);
  CREATE INDEX images_class_conf ON images(avail, class_id, confidence, id, status);
  CREATE INDEX images_class_unc ON images(avail, class_id, uncertainty, id, status);
  CREATE INDEX images_class_changed ON images(avail, class_id, changed_at, id, status);
  PRAGMA analysis_limit = 2000;
  ANALYZE images;
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length

function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(100)
    const n = readSync(fd, buf, 0, 100, 0)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/**
 * Holds an exclusive SQLite lock on a small side file for as long as the project is open. The OS
 * drops the lock when the process dies, so a crash never leaves a stale lock behind (a pid file
 * could, and pids get reused).
 */
export class ProjectLock {
  private constructor(private db: DatabaseSyncInstance | null) {}

  /** Locks `lockFile`, noting who holds it in `ownerFile`; throws StoreError 'open_elsewhere' when another process has it. */
  static acquire(lockFile: string, ownerFile: string): ProjectLock {
    const db = new DatabaseSync(lockFile, { timeout: 0 })
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE')
      // The first write takes the exclusive lock; with locking_mode EXCLUSIVE it is kept after commit.
      db.exec('BEGIN EXCLUSIVE')
      // exec only, no prepared statement: an unfinalised statement keeps a closed connection (and
      // so this lock) alive until garbage collection, and the node:sqlite API cannot finalise one.
      db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER, since INTEGER)')
      db.exec('DELETE FROM owner')
      db.exec(`INSERT INTO owner VALUES (${process.pid}, ${Date.now()})`)
      db.exec('COMMIT')
    } catch (err) {
      db.close()
      if (/locked|busy/i.test((err as Error).message)) {
        let who = ''
        try {
          const o = JSON.parse(readFileSync(ownerFile, 'utf8')) as { pid?: number; host?: string }
          who = ` (process ${o.pid} on ${o.host})`
        } catch {
          // the owner note is a courtesy; the lock itself is what counts
        }
        throw new StoreError('open_elsewhere', `This project is open in another studio window or process${who}. Close it there first.`)
      }
      throw err
    }
    try {
      writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() }))
    } catch {
      // best effort, see above
    }
    return new ProjectLock(db)
  }

  release(): void {
    this.db?.close()
    this.db = null
  }
}

/** Opens (creating or migrating) the project database; throws StoreError for files it cannot use. */
export function openDatabase(dbPath: string): DatabaseSyncInstance {
  const existed = existsSync(dbPath)
  if (existed) {
    const head = readHeader(dbPath)
    if (head.length > 0 && !head.subarray(0, 16).equals(Buffer.from('SQLite format 3\0', 'latin1'))) {
      throw new StoreError('not_a_database', `${dbPath} is not a studio project database (not an SQLite file).`, dbPath)
    }
  }
  // Read before SQLite opens the file: a clean close checkpoints and deletes the WAL.
  const walLeftBehind = existed && existsSync(`${dbPath}-wal`) && statSync(`${dbPath}-wal`).size > 0
  let db: DatabaseSyncInstance
  try {
    db = new DatabaseSync(dbPath, { timeout: 5000 })
  } catch (err) {
    throw classify(err, dbPath)
  }
  try {
    db.exec('PRAGMA journal_mode = WAL')
    // FULL: each commit is fsynced, so an acknowledged label survives power loss, not only SIGKILL.
    db.exec('PRAGMA synchronous = FULL')
    db.exec('PRAGMA foreign_keys = ON')
    db.exec('PRAGMA cache_size = -32000') // 32 MB page cache
    const appId = (db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n
    if (appId !== APPLICATION_ID && tables > 0) {
      throw new StoreError('foreign_database', `${dbPath} is an SQLite database of another program, not a studio project.`, dbPath)
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError('newer_schema', `${dbPath} was written by a newer version of the studio (schema ${version}, this one knows ${SCHEMA_VERSION}).`, dbPath)
    }
    // a migration writes all over the file: it runs only on a database checked in full
    if (existed && tables > 0) checkIntegrity(db, dbPath, walLeftBehind, version < SCHEMA_VERSION)
    migrate(db, version)
    return db
  } catch (err) {
    db.close()
    throw classify(err, dbPath)
  }
}

/**
 * Databases up to this size are checked in full (PRAGMA quick_check) on every open: about 0.3 s at
 * 100k images. A million images make a ~600 MB database that takes seconds to check, more than the
 * whole reopen may take (`npm run bench -- library --images 1000000`), so a larger one is checked
 * in full only when its last session did not close cleanly (its WAL was left behind) or a
 * migration is about to rewrite it; otherwise only its size against its page count (a truncated
 * copy), and SQLite reports a damaged page when a query reads it (damage inside a file of the right
 * length, e.g. a failing disk, is then found late: the price of a 0.3 s reopen at a million images).
 */
export const FULL_CHECK_MAX_BYTES = 128 * 1024 * 1024

function checkIntegrity(db: DatabaseSyncInstance, dbPath: string, walLeftBehind: boolean, migrating: boolean): void {
  const damaged = (detail: string) => new StoreError('corrupt_database', `${dbPath} is damaged: ${detail}`, dbPath)
  const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size
  const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count
  const bytes = statSync(dbPath).size
  // The WAL may hold pages beyond the main file's end; the file itself is never longer than its pages.
  if (!walLeftBehind && bytes < pages * pageSize) throw damaged(`the file is ${bytes} bytes, shorter than its ${pages} pages of ${pageSize} (a truncated copy?)`)
  if (bytes > FULL_CHECK_MAX_BYTES && !walLeftBehind && !migrating) return
  const check = db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]
  if (check.length !== 1 || check[0]?.quick_check !== 'ok') throw damaged(check.slice(0, 3).map((r) => r.quick_check).join('; '))
}

function migrate(db: DatabaseSyncInstance, from: number): void {
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(MIGRATIONS[v] as string)
      db.exec(`PRAGMA user_version = ${v + 1}`)
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }
}

function classify(err: unknown, dbPath: string): Error {
  if (err instanceof StoreError) return err
  const msg = err instanceof Error ? err.message : String(err)
  if (/not a database/i.test(msg)) return new StoreError('not_a_database', `${dbPath} is not a studio project database (${msg}).`, dbPath)
  if (/malformed|corrupt/i.test(msg)) return new StoreError('corrupt_database', `${dbPath} is damaged (${msg}).`, dbPath)
  return err instanceof Error ? err : new Error(msg)
}

/**
 * Moves a database the studio cannot use out of the way (with its WAL and shared-memory files) so
 * that a fresh project can start; nothing is deleted. Returns where the old file now is.
 */
export function moveDatabaseAside(dbPath: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const aside = `${dbPath}.unusable-${stamp}`
  renameSync(dbPath, aside)
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, aside + suffix)
  }
  return aside
}
