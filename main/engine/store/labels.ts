/**
 * Labels are events: each change is recorded (who or which round, when, from what to what) as part
 * of an action, and each image's current label is materialised from its latest live event in the
 * same transaction. LabelLog is that log (record, undo, redo); Labels holds the rules a person or a
 * round labels by, each one committed action, durable when it returns.
 */
import { statusOf, type LabelSource, type LabelState } from '../../../preload/vocabulary'
import type { Images } from './images'
import type { Sql } from './sql'

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

export interface LabelEventRow extends Required<LabelChange> {
  id: number
  actionId: number
  actor: string
  at: number
  /** The file an imported label came from; null for labels made in the studio or by a round. */
  origin: string | null
  /** True when the event's action was undone (it no longer counts). */
  undone: boolean
}

export interface UndoResult {
  actionId: number
  imageIds: number[]
}

/** A pseudo-label a round proposes. */
export interface Proposal {
  imageId: number
  classId: number
  confidence: number
  uncertainty?: number
}

export interface ActionOptions {
  actor: string
  kind?: string
  undoable?: boolean
  /** See LabelEventRow.origin. */
  origin?: string | null
  /**
   * The client's id for the request that made this action (an idempotency key): unique per actor,
   * so a retry of a decision whose answer was lost is recognised (actionFor) and not applied twice.
   */
  requestId?: string | null
}

type Current = { id: number; classId: number | null; source: LabelSource; state: LabelState; roundId: number | null; confidence: number | null; uncertainty: number | null; at: number }

/** The label-event log, for the store's own modules: every write runs inside the caller's transaction. */
export class LabelLog {
  constructor(private readonly sql: Sql) {}

