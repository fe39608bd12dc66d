/**
 * The project store: SQL over the schema in db.ts. Synchronous on purpose: every call is short
 * (an index lookup or one small transaction) and a returned call means the change is committed
 * and fsynced, which is what "acknowledged" means for a label.
 */
import type { DatabaseSyncInstance, StatementSyncInstance } from '@photostructure/sqlite'
import { statusOf, zeroPerStatus, type ImageStatus, type LabelSource, type LabelState, type SortKey, type StatusFilter } from '../../../preload/vocabulary'

/**
 * One label event to record. Conventions:
 * - seed label by a person:            source human,  state accepted,   round null
 * - pseudo-label proposed by round r:  source pseudo, state proposed,   round r, confidence
 * - a person accepts / rejects it:     source pseudo, state accepted / rejected, same class and round
 * - a person corrects it:              source human,  state relabelled, the new class
 * - a person clears a label:           class null (the image becomes unlabelled)
 */
export interface LabelChange {
  imageId: number
  classId: number | null
  source: LabelSource
  state: LabelState
  roundId?: number | null
  confidence?: number | null
  /** Higher = less sure (e.g. margin or entropy); defaults to 1 - confidence. */
  uncertainty?: number | null
}

export interface LabelEvent extends Required<LabelChange> {
  id: number
  actionId: number
  actor: string
  at: number
  /** True when the event's action was undone (it no longer counts). */
  undone: boolean
}

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

export interface PageQuery {
  /** Default 'all': every readable present image. 'unreadable': images whose content cannot be used. */
  status?: StatusFilter | 'unreadable'
  classId?: number
  minConfidence?: number
  maxConfidence?: number
  sort?: SortKey
  descending?: boolean
  offset?: number
  /** Default 100, at most 2000. */
  limit?: number
}

export interface Page {
  total: number
  offset: number
  items: ImageRow[]
}

export interface ClassInfo {
  id: number
  name: string
  color: string | null
}

