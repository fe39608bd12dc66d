/**
 * Images and their files: what the indexer writes after a scan, and lookups of one image (by id,
 * content hash or path) with the files that hold its content.
 */
import type { ImageStatus } from '../../../preload/vocabulary'
import type { Sql } from './sql'

export interface ImageRow {
  id: number
  hash: string
  /** Display path (first present file by name); null when no file has this content any more. */
  path: string | null
  /** How many files have exactly this content (exact duplicates are one image). */
  fileCount: number
  width: number | null
  height: number | null
  format: string | null
  bytes: number
  error: string | null
  status: ImageStatus
  classId: number | null
  confidence: number | null
  uncertainty: number | null
  roundId: number | null
  /** Milliseconds since the epoch of the current label's event; null when never labelled. */
  changedAt: number | null
}

export interface FileContent {
  hash: string
  bytes: number
  width: number | null
  height: number | null
  format: string | null
  error: string | null
}

/** What the indexer learnt about one file. `content` is null when the file could not be read at all. */
export interface FileRecord {
  path: string
  size: number
  mtimeMs: number
  content: FileContent | null
  /** Reason when content is null. */
  fileError?: string
}

export interface KnownFile {
  size: number
  mtimeMs: number
  imageId: number | null
}

/** The columns of an ImageRow, in RawImage's names. */
export const ROW_SQL = `id, hash, path, file_count, width, height, format, bytes, error, status, class_id, confidence, uncertainty, round_id, changed_at`

export interface RawImage {
  id: number
  hash: string
  path: string | null
  file_count: number
  width: number | null
  height: number | null
  format: string | null
  bytes: number
  error: string | null
  status: ImageStatus
  class_id: number | null
  confidence: number | null
  uncertainty: number | null
  round_id: number | null
  changed_at: number | null
}

export function toRow(r: RawImage): ImageRow {
  return {
    id: r.id,
    hash: r.hash,
    path: r.path,
    fileCount: r.file_count,
    width: r.width,
    height: r.height,
    format: r.format,
    bytes: r.bytes,
    error: r.error,
    status: r.status,
    classId: r.class_id,
    confidence: r.confidence,
    uncertainty: r.uncertainty,
    roundId: r.round_id,
    changedAt: r.changed_at,
  }
}

export class Images {
  constructor(private readonly sql: Sql) {}

  /** What the last scan recorded, for every path or for the given subpaths (files or folders). */
  knownFiles(subpaths: readonly string[] = ['']): Map<string, KnownFile> {
    const out = new Map<string, KnownFile>()
    for (const page of this.knownFilePages(subpaths)) for (const k of page) out.set(k.path, k)
    return out
  }

  /**
   * The same, a page of `limit` files (by path) at a time. No statement stays open between pages,
   * so a scan of a million files can let the event loop (and other writes) run in between.
   */
  *knownFilePages(subpaths: readonly string[] = [''], limit = 2000): Generator<(KnownFile & { path: string })[]> {
    type Raw = { path: string; size: number; mtime_ms: number; image_id: number | null }
    const page = (rows: Raw[]) => rows.map((r) => ({ path: r.path, size: r.size, mtimeMs: r.mtime_ms, imageId: r.image_id }))
    const cols = 'SELECT path, size, mtime_ms, image_id FROM files'
    const all = this.sql.st(`${cols} WHERE path > ? ORDER BY path LIMIT ?`)
    const exact = this.sql.st(`${cols} WHERE path = ?`)
    // One range on the primary key per page: '/' + 1 is '0', so (sub/, sub0) holds exactly the
    // paths below the folder `sub`, and a page starts after the last path read (a disjunction with
    // the folder's own path made SQLite read and sort the rest of the folder for every page).
    const below = this.sql.st(`${cols} WHERE path > ? AND path < ? ORDER BY path LIMIT ?`)
    for (const sub of subpaths.includes('') ? [''] : subpaths) {
      if (sub !== '') {
        const self = exact.all(sub) as Raw[]
        if (self.length > 0) yield page(self)
      }
      let after = sub === '' ? '' : `${sub}/` // paths are never empty and never end with '/'
      for (;;) {
        const rows = (sub === '' ? all.all(after, limit) : below.all(after, `${sub}0`, limit)) as Raw[]
        if (rows.length === 0) break
        after = (rows[rows.length - 1] as Raw).path
        yield page(rows)
      }
    }
  }

  /** Records indexed files and forgets removed paths in one transaction; images keep their labels. */
  applyScan(records: readonly FileRecord[], removedPaths: readonly string[]): void {
    if (records.length === 0 && removedPaths.length === 0) return
    const now = Date.now()
    this.sql.scanVersion++
    // Scan results can always be rebuilt from the folder, so their commits skip the fsync that
    // label changes get (WAL + NORMAL still survives a process crash): at 100k files the fsyncs
    // were the longest pauses of the event loop. Labels go back to FULL right after.
    this.sql.db.exec('PRAGMA synchronous = NORMAL')
    try {
      this.applyScanTx(records, removedPaths, now)
    } finally {
      this.sql.db.exec('PRAGMA synchronous = FULL')
    }
  }

