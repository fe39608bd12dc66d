/**
 * The grid's queries: a page of images for a filter and sort, the ids of a whole filter, and the
 * counts the panels show. Totals, sorted id lists, anchors of deep pages and query plans are
 * cached per data version.
 */
import { zeroPerStatus, type ImageStatus, type SortKey, type StatusFilter } from '../../../preload/vocabulary'
import type { Classes } from './classes'
import { ROW_SQL, toRow, type ImageRow, type RawImage } from './images'
import type { Sql } from './sql'

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

/** Ids kept in cached id lists, all lists together (32 MB). */
const MAX_LISTED_IDS = 8_000_000

/** Rows between anchors of a deep page query: a page steps over fewer than this many from a seek. */
const ANCHOR_EVERY = 1000

/** A row's place in a sort: its sort key (NULL sorts first) and its id (ties). */
interface Anchor {
  key: number | string | null
  id: number
}

/** One sorted, index-only page query: its anchors' cache key, filter and sort column. */
interface AnchorScope {
  key: string
  version: number
  where: string
  args: (number | string)[]
  col: string
  /** False when the filter leaves no NULL keys (a confidence range sorted by confidence): no NULL part is asked. */
  nullable: boolean
  total: number
  /** The index SQLite reads the plain query by (see plan()), which every seek is held to. */
  index: string
}

/** `limit` ids from `offset` of an ascending id list read in either direction (limit < 0: all). */
function slice(ids: Int32Array, descending: boolean, offset: number, limit: number): number[] {
  const n = Math.max(0, Math.min(limit < 0 ? ids.length : limit, ids.length - offset))
  if (!descending) return Array.from(ids.subarray(offset, offset + n))
  return Array.from(ids.subarray(ids.length - offset - n, ids.length - offset)).reverse()
}

const SORT_COLUMN: Record<SortKey, string> = { name: 'path', confidence: 'confidence', uncertainty: 'uncertainty', changed: 'changed_at' }

export class Queries {
  private readonly totals = new Map<string, { version: number; total: number }>()
  private readonly sorted = new Map<string, { version: number; ids: Int32Array }>()
  private readonly plans = new Map<string, { list: boolean; index: string | null }>()
  private readonly anchors = new Map<string, { version: number; at: (Anchor | undefined)[] }>()
  private fileTotals: { version: number; bad: number } | null = null

  constructor(
    private readonly sql: Sql,
    private readonly classes: Classes,
  ) {}

  page(q: PageQuery = {}): Page {
    const { total, offset, ids } = this.pageIds({ ...q, limit: Math.max(1, Math.min(2000, q.limit ?? 100)) })
    const byId = this.sql.st(`SELECT ${ROW_SQL} FROM images WHERE id = ?`)
    const items = ids.map((id) => toRow(byId.get(id) as unknown as RawImage))
    return { total, offset, items }
  }

  /**
   * Every readable image, in name order: the default page, all of it, in one pass (page after page
   * of 2,000 cost a scan up to each page's offset: quadratic, minutes at a million images).
   */
  allImages(): ImageRow[] {
    const rows: ImageRow[] = []
    for (const r of this.sql.st(`SELECT ${ROW_SQL} FROM images WHERE avail = 1 ORDER BY path, id`).iterate()) rows.push(toRow(r as unknown as RawImage))
    return rows
  }

