/**
 * Labels are events: each change is recorded (who or which round, when, from what to what) as part
 * of an action, and each image's current label is materialised from its latest live event in the
 * same transaction. LabelLog is that log (record, undo, redo); Labels holds the rules a person or a
 * round labels by, each one committed action, durable when it returns.
 */
import type { LabelSource, LabelState } from '../../../preload/vocabulary'
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

/** A person's latest judgement of an image (see Labels.sharedJudgements). */
export interface Judgement {
  imageId: number
  actor: string
  classId: number
  state: LabelState
}

/** The live label events of people's gestures (FROM clause; callers add `AND ...`). */
const DECISIONS = `label_events e JOIN actions a ON a.id = e.action_id
  WHERE a.undone = 0 AND e.state != 'proposed' AND a.kind IN ('label', 'accept', 'reject', 'relabel')`

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

/** One label of an import: the image it matched, the class it names, the source's confidence if any. */
export interface ImportedLabel {
  imageId: number
  className: string
  confidence: number | null
}

/** What an import needs of the classes (store.classes; named here, not imported: classes.ts imports this file). */
export interface ImportClasses {
  list(): { id: number; name: string }[]
  create(name: string): number
  createdBy(ids: readonly number[], actionId: number): void
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

/** The fewest images a label action changes for which setCurrent rebuilds the images' indexes (see Sql.withIndexesRebuilt). */
export const BULK_REBUILD_MIN = 5_000

/** The label-event log, for the store's own modules: every write runs inside the caller's transaction. */
export class LabelLog {
  constructor(private readonly sql: Sql) {}

  /**
   * Starts an action (its events to follow): a new undoable action ends its actor's redo stack, so
   * what they undid stays undone for good (2). Only theirs: another reviewer deciding meanwhile must
   * not take away your redo.
   */
  private begin(opts: ActionOptions, now: number): number {
    const undoable = opts.undoable === false ? 0 : 1
    if (undoable) this.sql.st('UPDATE actions SET undone = 2 WHERE actor = ? AND undoable = 1 AND undone = 1').run(opts.actor)
    return Number(
      this.sql.st('INSERT INTO actions (kind, actor, at, undoable, origin, request_id) VALUES (?, ?, ?, ?, ?, ?)').run(opts.kind ?? 'label', opts.actor, now, undoable, opts.origin ?? null, opts.requestId ?? null).lastInsertRowid,
    )
  }