  private applyScanTx(records: readonly FileRecord[], removedPaths: readonly string[], now: number): void {
    this.sql.transaction(() => {
      const touched = new Set<number>()
      const oldImage = this.sql.st('SELECT image_id FROM files WHERE path = ?')
      for (const p of removedPaths) {
        const old = oldImage.get(p) as { image_id: number | null } | undefined
        if (old?.image_id != null) touched.add(old.image_id)
        this.sql.st('DELETE FROM files WHERE path = ?').run(p)
      }
      const findImage = this.sql.st('SELECT id, error FROM images WHERE hash = ?')
      // A new image is inserted complete (path, count, availability): updating it afterwards would
      // rewrite every index that holds `avail`, which dominated the first index of a large folder.
      const insertImage = this.sql.st(
        `INSERT INTO images (hash, bytes, width, height, format, error, first_seen, path, file_count, avail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
      )
      const updateImage = this.sql.st('UPDATE images SET width = ?, height = ?, format = ?, error = COALESCE(?, error) WHERE id = ? RETURNING error')
      const upsertFile = this.sql.st(
        `INSERT INTO files (path, image_id, size, mtime_ms, error) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(path) DO UPDATE SET image_id = excluded.image_id, size = excluded.size, mtime_ms = excluded.mtime_ms, error = excluded.error`,
      )
      const created = new Set<number>()
      for (const r of records) {
        const old = oldImage.get(r.path) as { image_id: number | null } | undefined
        if (old?.image_id != null) touched.add(old.image_id)
        if (r.content) {
          const c = r.content
          const found = findImage.get(c.hash) as { id: number; error: string | null } | undefined
          let id: number
          let error: string | null
          if (found && !created.has(found.id)) {
            id = found.id
            error = (updateImage.get(c.width, c.height, c.format, c.error, id) as { error: string | null }).error
            touched.add(id)
          } else if (found) {
            // a duplicate of an image created in this same batch
            id = found.id
            error = found.error
            touched.add(id)
          } else {
            id = Number(insertImage.run(c.hash, c.bytes, c.width, c.height, c.format, c.error, now, r.path, c.error === null ? 1 : 2).lastInsertRowid)
            error = c.error
            created.add(id)
          }
          upsertFile.run(r.path, id, r.size, r.mtimeMs, error)
        } else {
          upsertFile.run(r.path, null, r.size, r.mtimeMs, r.fileError ?? 'cannot be read')
        }
      }
      const current = this.sql.st('SELECT path, file_count, avail, error FROM images WHERE id = ?')
      const actual = this.sql.st('SELECT count(*) AS n, min(path) AS path FROM files WHERE image_id = ?')
      const refresh = this.sql.st('UPDATE images SET file_count = ?, path = ?, avail = ? WHERE id = ?')
      for (const id of touched) {
        const cur = current.get(id) as { path: string | null; file_count: number; avail: number; error: string | null }
        const a = actual.get(id) as { n: number; path: string | null }
        const avail = a.n === 0 ? 0 : cur.error === null ? 1 : 2
        // Only write what changed: each write of these columns touches several indexes.
        if (cur.file_count !== a.n || cur.path !== a.path || cur.avail !== avail) refresh.run(a.n, a.path, avail, id)
      }
    })
  }

  /** Marks an image's content unusable (found when decoding it fully, e.g. for a thumbnail). */
  markUnreadable(imageId: number, reason: string): void {
    this.sql.scanVersion++
    this.sql.transaction(() => {
      this.sql.st('UPDATE images SET error = ?, avail = CASE WHEN file_count = 0 THEN 0 ELSE 2 END WHERE id = ?').run(reason, imageId)
      this.sql.st('UPDATE files SET error = ? WHERE image_id = ?').run(reason, imageId)
    })
  }

  /** One image by id (present or gone); null when there is none. */
  get(id: number): ImageRow | null {
    const r = this.sql.st(`SELECT ${ROW_SQL} FROM images WHERE id = ?`).get(id) as RawImage | undefined
    return r ? toRow(r) : null
  }

  byHash(hash: string): ImageRow | null {
    const r = this.sql.st(`SELECT ${ROW_SQL} FROM images WHERE hash = ?`).get(hash) as RawImage | undefined
    return r ? toRow(r) : null
  }

  /** The image held by the file at `path` (relative to the folder); null when the path is unknown or its bytes could not be read. */
  byPath(path: string): ImageRow | null {
    const r = this.sql.st(`SELECT ${ROW_SQL.replace(/(^|, )/g, '$1i.')} FROM files f JOIN images i ON i.id = f.image_id WHERE f.path = ?`).get(path) as RawImage | undefined
    return r ? toRow(r) : null
  }

  /** Every file path with this image's content (its duplicate group), by name. */
  filesOf(imageId: number): string[] {
    return (this.sql.st('SELECT path FROM files WHERE image_id = ? ORDER BY path').all(imageId) as { path: string }[]).map((r) => r.path)
  }

  /** Files that cannot be used, each with its reason, by path. `imageId` is null when not even the bytes could be read. */
  unreadableFiles(offset = 0, limit = 100): { total: number; items: { path: string; reason: string; imageId: number | null }[] } {
    const total = (this.sql.st('SELECT count(*) AS n FROM files WHERE error IS NOT NULL').get() as { n: number }).n
    const items = (this.sql.st('SELECT path, error, image_id FROM files WHERE error IS NOT NULL ORDER BY path LIMIT ? OFFSET ?').all(limit, offset) as { path: string; error: string; image_id: number | null }[]).map((r) => ({
      path: r.path,
      reason: r.error,
      imageId: r.image_id,
    }))
    return { total, items }
  }
}