  /**
   * The next `limit` readable images (id, content hash, path) in name order after `after` (null:
   * from the first): a keyset page, so that a reader of every image (the teacher's pass) takes them
   * a chunk at a time and lets the event loop run between chunks.
   */
  pathsAfter(after: { path: string; id: number } | null, limit: number): { id: number; hash: string; path: string }[] {
    if (after === null) return this.sql.st('SELECT id, hash, path FROM images WHERE avail = 1 AND path IS NOT NULL ORDER BY path, id LIMIT ?').all(limit) as { id: number; hash: string; path: string }[]
    return this.sql.st('SELECT id, hash, path FROM images WHERE avail = 1 AND path IS NOT NULL AND (path, id) > (?, ?) ORDER BY path, id LIMIT ?').all(after.path, after.id, limit) as { id: number; hash: string; path: string }[]
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
    const version = this.sql.version
    // Scrolling the grid asks for many pages of one filter: count once per data version.
    const key = `${whereSql}|${args.join('|')}`
    let cached = this.totals.get(key)
    if (!cached || cached.version !== version) {
      const total = this.totalFromCounts(status, q) ?? (this.sql.st(`SELECT count(*) AS n FROM images WHERE ${whereSql}`).get(...args) as { n: number }).n
      cached = { version, total }
      if (this.totals.size > 100) this.totals.clear()
      this.totals.set(key, cached)
    }
    // One list and one set of anchors serve both directions: a descending page is an ascending
    // range turned around (ties by id reverse with the sort, NULLs go last with it).
    const idSql = `SELECT id FROM images WHERE ${whereSql} ORDER BY ${col}, id`
    // The images of every readable (or every unreadable) image by name do not change with labels:
    // their id list stays valid until the folder changes, across every decision.
    const listVersion = status === 'all' || status === 'unreadable' ? (q.classId === undefined && q.minConfidence === undefined && q.maxConfidence === undefined && col === 'path' ? -this.sql.scanVersion - 1 : version) : version
    let ids: number[]
    const cachedList = this.sorted.get(key + idSql)
    if (cachedList && cachedList.version === listVersion) {
      ids = slice(cachedList.ids, dir === 'DESC', offset, limit)
    } else if (limit < 0 || this.plan(idSql, args).list) {
      // Every id (select all, a bulk action), or no index yields this order without reading each
      // row (a confidence range sorted by name, a class's images whose status is checked in the
      // table): list them once per data version and serve every page of the filter from the list,
      // instead of reading up to the offset for each page.
      const list = { version: listVersion, ids: this.idList(idSql, args) }
      this.sorted.delete(key + idSql)
      this.sorted.set(key + idSql, list)
      // Oldest first out, by the ids held (4 bytes each): a grid's filters times its sorts are
      // more lists than a fixed count of a few would keep, and a million ids are 4 MB.
      let held = 0
      for (const l of this.sorted.values()) held += l.ids.length
      for (const [k, l] of this.sorted) {
        if (held <= MAX_LISTED_IDS || this.sorted.size <= 1) break
        this.sorted.delete(k)
        held -= l.ids.length
      }
      ids = slice(list.ids, dir === 'DESC', offset, limit)
    } else if (cached.total > 2 * ANCHOR_EVERY) {
      // An index-only scan steps over every row before its OFFSET (a third of a second at a
      // million images under load): seek to the nearest anchor instead and step less than
      // ANCHOR_EVERY rows from there.
      const n = Math.max(0, Math.min(limit, cached.total - offset))
      const from = dir === 'ASC' ? offset : cached.total - offset - n
      const index = this.plan(idSql, args).index as string // an index-only plan names its index
      ids = n === 0 ? [] : this.anchoredRange({ key: key + idSql, version, where: whereSql, args, col, nullable: !(col === 'confidence' && (q.minConfidence !== undefined || q.maxConfidence !== undefined)), total: cached.total, index }, from, n)
      if (dir === 'DESC') ids.reverse()
    } else {
      // A small filter: an index-only scan in order.
      ids = (this.sql.st(`SELECT id FROM images WHERE ${whereSql} ORDER BY ${col} ${dir}, id ${dir} LIMIT ? OFFSET ?`).all(...args, limit, offset) as { id: number }[]).map((r) => r.id)
    }
    return { total: cached.total, offset, ids }
  }

  /**
   * The ids a query yields, in order, as one JSON array built by SQLite: a million rows handed to
   * JavaScript one object each took 8 s on a busy machine, one string takes 1 s.
   */
  private idList(idSql: string, args: (number | string)[]): Int32Array {
    const row = this.sql.st(`SELECT json_group_array(id) AS ids FROM (${idSql})`).get(...args) as { ids: string }
    return Int32Array.from(JSON.parse(row.ids) as number[])
  }