  /** Inserts one action and its events; returns the action's id. */
  record(changes: readonly LabelChange[], opts: ActionOptions, now: number): number {
    const actionId = this.begin(opts, now)
    const ins = this.sql.st(
      `INSERT INTO label_events (action_id, image_id, class_id, source, round_id, confidence, uncertainty, state, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const c of changes) {
      const confidence = c.confidence ?? null
      const uncertainty = c.uncertainty ?? (confidence === null ? null : 1 - confidence)
      ins.run(actionId, c.imageId, c.classId, c.source, c.roundId ?? null, confidence, uncertainty, c.state, opts.actor, now)
    }
    this.setCurrentOfAction(actionId)
    return actionId
  }

  /**
   * Records, as one action, an event for each image that `select` reads: it names, in this order,
   * image_id, class_id, source, round_id, confidence, uncertainty, state, and takes `args`. One
   * INSERT ... SELECT, for bulk decisions over a filter (a million images: no row goes through
   * JavaScript). Returns the action and its images; null, with no action recorded, when `select`
   * reads no row.
   */
  recordSelect(select: string, args: readonly (number | string | null)[], opts: ActionOptions, now: number): UndoResult | null {
    if (!(this.sql.st(`SELECT EXISTS (${select}) AS found`).get(...args) as { found: number }).found) return null
    const actionId = this.begin(opts, now)
    this.sql
      .st(
        `INSERT INTO label_events (action_id, image_id, class_id, source, round_id, confidence, uncertainty, state, actor, at)
         SELECT ?, s.image_id, s.class_id, s.source, s.round_id, s.confidence, COALESCE(s.uncertainty, 1 - s.confidence), s.state, ?, ? FROM (${select}) s`,
      )
      .run(actionId, opts.actor, now, ...args)
    this.setCurrentOfAction(actionId)
    return { actionId, imageIds: this.imagesOf(actionId) }
  }

  /** The current label of an action's images: each image's last event in it (an image may have several). */
  private setCurrentOfAction(actionId: number): void {
    this.setCurrent('SELECT image_id, max(id) AS event_id FROM label_events WHERE action_id = ? GROUP BY image_id', actionId)
  }

  /** Marks an action undone (1) or live again (0) and recomputes the current label of its images. */
  toggle(actionId: number, undone: 0 | 1): UndoResult {
    this.sql.st('UPDATE actions SET undone = ? WHERE id = ?').run(undone, actionId)
    // Each image's latest live event (none: the image is unlabelled again).
    this.setCurrent(
      `SELECT t.image_id, (SELECT e.id FROM label_events e JOIN actions a ON a.id = e.action_id WHERE e.image_id = t.image_id AND a.undone = 0 ORDER BY e.id DESC LIMIT 1) AS event_id
       FROM (SELECT DISTINCT image_id FROM label_events WHERE action_id = ?) t`,
      actionId,
    )
    return { actionId, imageIds: this.imagesOf(actionId) }
  }

  /** The images an action has events on. */
  imagesOf(actionId: number): number[] {
    return (this.sql.st('SELECT DISTINCT image_id FROM label_events WHERE action_id = ?').all(actionId) as { image_id: number }[]).map((r) => r.image_id)
  }

  /**
   * Materialises the current label of the images `targets` reads (image_id, event_id: the event that
   * is now their latest, NULL for none) set-based: row by row, a million-image round took minutes.
   * Each indexed column is written only where it changes: SQLite rewrites an image's entries in
   * every index on a column the UPDATE sets, even to the same value, and the images table has a
   * dozen indexes (accepting 57,700 proposals at a million images: 6.4 s writing every column, most
   * of it on class, confidence and uncertainty, which an accept leaves as they were). The status is
   * statusOf (preload/vocabulary.ts) written in SQL.
   */
  private setCurrent(targets: string, actionId: number): void {
    // Made once per connection and emptied after each use: creating or dropping a temp table is a
    // schema change, which expires every prepared statement of the connection (each decision would
    // have prepared the queue's next queries again). No key on image_id: with one, SQLite joins by
    // scanning the million images and looking each up here (half a second a decision), instead of
    // scanning these few rows and looking up the images.
    this.sql.db.exec(`CREATE TEMP TABLE IF NOT EXISTS label_current (image_id INTEGER NOT NULL, event_id INTEGER, at INTEGER,
      status TEXT NOT NULL, class_id INTEGER, confidence REAL, uncertainty REAL, round_id INTEGER)`)
    this.sql.st(
      `INSERT INTO temp.label_current (image_id, event_id, at, status, class_id, confidence, uncertainty, round_id)
       SELECT t.image_id, ev.id AS event_id, ev.at,
         CASE WHEN ev.class_id IS NULL THEN 'unlabelled' WHEN ev.state = 'rejected' THEN 'rejected'
              WHEN ev.state = 'relabelled' OR ev.source = 'human' THEN 'human' ELSE ev.state END AS status,
         ev.class_id,
         CASE WHEN ev.class_id IS NULL THEN NULL ELSE ev.confidence END AS confidence,
         CASE WHEN ev.class_id IS NULL THEN NULL ELSE ev.uncertainty END AS uncertainty,
         CASE WHEN ev.class_id IS NULL THEN NULL ELSE ev.round_id END AS round_id
       FROM (${targets}) t LEFT JOIN label_events ev ON ev.id = t.event_id ORDER BY t.image_id`,
    ).run(actionId)
    const from = 'FROM temp.label_current c WHERE images.id = c.image_id'
    const write = () => {
      this.sql.st(`UPDATE images SET status = c.status, changed_at = c.at, label_event_id = c.event_id, round_id = c.round_id ${from}`).run()
      this.sql.st(`UPDATE images SET class_id = c.class_id ${from} AND images.class_id IS NOT c.class_id`).run()
      this.sql.st(`UPDATE images SET confidence = c.confidence ${from} AND images.confidence IS NOT c.confidence`).run()
      this.sql.st(`UPDATE images SET uncertainty = c.uncertainty ${from} AND images.uncertainty IS NOT c.uncertainty`).run()
    }
    // A fifth of the images or more (a round's proposals): the indexes are built again after the write, not updated row by row.
    const changed = (this.sql.st('SELECT count(*) AS n FROM temp.label_current').get() as { n: number }).n
    if (changed >= BULK_REBUILD_MIN && changed * 5 >= (this.sql.st('SELECT count(*) AS n FROM images').get() as { n: number }).n) this.sql.withIndexesRebuilt('images', write)
    else write()
    this.sql.st('DELETE FROM temp.label_current').run()
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
      // A seed label (a person's, no round) is not a pseudo-label to review; an imported proposal
      // is one without a round (see importLabels).
      if (!img || img.classId === null || (img.roundId === null && img.status === 'human')) continue
      changes.push({ imageId: id, classId: img.classId, source: 'pseudo', state: decision === 'accept' ? 'accepted' : 'rejected', roundId: img.roundId, confidence: img.confidence, uncertainty: img.uncertainty })
    }
    return changes.length ? this.add(changes, { actor, kind: decision, requestId }) : null
  }

  /**
   * A person accepts every proposal waiting with confidence >= `threshold` (of class `classId`, or
   * of every class), except the images in `skip` (another reviewer's to decide): what review()
   * does for those images, as one action (one undo step), in one INSERT ... SELECT and one UPDATE
   * (row by row, half a million proposals took minutes). Events in order of confidence, highest
   * first. Null, with no action recorded, when none is above.
   */
  acceptAbove(threshold: number, classId: number | null, skip: readonly number[], actor = 'user', requestId: string | null = null): UndoResult | null {
    const scope = classId === null ? '' : ' AND class_id = ?'
    const select = `SELECT id AS image_id, class_id, 'pseudo' AS source, round_id, confidence, uncertainty, 'accepted' AS state FROM images
      WHERE avail = 1 AND status = 'proposed' AND confidence >= ?${scope} AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY confidence DESC, id DESC`
    const args = classId === null ? [threshold, JSON.stringify(skip)] : [threshold, classId, JSON.stringify(skip)]
    return this.sql.transaction(() => this.log.recordSelect(select, args, { actor, kind: 'accept', requestId }, Date.now()))
  }

  /**
   * Labels read from a file or folder: one undoable action (kind 'import', origin the source), so
   * one undo takes the whole import back, with the classes it created (`newClasses`, created here
   * in the same transaction and tied to the action). As 'human' they are seed labels; as 'proposal'
   * they are pseudo-labels with no round, waiting in the review queue like a round's: a later
   * round does not withdraw them (it withdraws only its predecessors' proposals), and accepting or
   * rejecting them works as for any proposal.
   */
  importLabels(items: readonly ImportedLabel[], newClasses: readonly string[], opts: { as: 'human' | 'proposal'; origin: string; actor?: string }, classes: ImportClasses): { actionId: number; imageIds: number[] } {
    if (items.length === 0) throw new Error('no labels to import')
    return this.sql.transaction(() => {
      const ids = new Map(classes.list().map((c) => [c.name, c.id]))
      const created = newClasses.map((name) => {
        const id = classes.create(name)
        ids.set(name.trim(), id)
        return id
      })
      const changes = items.map((it): LabelChange => {
        const classId = ids.get(it.className.trim())
        if (classId === undefined) throw new Error(`class "${it.className}" is neither a class of the project nor one to create`)
        return opts.as === 'human'
          ? { imageId: it.imageId, classId, source: 'human', state: 'accepted' }
          : { imageId: it.imageId, classId, source: 'pseudo', state: 'proposed', confidence: it.confidence }
      })
      const actionId = this.log.record(changes, { actor: opts.actor ?? 'user', kind: 'import', origin: opts.origin }, Date.now())
      classes.createdBy(created, actionId)
      return { actionId, imageIds: items.map((it) => it.imageId) }
    })
  }

  /**
   * A person checked these images' human labels (say, ones labels.issues flagged) and keeps them:
   * each gets an event repeating its current label, in an action of kind 'check', so the label is
   * unchanged, the check is in its history and undoable, and kept() knows it until a later event
   * (a new label, or the undo of this one) makes another its latest. Images without a human label
   * are skipped; null when none has one.
   */
  keep(imageIds: readonly number[], actor = 'user', requestId: string | null = null): number | null {
    const changes: LabelChange[] = []
    for (const id of imageIds) {
      const e = this.sql.st('SELECT e.class_id, e.source, e.state, e.round_id FROM images i JOIN label_events e ON e.id = i.label_event_id WHERE i.id = ?').get(id) as
        | { class_id: number | null; source: LabelSource; state: LabelState; round_id: number | null }
        | undefined
      if (!e || e.class_id === null || e.source !== 'human') continue
      changes.push({ imageId: id, classId: e.class_id, source: e.source, state: e.state, roundId: e.round_id })
    }
    return changes.length ? this.add(changes, { actor, kind: 'check', requestId }) : null
  }

  /** The images whose current label a person kept (see keep): their latest live event is a check. */
  kept(): Set<number> {
    const rows = this.sql.st("SELECT i.id FROM images i JOIN label_events e ON e.id = i.label_event_id JOIN actions a ON a.id = e.action_id WHERE a.kind = 'check'").all() as { id: number }[]
    return new Set(rows.map((r) => r.id))
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
    return { actionId: a.id, imageIds: this.log.imagesOf(a.id) }
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

  /** Who made each image's current label: the actor of its latest live event (a person, `round N`, an import). */
  decidedBy(): Map<number, string> {
    const rows = this.sql.st('SELECT i.id, e.actor FROM images i JOIN label_events e ON e.id = i.label_event_id').all() as { id: number; actor: string }[]
    return new Map(rows.map((r) => [r.id, r.actor]))
  }

  /**
   * How many decisions each person made, by source and state: live events of label gestures (seed
   * labels, accepts, rejects, corrections; clears are not counted), without rounds' proposals and
   * without the label moves of a class merge or delete (a change to the classes, not a judgement).
   */
  decisionCounts(): { actor: string; source: LabelSource; state: LabelState; count: number }[] {
    return this.sql.st(`SELECT e.actor, e.source, e.state, count(*) AS count FROM ${DECISIONS} AND e.class_id IS NOT NULL GROUP BY e.actor, e.source, e.state ORDER BY e.actor`).all() as {
      actor: string
      source: LabelSource
      state: LabelState
      count: number
    }[]
  }

  /**
   * Each person's latest live decision on each image (as decisionCounts counts them), for the images
   * that more than one person judged: what agreement between reviewers is measured on. A person
   * whose latest decision cleared the label no longer judges the image. Aggregated in SQLite, so a
   * project with one reviewer reads no row.
   */
  sharedJudgements(): Judgement[] {
    return (
      this.sql.st(
        `WITH d AS (SELECT e.id, e.image_id, e.actor, e.class_id, e.state FROM ${DECISIONS}),
              latest AS (SELECT d.* FROM d JOIN (SELECT max(id) AS id FROM d GROUP BY image_id, actor) m ON m.id = d.id WHERE d.class_id IS NOT NULL)
         SELECT image_id, actor, class_id, state FROM latest WHERE image_id IN (SELECT image_id FROM latest GROUP BY image_id HAVING count(*) > 1)`,
      ).all() as { image_id: number; actor: string; class_id: number; state: LabelState }[]
    ).map((r) => ({ imageId: r.image_id, actor: r.actor, classId: r.class_id, state: r.state }))
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