export interface Counts {
  /** Present, readable images (duplicates counted once). */
  images: number
  /** Files on disk that are images of the project (duplicates counted each). */
  files: number
  /** Images that have more than one file. */
  duplicateGroups: number
  /** Files that cannot be used, each with a reason (see unreadableFiles). */
  unreadableFiles: number
  byStatus: Record<ImageStatus, number>
  byClass: { classId: number; name: string; byStatus: Record<ImageStatus, number> }[]
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

export interface UndoResult {
  actionId: number
  imageIds: number[]
}

/** A class name taken, or a merge into itself: the caller's mistake, said in words. */
export class ClassConflict extends Error {
  override name = 'ClassConflict'
}

/** SQL condition (over classes c LEFT JOIN actions a ON a.id = c.deleted_by): the class is not deleted. */
const LIVE_CLASS = '(c.deleted_by IS NULL OR a.undone != 0)'

const SORT_COLUMN: Record<SortKey, string> = { name: 'path', confidence: 'confidence', uncertainty: 'uncertainty', changed: 'changed_at' }

const ROW_SQL = `id, hash, path, file_count, width, height, format, bytes, error, status, class_id, confidence, uncertainty, round_id, changed_at`

interface RawImage {
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

function toRow(r: RawImage): ImageRow {
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

export class ProjectStore {
  private readonly stmts = new Map<string, StatementSyncInstance>()
  /** Bumped by every write; cached page totals from an older version are stale. */
  private version = 0
  private readonly totals = new Map<string, { version: number; total: number }>()
  private readonly sorted = new Map<string, { version: number; ids: Int32Array }>()
  private readonly plans = new Map<string, boolean>()
  /** Bumped by writes that change files (scans, unreadable marks). */
  private scanVersion = 0
  private fileTotals: { version: number; files: number; dup: number; bad: number } | null = null

  constructor(readonly db: DatabaseSyncInstance) {}

  /** Prepared statements are cached: preparing costs more than running at 100k rows. */
  private st(sql: string): StatementSyncInstance {
    let s = this.stmts.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.stmts.set(sql, s)
    }
    return s
  }

  /** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, no upgrade deadlocks). */
  transaction<T>(fn: () => T): T {
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

  /** Refreshes the query planner's statistics (after a large index): cheap, and it picks better indexes. */
  analyze(): void {
    // Sampling (analysis_limit) keeps this to ~100 ms at 100k images; estimates are enough here.
    this.db.exec('PRAGMA analysis_limit = 2000; ANALYZE')
    this.stmts.clear() // plans are made at prepare time
    this.plans.clear()
  }

  close(): void {
    this.stmts.clear()
    // Fold the WAL back so the folder holds one tidy file when the studio is closed.
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } catch {
      // another reader may hold the WAL; it is checkpointed next time
    }
    this.db.close()
  }

  // ---- files and images (written by the indexer) ----

  /** What the last scan recorded, for every path or for the given subpaths (files or folders). */
  knownFiles(subpaths: readonly string[] = ['']): Map<string, KnownFile> {
    const out = new Map<string, KnownFile>()
    type Raw = { path: string; size: number; mtime_ms: number; image_id: number | null }
    const add = (rows: Iterable<Raw>) => {
      for (const r of rows) out.set(r.path, { size: r.size, mtimeMs: r.mtime_ms, imageId: r.image_id })
    }
    if (subpaths.includes('')) {
      add(this.st('SELECT path, size, mtime_ms, image_id FROM files').iterate() as Iterable<Raw>)
      return out
    }
    // '/' + 1 is '0': the range [sub/, sub0) holds exactly the paths below the folder `sub`.
    const q = this.st("SELECT path, size, mtime_ms, image_id FROM files WHERE path = ? OR (path >= ? || '/' AND path < ? || '0')")
    for (const sub of subpaths) add(q.all(sub, sub, sub) as Raw[])
    return out
  }

  /** Records indexed files and forgets removed paths in one transaction; images keep their labels. */
  applyScan(records: readonly FileRecord[], removedPaths: readonly string[]): void {
    if (records.length === 0 && removedPaths.length === 0) return
    const now = Date.now()
    this.scanVersion++
    // Scan results can always be rebuilt from the folder, so their commits skip the fsync that
    // label changes get (WAL + NORMAL still survives a process crash): at 100k files the fsyncs
    // were the longest pauses of the event loop. Labels go back to FULL right after.
    this.db.exec('PRAGMA synchronous = NORMAL')
    try {
      this.applyScanTx(records, removedPaths, now)
    } finally {
      this.db.exec('PRAGMA synchronous = FULL')
    }
  }

  private applyScanTx(records: readonly FileRecord[], removedPaths: readonly string[], now: number): void {
    this.transaction(() => {
      const touched = new Set<number>()
      const oldImage = this.st('SELECT image_id FROM files WHERE path = ?')
      for (const p of removedPaths) {
        const old = oldImage.get(p) as { image_id: number | null } | undefined
        if (old?.image_id != null) touched.add(old.image_id)
        this.st('DELETE FROM files WHERE path = ?').run(p)
      }
      const findImage = this.st('SELECT id, error FROM images WHERE hash = ?')
      // A new image is inserted complete (path, count, availability): updating it afterwards would
      // rewrite every index that holds `avail`, which dominated the first index of a large folder.
      const insertImage = this.st(
        `INSERT INTO images (hash, bytes, width, height, format, error, first_seen, path, file_count, avail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
      )
      const updateImage = this.st('UPDATE images SET width = ?, height = ?, format = ?, error = COALESCE(?, error) WHERE id = ? RETURNING error')
      const upsertFile = this.st(
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
      const current = this.st('SELECT path, file_count, avail, error FROM images WHERE id = ?')
      const actual = this.st('SELECT count(*) AS n, min(path) AS path FROM files WHERE image_id = ?')
      const refresh = this.st('UPDATE images SET file_count = ?, path = ?, avail = ? WHERE id = ?')
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
    this.scanVersion++
    this.transaction(() => {
      this.st('UPDATE images SET error = ?, avail = CASE WHEN file_count = 0 THEN 0 ELSE 2 END WHERE id = ?').run(reason, imageId)
      this.st('UPDATE files SET error = ? WHERE image_id = ?').run(reason, imageId)
    })
  }

  image(id: number): ImageRow | null {
    const r = this.st(`SELECT ${ROW_SQL} FROM images WHERE id = ?`).get(id) as RawImage | undefined
    return r ? toRow(r) : null
  }

  imageByHash(hash: string): ImageRow | null {
    const r = this.st(`SELECT ${ROW_SQL} FROM images WHERE hash = ?`).get(hash) as RawImage | undefined
    return r ? toRow(r) : null
  }

  imageByPath(path: string): ImageRow | null {
    const r = this.st(`SELECT ${ROW_SQL.replace(/(^|, )/g, '$1i.')} FROM files f JOIN images i ON i.id = f.image_id WHERE f.path = ?`).get(path) as RawImage | undefined
    return r ? toRow(r) : null
  }

  /** Every file path with this image's content (its duplicate group), by name. */
  filesOf(imageId: number): string[] {
    return (this.st('SELECT path FROM files WHERE image_id = ? ORDER BY path').all(imageId) as { path: string }[]).map((r) => r.path)
  }

  /** Files that cannot be used, each with its reason, by path. `imageId` is null when not even the bytes could be read. */
  unreadableFiles(offset = 0, limit = 100): { total: number; items: { path: string; reason: string; imageId: number | null }[] } {
    const total = (this.st('SELECT count(*) AS n FROM files WHERE error IS NOT NULL').get() as { n: number }).n
    const items = (this.st('SELECT path, error, image_id FROM files WHERE error IS NOT NULL ORDER BY path LIMIT ? OFFSET ?').all(limit, offset) as { path: string; error: string; image_id: number | null }[]).map((r) => ({
      path: r.path,
      reason: r.error,
      imageId: r.image_id,
    }))
    return { total, items }
  }

  // ---- grid queries ----

  page(q: PageQuery = {}): Page {
    const { total, offset, ids } = this.pageIds({ ...q, limit: Math.max(1, Math.min(2000, q.limit ?? 100)) })
    const byId = this.st(`SELECT ${ROW_SQL} FROM images WHERE id = ?`)
    const items = ids.map((id) => toRow(byId.get(id) as unknown as RawImage))
    return { total, offset, items }
  }

  /**
   * The ids of a page query in its order, without reading their rows: `limit` of them from
   * `offset`, every one when `limit` is absent ("select all" and bulk actions over a filter).
   */
  pageIds(q: PageQuery = {}): { total: number; offset: number; ids: number[] } {
    const where: string[] = []
    const args: (number | string)[] = []
    const status = q.status ?? 'all'
    if (status === 'unreadable') {
      where.push('avail = 2')
    } else {
      where.push('avail = 1')
      if (status === 'labelled') where.push("status IN ('human', 'accepted', 'proposed')")
      else if (status !== 'all') {
        where.push('status = ?')
        args.push(status)
      }
    }
    if (q.classId !== undefined) {
      where.push('class_id = ?')
      args.push(q.classId)
      // "Images of class c" means images labelled c, not images where c was rejected.
      if (status === 'all') where.push("status != 'rejected'")
    }
    if (q.minConfidence !== undefined) {
      where.push('confidence >= ?')
      args.push(q.minConfidence)
    }
    if (q.maxConfidence !== undefined) {
      where.push('confidence <= ?')
      args.push(q.maxConfidence)
    }
    const col = SORT_COLUMN[q.sort ?? 'name']
    const dir = q.descending ? 'DESC' : 'ASC'
    const limit = q.limit === undefined ? -1 : Math.max(1, q.limit) // -1: SQLite's "no limit"
    const offset = Math.max(0, q.offset ?? 0)
    const whereSql = where.join(' AND ')
    // Scrolling the grid asks for many pages of one filter: count once per data version.
    const key = `${whereSql}|${args.join('|')}`
    let cached = this.totals.get(key)
    if (!cached || cached.version !== this.version) {
      cached = { version: this.version, total: (this.st(`SELECT count(*) AS n FROM images WHERE ${whereSql}`).get(...args) as { n: number }).n }
      if (this.totals.size > 100) this.totals.clear()
      this.totals.set(key, cached)
    }
    const idSql = `SELECT id FROM images WHERE ${whereSql} ORDER BY ${col} ${dir}, id ${dir}`
    let ids: number[]
    if (this.needsSort(idSql, args)) {
      // No index gives this order (e.g. a confidence range sorted by name): sort once per data
      // version and serve every page of it from the sorted id list, instead of re-sorting per page.
      let list = this.sorted.get(key + idSql)
      if (!list || list.version !== this.version) {
        const all = this.st(idSql).all(...args) as { id: number }[]
        list = { version: this.version, ids: Int32Array.from(all, (r) => r.id) }
        if (this.sorted.size >= 16) this.sorted.delete(this.sorted.keys().next().value as string)
        this.sorted.set(key + idSql, list)
      }
      ids = Array.from(limit < 0 ? list.ids.subarray(offset) : list.ids.subarray(offset, offset + limit))
    } else {
      // An index-only scan in order: cheap even with a deep OFFSET.
      ids = (this.st(`${idSql} LIMIT ? OFFSET ?`).all(...args, limit, offset) as { id: number }[]).map((r) => r.id)
    }
    return { total: cached.total, offset, ids }
  }

  /** Whether SQLite must sort the rows for this query (no index yields them in order). */
  private needsSort(sql: string, args: (number | string)[]): boolean {
    let v = this.plans.get(sql)
    if (v === undefined) {
      const plan = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]
      v = plan.some((r) => /TEMP B-TREE FOR (RIGHT PART OF )?ORDER BY/.test(r.detail))
      this.plans.set(sql, v)
    }
    return v
  }

  counts(): Counts {
    const byStatus = zeroPerStatus()
    const perClass = new Map<number, Record<ImageStatus, number>>()
    for (const r of this.st('SELECT class_id, status, count(*) AS n FROM images WHERE avail = 1 GROUP BY class_id, status').all() as { class_id: number | null; status: ImageStatus; n: number }[]) {
      byStatus[r.status] += r.n
      if (r.class_id !== null) {
        const c = perClass.get(r.class_id) ?? zeroPerStatus()
        c[r.status] += r.n
        perClass.set(r.class_id, c)
      }
    }
    // File totals change only when the folder does: scanned once per scan, not per label change.
    if (!this.fileTotals || this.fileTotals.version !== this.scanVersion) {
      const g = this.st('SELECT COALESCE(sum(file_count), 0) AS files, COALESCE(sum(file_count > 1), 0) AS dup FROM images WHERE avail = 1').get() as { files: number; dup: number }
      const bad = (this.st('SELECT count(*) AS n FROM files WHERE error IS NOT NULL').get() as { n: number }).n
      this.fileTotals = { version: this.scanVersion, files: g.files, dup: g.dup, bad }
    }
    const t = this.fileTotals
    return {
      images: Object.values(byStatus).reduce((a, b) => a + b, 0),
      files: t.files,
      duplicateGroups: t.dup,
      unreadableFiles: t.bad,
      byStatus,
      byClass: this.classes().map((c) => ({ classId: c.id, name: c.name, byStatus: perClass.get(c.id) ?? zeroPerStatus() })),
    }
  }

  // ---- classes, models, rounds ----

  /** The live classes. A deleted or merged-away one stays in the table (history names it, undo revives it). */
  classes(): ClassInfo[] {
    return this.st(`SELECT c.id, c.name, c.color FROM classes c LEFT JOIN actions a ON a.id = c.deleted_by WHERE ${LIVE_CLASS} ORDER BY c.id`).all() as unknown as ClassInfo[]
  }

  /** Every class ever made, deleted ones included: names for history and old rounds. */
  allClasses(): (ClassInfo & { deleted: boolean })[] {
    return (this.st(`SELECT c.id, c.name, c.color, NOT (${LIVE_CLASS}) AS deleted FROM classes c LEFT JOIN actions a ON a.id = c.deleted_by ORDER BY c.id`).all() as { id: number; name: string; color: string | null; deleted: number }[]).map((c) => ({
      ...c,
      deleted: c.deleted !== 0,
    }))
  }

  /** The id of the class with this name, created when new; a deleted class of that name comes back (without its cleared labels). */
  ensureClass(name: string, color: string | null = null): number {
    const trimmed = name.trim()
    if (!trimmed) throw new Error('a class needs a name')
    const found = this.st('SELECT id FROM classes WHERE name = ?').get(trimmed) as { id: number } | undefined
    if (found) {
      this.st('UPDATE classes SET deleted_by = NULL WHERE id = ?').run(found.id)
      return found.id
    }
    return Number(this.st('INSERT INTO classes (name, color, created_at) VALUES (?, ?, ?)').run(trimmed, color, Date.now()).lastInsertRowid)
  }

  /** Renames a class. A live class of that name is an error; a deleted one gives the name up (it is suffixed). */
  renameClass(id: number, name: string): void {
    const trimmed = name.trim()
    this.transaction(() => {
      const holder = this.st(`SELECT c.id, ${LIVE_CLASS} AS live FROM classes c LEFT JOIN actions a ON a.id = c.deleted_by WHERE c.name = ?`).get(trimmed) as { id: number; live: number } | undefined
      if (holder && holder.id !== id) {
        if (holder.live) throw new ClassConflict(`a class named "${trimmed}" exists already; merge one into the other to put their images together`)
        this.st('UPDATE classes SET name = ? WHERE id = ?').run(`${trimmed} (deleted ${holder.id})`, holder.id)
      }
      this.st('UPDATE classes SET name = ? WHERE id = ?').run(trimmed, id)
    })
  }

  /** A class's colour (#rrggbb), or null for the palette's colour by position. Not a label change: no event. */
  setClassColor(id: number, color: string | null): void {
    this.st('UPDATE classes SET color = ? WHERE id = ?').run(color, id)
  }

  /**
   * Deletes a class as one undoable action: every image whose current label is this class (seed,
   * proposal, accepted or rejected) gets a recorded event clearing it, and the class is hidden while
   * that action is live. Undo brings the class and every cleared label back.
   */
  deleteClass(id: number, actor: string): UndoResult {
    return this.transaction(() => {
      const ids = (this.st('SELECT id FROM images WHERE class_id = ?').all(id) as { id: number }[]).map((r) => r.id)
      const actionId = this.record(
        ids.map((imageId) => ({ imageId, classId: null, source: 'human', state: 'accepted' })),
        { actor, kind: 'class.delete' },
        Date.now(),
      )
      this.st('UPDATE classes SET deleted_by = ? WHERE id = ?').run(actionId, id)
      return { actionId, imageIds: ids }
    })
  }

  /**
   * Merges class `from` into `into`: each image of `from` gets an event that repeats its current
   * label (source, state, round, confidence) with class `into`, and `from` is hidden while that
   * action is live. One undoable action, except for pending proposals: those are copied by a round
   * action of their own, so that the next round withdraws them like any proposal (a round withdraws
   * whole actions, and must not withdraw the merge). Undo therefore leaves them with `into`.
   */
  mergeClass(from: number, into: number, actor: string): UndoResult {
    if (from === into) throw new ClassConflict('a class cannot be merged into itself')
    return this.transaction(() => {
      const rows = this.st(
        `SELECT i.id, e.source, e.state, e.round_id, e.confidence, e.uncertainty
         FROM images i JOIN label_events e ON e.id = i.label_event_id WHERE i.class_id = ?`,
      ).all(from) as { id: number; source: LabelSource; state: LabelState; round_id: number | null; confidence: number | null; uncertainty: number | null }[]
      const copy = (r: (typeof rows)[number]): LabelChange => ({ imageId: r.id, classId: into, source: r.source, state: r.state, roundId: r.round_id, confidence: r.confidence, uncertainty: r.uncertainty })
      const now = Date.now()
      const actionId = this.record(rows.filter((r) => r.state !== 'proposed').map(copy), { actor, kind: 'class.merge' }, now)
      const proposals = rows.filter((r) => r.state === 'proposed').map(copy)
      if (proposals.length) this.record(proposals, { actor, kind: 'proposal', undoable: false }, now)
      this.st('UPDATE classes SET deleted_by = ? WHERE id = ?').run(actionId, from)
      return { actionId, imageIds: rows.map((r) => r.id) }
    })
  }

  addModel(kind: 'teacher' | 'head' | 'student', name: string, filePath: string | null, params: unknown = null): number {
    return Number(this.st('INSERT INTO models (kind, name, path, params, created_at) VALUES (?, ?, ?, ?, ?)').run(kind, name, filePath, JSON.stringify(params), Date.now()).lastInsertRowid)
  }

  models(): { id: number; kind: string; name: string; path: string | null; params: unknown; createdAt: number }[] {
    return (this.st('SELECT id, kind, name, path, params, created_at FROM models ORDER BY id').all() as { id: number; kind: string; name: string; path: string | null; params: string; created_at: number }[]).map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      path: r.path,
      params: JSON.parse(r.params) as unknown,
      createdAt: r.created_at,
    }))
  }

  startRound(params: unknown = null, teacherId: number | null = null, headId: number | null = null): number {
    return Number(this.st('INSERT INTO rounds (started_at, teacher_id, head_id, params) VALUES (?, ?, ?, ?)').run(Date.now(), teacherId, headId, JSON.stringify(params)).lastInsertRowid)
  }

  finishRound(id: number, status: 'done' | 'failed' | 'cancelled', summary: unknown = null): void {
    this.st('UPDATE rounds SET finished_at = ?, status = ?, summary = ? WHERE id = ?').run(Date.now(), status, JSON.stringify(summary), id)
  }

  rounds(): { id: number; startedAt: number; finishedAt: number | null; status: string; teacherId: number | null; headId: number | null; params: unknown; summary: unknown }[] {
    return (this.st('SELECT * FROM rounds ORDER BY id').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      startedAt: r.started_at as number,
      finishedAt: r.finished_at as number | null,
      status: r.status as string,
      teacherId: r.teacher_id as number | null,
      headId: r.head_id as number | null,
      params: JSON.parse((r.params as string | null) ?? 'null') as unknown,
      summary: JSON.parse((r.summary as string | null) ?? 'null') as unknown,
    }))
  }

  // ---- label events ----

  /**
   * Records label events as one action (one undo step when `undoable`) and updates each image's
   * current label in the same transaction. Returns once committed.
   */
  addLabelEvents(changes: readonly LabelChange[], opts: { actor: string; kind?: string; undoable?: boolean }): { actionId: number; eventIds: number[] } {
    if (changes.length === 0) throw new Error('no label changes given')
    const now = Date.now()
    return this.transaction(() => {
      const eventIds: number[] = []
      const actionId = this.record(changes, opts, now, eventIds)
      return { actionId, eventIds }
    })
  }

  /** Inserts one action and its events, inside the caller's transaction; returns the action's id. */
  private record(changes: readonly LabelChange[], opts: { actor: string; kind?: string; undoable?: boolean }, now: number, eventIds: number[] = []): number {
    const undoable = opts.undoable === false ? 0 : 1
    // A new undoable action ends the redo stack: what was undone stays undone for good (2).
    if (undoable) this.st('UPDATE actions SET undone = 2 WHERE undoable = 1 AND undone = 1').run()
    const actionId = Number(this.st('INSERT INTO actions (kind, actor, at, undoable) VALUES (?, ?, ?, ?)').run(opts.kind ?? 'label', opts.actor, now, undoable).lastInsertRowid)
    const ins = this.st(
      `INSERT INTO label_events (action_id, image_id, class_id, source, round_id, confidence, uncertainty, state, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const c of changes) {
      const confidence = c.confidence ?? null
      const uncertainty = c.uncertainty ?? (confidence === null ? null : 1 - confidence)
      const id = Number(ins.run(actionId, c.imageId, c.classId, c.source, c.roundId ?? null, confidence, uncertainty, c.state, opts.actor, now).lastInsertRowid)
      eventIds.push(id)
      this.setCurrent(c.imageId, { id, classId: c.classId, source: c.source, state: c.state, roundId: c.roundId ?? null, confidence, uncertainty, at: now })
    }
    return actionId
  }

  private setCurrent(imageId: number, e: { id: number; classId: number | null; source: LabelSource; state: LabelState; roundId: number | null; confidence: number | null; uncertainty: number | null; at: number } | null): void {
    const upd = this.st('UPDATE images SET status = ?, class_id = ?, confidence = ?, uncertainty = ?, round_id = ?, label_event_id = ?, changed_at = ? WHERE id = ?')
    if (!e || e.classId === null) {
      upd.run('unlabelled', null, null, null, null, e?.id ?? null, e?.at ?? null, imageId)
      return
    }
    upd.run(statusOf(e), e.classId, e.confidence, e.uncertainty, e.roundId, e.id, e.at, imageId)
  }

  /** Recomputes an image's current label from its live (not undone) events. */
  private recompute(imageId: number): void {
    const r = this.st(
      `SELECT e.id, e.class_id, e.source, e.state, e.round_id, e.confidence, e.uncertainty, e.at
       FROM label_events e JOIN actions a ON a.id = e.action_id
       WHERE e.image_id = ? AND a.undone = 0 ORDER BY e.id DESC LIMIT 1`,
    ).get(imageId) as { id: number; class_id: number | null; source: LabelSource; state: LabelState; round_id: number | null; confidence: number | null; uncertainty: number | null; at: number } | undefined
    this.setCurrent(imageId, r ? { id: r.id, classId: r.class_id, source: r.source, state: r.state, roundId: r.round_id, confidence: r.confidence, uncertainty: r.uncertainty, at: r.at } : null)
  }

  private toggleAction(actionId: number, undone: 0 | 1): UndoResult {
    this.st('UPDATE actions SET undone = ? WHERE id = ?').run(undone, actionId)
    const ids = (this.st('SELECT DISTINCT image_id FROM label_events WHERE action_id = ?').all(actionId) as { image_id: number }[]).map((r) => r.image_id)
    for (const id of ids) this.recompute(id)
    return { actionId, imageIds: ids }
  }

  /** Undoes the latest live undoable action; null when there is nothing to undo. */
  undo(): UndoResult | null {
    return this.transaction(() => {
      const a = this.st('SELECT max(id) AS id FROM actions WHERE undoable = 1 AND undone = 0').get() as { id: number | null }
      return a.id === null ? null : this.toggleAction(a.id, 1)
    })
  }

  /** Redoes the most recently undone action (undone = 1 is exactly the redo stack). */
  redo(): UndoResult | null {
    return this.transaction(() => {
      const a = this.st('SELECT min(id) AS id FROM actions WHERE undoable = 1 AND undone = 1').get() as { id: number | null }
      return a.id === null ? null : this.toggleAction(a.id, 0)
    })
  }

  /**
   * Withdraws the proposals a round made (a round is rolled back as a whole, not undone step by
   * step). Decisions people made on them stay; images fall back to their label before the round.
   */
  retractProposals(roundId: number): UndoResult[] {
    return this.transaction(() => {
      const actions = (this.st("SELECT DISTINCT e.action_id AS id FROM label_events e JOIN actions a ON a.id = e.action_id WHERE e.round_id = ? AND e.state = 'proposed' AND a.undone = 0").all(roundId) as { id: number }[]).map((r) => r.id)
      return actions.map((id) => this.toggleAction(id, 1))
    })
  }

  /** Every label event of an image, oldest first (the audit trail). */
  history(imageId: number): LabelEvent[] {
    return (
      this.st(
        `SELECT e.*, a.undone FROM label_events e JOIN actions a ON a.id = e.action_id WHERE e.image_id = ? ORDER BY e.id`,
      ).all(imageId) as Record<string, unknown>[]
    ).map((r) => ({
      id: r.id as number,
      actionId: r.action_id as number,
      imageId: r.image_id as number,
      classId: r.class_id as number | null,
      source: r.source as LabelSource,
      state: r.state as LabelState,
      roundId: r.round_id as number | null,
      confidence: r.confidence as number | null,
      uncertainty: r.uncertainty as number | null,
      actor: r.actor as string,
      at: r.at as number,
      undone: (r.undone as number) !== 0,
    }))
  }
}