  /**
   * The ids at ascending positions [from, from + n) of a sorted, index-only query. Anchors (the
   * sort key and id of rows at multiples of ANCHOR_EVERY, kept per data version) are seek points:
   * a page steps over rows from the nearest kept anchor or end only, never more than the plain
   * query from the nearer end did, and keeps the anchor it reached, so that the pages around it
   * (scrolling on from where the scroll bar was dropped) step over fewer than ANCHOR_EVERY rows.
   */
  private anchoredRange(s: AnchorScope, from: number, n: number): number[] {
    let set = this.anchors.get(s.key)
    if (!set || set.version !== s.version) {
      if (this.anchors.size > 100) this.anchors.clear()
      set = { version: s.version, at: [] }
      this.anchors.set(s.key, set)
    }
    const at = set.at
    // Nearest known anchor before the range (-1: the start) and after it (total: the end).
    let below = -1
    for (let i = Math.floor((from - 1) / ANCHOR_EVERY); i >= 0; i--) {
      if (at[i]) {
        below = i * ANCHOR_EVERY
        break
      }
    }
    let above = s.total
    for (let i = Math.ceil((from + n) / ANCHOR_EVERY); i * ANCHOR_EVERY < s.total; i++) {
      if (at[i]) {
        above = i * ANCHOR_EVERY
        break
      }
    }
    const anchor = (pos: number) => (pos < 0 || pos >= s.total ? null : (at[pos / ANCHOR_EVERY] as Anchor))
    // Jump from the nearer side to the anchor next to the range (one index-only scan over the rows
    // between, as a plain OFFSET would) and keep it: a later page near here, or between here and
    // another kept anchor, steps over fewer rows.
    if (Math.min(from - below - 1, above - from - n) > ANCHOR_EVERY) {
      const up = from - below - 1 <= above - from - n
      const next = up ? Math.floor((from - 1) / ANCHOR_EVERY) * ANCHOR_EVERY : Math.ceil((from + n) / ANCHOR_EVERY) * ANCHOR_EVERY
      const row = this.step(s, anchor(up ? below : above), up, up ? next - below - 1 : above - next - 1, 1)[0]
      if (!row) throw new Error(`page query: no row at position ${next} of ${s.total} (${s.where})`)
      at[next / ANCHOR_EVERY] = row
      if (up) below = next
      else above = next
    }
    if (from - below - 1 <= above - from - n) return this.step(s, anchor(below), true, from - below - 1, n).map((r) => r.id)
    return this.step(s, anchor(above), false, above - from - n, n).map((r) => r.id).reverse()
  }

  /**
   * `take` rows after `skip` rows past `anchor` (null: from the start, or from the end when going
   * down), in the query's order or against it. Ascending order is the NULL keys by id, then the
   * others by key and id; no step reads rows before the anchor.
   */
  private step(s: AnchorScope, anchor: Anchor | null, up: boolean, skip: number, take: number): Anchor[] {
    const c = s.col
    // Each part is an equality or a range on the sort column (then on the id): an index range
    // whatever the index (a row-value seek is not one on every index) and however many rows share
    // a key. Parts that can only hold NULL keys are left out where the filter has none.
    const parts: [cond: string, args: (number | string)[]][] = []
    const nulls: typeof parts = s.nullable ? [[`${c} IS NULL`, []]] : []
    const keyed: typeof parts = [[`${c} IS NOT NULL`, []]]
    if (up) {
      if (anchor === null) parts.push(...nulls, ...keyed)
      else if (anchor.key === null) parts.push([`${c} IS NULL AND id > ?`, [anchor.id]], ...keyed)
      else parts.push([`${c} = ? AND id > ?`, [anchor.key, anchor.id]], [`${c} > ?`, [anchor.key]])
    } else {
      if (anchor === null) parts.push(...keyed, ...nulls)
      else if (anchor.key === null) parts.push([`${c} IS NULL AND id < ?`, [anchor.id]])
      else parts.push([`${c} = ? AND id < ?`, [anchor.key, anchor.id]], [`${c} < ?`, [anchor.key]], ...nulls)
    }
    const d = up ? 'ASC' : 'DESC'
    // The filter's own bound on the sort column, on the side the seek already bounds, would be
    // the planner's range instead of the seek (a scan from the bound): hide it from the index.
    let filter = s.where
    if (anchor?.key != null) filter = filter.replace(up ? `${c} >= ?` : `${c} <= ?`, (bound) => `+${bound}`)
    const out: Anchor[] = []
    for (const [cond, condArgs] of parts) {
      const where = `${filter} AND ${cond}`
      const rows = this.sql.st(`SELECT ${c} AS key, id FROM images INDEXED BY ${s.index} WHERE ${where} ORDER BY ${c} ${d}, id ${d} LIMIT ? OFFSET ?`).all(...s.args, ...condArgs, take - out.length, skip) as unknown as Anchor[]
      if (rows.length > 0) skip = 0
      // This part ended within the rows skipped: counting it steps over no more rows than that.
      else if (skip > 0) skip -= (this.sql.st(`SELECT count(*) AS n FROM images INDEXED BY ${s.index} WHERE ${where}`).get(...s.args, ...condArgs) as { n: number }).n
      for (const r of rows) out.push({ key: r.key, id: r.id })
      if (out.length >= take) break
    }
    return out
  }

