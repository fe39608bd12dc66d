/**
 * The project's classes. A deleted or merged-away class stays in the table (history names it, undo
 * revives it): it is hidden while the action that deleted it is live.
 */
import { freshClassColor, type LabelSource, type LabelState } from '../../../preload/vocabulary'
import type { LabelChange, LabelLog, UndoResult } from './labels'
import type { Sql } from './sql'

export interface ClassRow {
  id: number
  name: string
  color: string | null
}

/** A class name taken, or a merge into itself: the caller's mistake, said in words. */
export class ClassConflict extends Error {
  override name = 'ClassConflict'
}

/** Classes with the actions that deleted (a) and created (cb) them, for LIVE_CLASS. */
const CLASSES_JOIN = 'classes c LEFT JOIN actions a ON a.id = c.deleted_by LEFT JOIN actions cb ON cb.id = c.created_by'
/**
 * SQL condition (over CLASSES_JOIN): the class is not deleted, and the import that created it (if one
 * did) is not undone, or an image still holds the class (a label someone else gave it meanwhile, a
 * round's proposal: undo is per actor, so the import's undo does not take those back).
 */
const LIVE_CLASS = '((c.deleted_by IS NULL OR a.undone != 0) AND (c.created_by IS NULL OR cb.undone = 0 OR EXISTS (SELECT 1 FROM images i WHERE i.class_id = c.id)))'

export class Classes {
  constructor(
    private readonly sql: Sql,
    private readonly log: LabelLog,
  ) {}

  /** The live classes. */
  list(): ClassRow[] {
    return this.sql.st(`SELECT c.id, c.name, c.color FROM ${CLASSES_JOIN} WHERE ${LIVE_CLASS} ORDER BY c.id`).all() as unknown as ClassRow[]
  }

  /** Every class ever made, deleted ones included: names for history and old rounds. */
  listWithDeleted(): (ClassRow & { deleted: boolean })[] {
    return (this.sql.st(`SELECT c.id, c.name, c.color, NOT (${LIVE_CLASS}) AS deleted FROM ${CLASSES_JOIN} ORDER BY c.id`).all() as { id: number; name: string; color: string | null; deleted: number }[]).map((c) => ({
      ...c,
      deleted: c.deleted !== 0,
    }))
  }

  /** The id of the class with this name, created when new; a deleted class of that name comes back (without its cleared labels). */
  ensure(name: string, color: string | null = null): number {
    const trimmed = name.trim()
    if (!trimmed) throw new Error('a class needs a name')
    const found = this.sql.st('SELECT id FROM classes WHERE name = ?').get(trimmed) as { id: number } | undefined
    if (found) {
      // Named by a person (or an import) again: it lives whatever became of an action that deleted or created it.
      this.sql.st('UPDATE classes SET deleted_by = NULL, created_by = NULL WHERE id = ?').run(found.id)
      return found.id
    }
    return Number(this.sql.st('INSERT INTO classes (name, color, created_at) VALUES (?, ?, ?)').run(trimmed, color, Date.now()).lastInsertRowid)
  }

  /**
   * A class made by name (the Classes panel, an import): ensure() with a colour no other live class
   * has, so that deleting a class above it does not recolour it; a deleted class made again keeps its
   * old colour unless another class has taken it since.
   */
  create(name: string): number {
    const others = this.list()
    const id = this.ensure(name, freshClassColor(others.map((c) => c.color)))
    const own = (this.sql.st('SELECT color FROM classes WHERE id = ?').get(id) as { color: string | null }).color
    if (own && others.some((c) => c.id !== id && c.color?.toLowerCase() === own.toLowerCase())) this.setColor(id, freshClassColor(others.map((c) => c.color)))
    return id
  }

  /** Ties these classes' life to the action that created them (an import): undoing it hides them again. */
  createdBy(ids: readonly number[], actionId: number): void {
    for (const id of ids) this.sql.st('UPDATE classes SET created_by = ? WHERE id = ?').run(actionId, id)
  }

  /** Renames a class. A live class of that name is an error; a deleted one gives the name up (it is suffixed). */
  rename(id: number, name: string): void {
    const trimmed = name.trim()
    this.sql.transaction(() => {
      const holder = this.sql.st(`SELECT c.id, ${LIVE_CLASS} AS live FROM ${CLASSES_JOIN} WHERE c.name = ?`).get(trimmed) as { id: number; live: number } | undefined
      if (holder && holder.id !== id) {
        if (holder.live) throw new ClassConflict(`a class named "${trimmed}" exists already; merge one into the other to put their images together`)
        this.sql.st('UPDATE classes SET name = ? WHERE id = ?').run(`${trimmed} (deleted ${holder.id})`, holder.id)
      }
      this.sql.st('UPDATE classes SET name = ? WHERE id = ?').run(trimmed, id)
    })
  }

  /** A class's colour (#rrggbb), or null for the palette's colour by position. Not a label change: no event. */
  setColor(id: number, color: string | null): void {
    this.sql.st('UPDATE classes SET color = ? WHERE id = ?').run(color, id)
  }

  /**
   * Deletes a class as one undoable action: every image whose current label is this class (seed,
   * proposal, accepted or rejected) gets a recorded event clearing it, and the class is hidden while
   * that action is live. Undo brings the class and every cleared label back.
   */
  delete(id: number, actor: string): UndoResult {
    return this.sql.transaction(() => {
      const ids = (this.sql.st('SELECT id FROM images WHERE class_id = ?').all(id) as { id: number }[]).map((r) => r.id)
      const actionId = this.log.record(
        ids.map((imageId) => ({ imageId, classId: null, source: 'human', state: 'accepted' })),
        { actor, kind: 'class.delete' },
        Date.now(),
      )
      this.sql.st('UPDATE classes SET deleted_by = ? WHERE id = ?').run(actionId, id)
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
  merge(from: number, into: number, actor: string): UndoResult {
    if (from === into) throw new ClassConflict('a class cannot be merged into itself')
    return this.sql.transaction(() => {
      const rows = this.sql.st(
        `SELECT i.id, e.source, e.state, e.round_id, e.confidence, e.uncertainty
         FROM images i JOIN label_events e ON e.id = i.label_event_id WHERE i.class_id = ?`,
      ).all(from) as { id: number; source: LabelSource; state: LabelState; round_id: number | null; confidence: number | null; uncertainty: number | null }[]
      const copy = (r: (typeof rows)[number]): LabelChange => ({ imageId: r.id, classId: into, source: r.source, state: r.state, roundId: r.round_id, confidence: r.confidence, uncertainty: r.uncertainty })
      const now = Date.now()
      const actionId = this.log.record(rows.filter((r) => r.state !== 'proposed').map(copy), { actor, kind: 'class.merge' }, now)
      const proposals = rows.filter((r) => r.state === 'proposed').map(copy)
      if (proposals.length) this.log.record(proposals, { actor, kind: 'proposal', undoable: false }, now)
      this.sql.st('UPDATE classes SET deleted_by = ? WHERE id = ?').run(actionId, from)
      return { actionId, imageIds: rows.map((r) => r.id) }
    })
  }
}