  /** Inserts one action and its events; returns the action's id. */
  record(changes: readonly LabelChange[], opts: ActionOptions, now: number): number {
    const undoable = opts.undoable === false ? 0 : 1
    // A new undoable action ends its actor's redo stack: what they undid stays undone for good (2).
    // Only theirs: another reviewer deciding meanwhile must not take away your redo.
    if (undoable) this.sql.st('UPDATE actions SET undone = 2 WHERE actor = ? AND undoable = 1 AND undone = 1').run(opts.actor)
    const actionId = Number(
      this.sql.st('INSERT INTO actions (kind, actor, at, undoable, origin, request_id) VALUES (?, ?, ?, ?, ?, ?)').run(opts.kind ?? 'label', opts.actor, now, undoable, opts.origin ?? null, opts.requestId ?? null).lastInsertRowid,
    )
    const ins = this.sql.st(
      `INSERT INTO label_events (action_id, image_id, class_id, source, round_id, confidence, uncertainty, state, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const c of changes) {
      const confidence = c.confidence ?? null
      const uncertainty = c.uncertainty ?? (confidence === null ? null : 1 - confidence)
      const id = Number(ins.run(actionId, c.imageId, c.classId, c.source, c.roundId ?? null, confidence, uncertainty, c.state, opts.actor, now).lastInsertRowid)
      this.setCurrent(c.imageId, { id, classId: c.classId, source: c.source, state: c.state, roundId: c.roundId ?? null, confidence, uncertainty, at: now })
    }
    return actionId
  }

  /** Marks an action undone (1) or live again (0) and recomputes the current label of its images. */
  toggle(actionId: number, undone: 0 | 1): UndoResult {
    this.sql.st('UPDATE actions SET undone = ? WHERE id = ?').run(undone, actionId)
    const ids = (this.sql.st('SELECT DISTINCT image_id FROM label_events WHERE action_id = ?').all(actionId) as { image_id: number }[]).map((r) => r.image_id)
    for (const id of ids) this.recompute(id)
    return { actionId, imageIds: ids }
  }

  private setCurrent(imageId: number, e: Current | null): void {
    const upd = this.sql.st('UPDATE images SET status = ?, class_id = ?, confidence = ?, uncertainty = ?, round_id = ?, label_event_id = ?, changed_at = ? WHERE id = ?')
    if (!e || e.classId === null) {
      upd.run('unlabelled', null, null, null, null, e?.id ?? null, e?.at ?? null, imageId)
      return
    }
    upd.run(statusOf(e), e.classId, e.confidence, e.uncertainty, e.roundId, e.id, e.at, imageId)
  }

  /** Recomputes an image's current label from its live (not undone) events. */
  private recompute(imageId: number): void {
    const r = this.sql.st(
      `SELECT e.id, e.class_id, e.source, e.state, e.round_id, e.confidence, e.uncertainty, e.at
       FROM label_events e JOIN actions a ON a.id = e.action_id
       WHERE e.image_id = ? AND a.undone = 0 ORDER BY e.id DESC LIMIT 1`,
    ).get(imageId) as { id: number; class_id: number | null; source: LabelSource; state: LabelState; round_id: number | null; confidence: number | null; uncertainty: number | null; at: number } | undefined
    this.setCurrent(imageId, r ? { id: r.id, classId: r.class_id, source: r.source, state: r.state, roundId: r.round_id, confidence: r.confidence, uncertainty: r.uncertainty, at: r.at } : null)
  }
}

/** The label rules: every call is one committed action, durable when it returns. */
export class Labels {
  constructor(
    private readonly sql: Sql,
    private readonly log: LabelLog,
    private readonly images: Images,
  ) {}

  /** Records label events as one action (one undo step when undoable); returns the action's id once committed. */
  private add(changes: readonly LabelChange[], opts: ActionOptions): number {
    if (changes.length === 0) throw new Error('no label changes given')
    const now = Date.now()
    return this.sql.transaction(() => this.log.record(changes, opts, now))
  }

  /** Seed labels given by a person (`classId` null clears the label). */
  set(imageIds: readonly number[], classId: number | null, actor = 'user', requestId: string | null = null): number {
    return this.add(
      imageIds.map((imageId) => ({ imageId, classId, source: 'human', state: 'accepted' })),
      { actor, kind: 'label', requestId },
    )
  }

  /** Pseudo-labels proposed by a round; not undoable one by one (a round is rolled back as a whole). */
  propose(roundId: number, proposals: readonly Proposal[], actor = `round ${roundId}`): number {
    return this.add(
      proposals.map((p) => ({ imageId: p.imageId, classId: p.classId, source: 'pseudo', state: 'proposed', roundId, confidence: p.confidence, uncertainty: p.uncertainty ?? null })),
      { actor, kind: 'proposal', undoable: false },
    )
  }

  /** A person accepts or rejects the current pseudo-labels of these images. Images without one are skipped. */
  review(imageIds: readonly number[], decision: 'accept' | 'reject', actor = 'user', requestId: string | null = null): number | null {
    const changes: LabelChange[] = []
    for (const id of imageIds) {
      const img = this.images.get(id)
      if (!img || img.classId === null || img.roundId === null) continue
      changes.push({ imageId: id, classId: img.classId, source: 'pseudo', state: decision === 'accept' ? 'accepted' : 'rejected', roundId: img.roundId, confidence: img.confidence, uncertainty: img.uncertainty })
    }
    return changes.length ? this.add(changes, { actor, kind: decision, requestId }) : null
  }

  /** A person corrects a (pseudo-)label to another class. */
  relabel(imageIds: readonly number[], classId: number, actor = 'user', requestId: string | null = null): number {
    return this.add(
      imageIds.map((imageId) => ({ imageId, classId, source: 'human', state: 'relabelled', roundId: this.images.get(imageId)?.roundId ?? null })),
      { actor, kind: 'relabel', requestId },
    )
  }

  /** The action `actor` recorded under this request id, with its images; null when none (not a retry). */
  actionFor(actor: string, requestId: string): UndoResult | null {
    const a = this.sql.st('SELECT id FROM actions WHERE actor = ? AND request_id = ?').get(actor, requestId) as { id: number } | undefined
    if (!a) return null
    const ids = (this.sql.st('SELECT DISTINCT image_id FROM label_events WHERE action_id = ?').all(a.id) as { image_id: number }[]).map((r) => r.image_id)
    return { actionId: a.id, imageIds: ids }
  }

  /**
   * Withdraws every proposal of a round (a round is rolled back as a whole, e.g. one judged bad, not
   * undone step by step). Decisions people made on them stay; images fall back to their label
   * before the round. Returns the images affected.
   */
  retractRound(roundId: number): number[] {
    const results = this.sql.transaction(() => {
      const actions = (this.sql.st("SELECT DISTINCT e.action_id AS id FROM label_events e JOIN actions a ON a.id = e.action_id WHERE e.round_id = ? AND e.state = 'proposed' AND a.undone = 0").all(roundId) as { id: number }[]).map((r) => r.id)
      return actions.map((id) => this.log.toggle(id, 1))
    })
    return [...new Set(results.flatMap((r) => r.imageIds))]
  }

  /**
   * Undoes `actor`'s latest live undoable action (never another reviewer's); null when there is
   * nothing to undo. An image someone else changed since keeps their later label: an image's label
   * is its latest live event.
   */
  undo(actor = 'user'): UndoResult | null {
    return this.sql.transaction(() => {
      const a = this.sql.st('SELECT max(id) AS id FROM actions WHERE actor = ? AND undoable = 1 AND undone = 0').get(actor) as { id: number | null }
      return a.id === null ? null : this.log.toggle(a.id, 1)
    })
  }

  /** Redoes `actor`'s most recently undone action (their undone = 1 actions are exactly their redo stack). */
  redo(actor = 'user'): UndoResult | null {
    return this.sql.transaction(() => {
      const a = this.sql.st('SELECT min(id) AS id FROM actions WHERE actor = ? AND undoable = 1 AND undone = 1').get(actor) as { id: number | null }
      return a.id === null ? null : this.log.toggle(a.id, 0)
    })
  }

  /** Every label event of an image, oldest first (the audit trail). */
  history(imageId: number): LabelEventRow[] {
    return (
      this.sql.st(
        `SELECT e.*, a.undone, a.origin FROM label_events e JOIN actions a ON a.id = e.action_id WHERE e.image_id = ? ORDER BY e.id`,
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
      origin: r.origin as string | null,
      undone: (r.undone as number) !== 0,
    }))
  }
}