  /**
   * How SQLite reads this query: `list` when its pages are better served from an id list (SQLite
   * must sort its rows, no index yielding them in order, or it reads the table for each row to
   * check the filter, no covering index: a table read per row up to the offset, for every page),
   * and the index it reads otherwise. Seeks into the query are held to that index (INDEXED BY):
   * with their extra range on the sort column, sampled statistics made SQLite take another index
   * and sort a class's 58,000 proposals for every page at a million images (0.3-0.8 s a page).
   */
  private plan(sql: string, args: (number | string)[]): { list: boolean; index: string | null } {
    let v = this.plans.get(sql)
    if (v === undefined) {
      const plan = this.sql.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]
      const list = plan.some((r) => /TEMP B-TREE FOR (RIGHT PART OF )?ORDER BY/.test(r.detail) || (/^(SEARCH|SCAN) images/.test(r.detail) && !/COVERING INDEX/.test(r.detail)))
      const index = plan.map((r) => /^(?:SEARCH|SCAN) images USING COVERING INDEX (\w+)/.exec(r.detail)?.[1]).find((name) => name !== undefined) ?? null
      v = { list: list || index === null, index }
      this.plans.set(sql, v)
    }
    return v
  }

  /**
   * A filter's total from the counts the triggers keep (image_counts: readable images by class and
   * status), where the filter is made of those alone: every decision changes the data version,
   * and counting a million rows again after each cost the review queue 40-120 ms a keystroke.
   * Null for a confidence range or the unreadable files (counted by the query).
   */
  private totalFromCounts(status: StatusFilter | 'unreadable', q: PageQuery): number | null {
    if (status === 'unreadable' || q.minConfidence !== undefined || q.maxConfidence !== undefined) return null
    const rows = (q.classId === undefined ? this.sql.st('SELECT status, n FROM image_counts').all() : this.sql.st('SELECT status, n FROM image_counts WHERE class_id = ?').all(q.classId)) as { status: ImageStatus; n: number }[]
    const counted = (s: ImageStatus) =>
      status === 'all' ? q.classId === undefined || s !== 'rejected' : status === 'labelled' ? s === 'human' || s === 'accepted' || s === 'proposed' : s === status
    return rows.reduce((sum, r) => sum + (counted(r.status) ? r.n : 0), 0)
  }

  /** Forgets the query plans seen (after ANALYZE the planner may choose other indexes). */
  forgetPlans(): void {
    this.plans.clear()
  }

  counts(): Counts {
    const byStatus = zeroPerStatus()
    const perClass = new Map<number, Record<ImageStatus, number>>()
    let files = 0
    let dup = 0
    // Kept by triggers (see image_counts in db.ts): a few rows, whatever the number of images.
    for (const r of this.sql.st('SELECT class_id, status, n, files, dup FROM image_counts WHERE n > 0').all() as { class_id: number; status: ImageStatus; n: number; files: number; dup: number }[]) {
      byStatus[r.status] += r.n
      files += r.files
      dup += r.dup
      if (r.class_id !== 0) {
        const c = perClass.get(r.class_id) ?? zeroPerStatus()
        c[r.status] += r.n
        perClass.set(r.class_id, c)
      }
    }
    // Unreadable files change only when the folder does: counted once per scan, not per label change.
    if (!this.fileTotals || this.fileTotals.version !== this.sql.scanVersion) {
      const bad = (this.sql.st('SELECT count(*) AS n FROM files WHERE error IS NOT NULL').get() as { n: number }).n
      this.fileTotals = { version: this.sql.scanVersion, bad }
    }
    return {
      images: Object.values(byStatus).reduce((a, b) => a + b, 0),
      files,
      duplicateGroups: dup,
      unreadableFiles: this.fileTotals.bad,
      byStatus,
      byClass: this.classes.list().map((c) => ({ classId: c.id, name: c.name, byStatus: perClass.get(c.id) ?? zeroPerStatus() })),
    }
  }
}
