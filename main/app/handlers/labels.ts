/**
 * Deciding labels: seed labels by a person, review and correction of pseudo-labels, undo and redo,
 * accepting proposals above a threshold, the review queue's leases, and which images are worth
 * labelling next. Every decision is the caller's (ctx.caller): their name on its events, their undo.
 */
import { StudioError, type LabelResult } from '../../../preload/contract'
import type { HeldLease } from '../../engine/store'
import type { StudioContext } from '../context'
import { imageInfo } from '../dto'
import { imagesByIds, proposalCountsAbove } from '../image-queries'
import { suggestSeeds } from '../seed-suggestions'
import { requireClass } from './classes'
import type { HandlerGroup } from './handler'

/**
 * Undo and redo act on the caller's own actions. An undone review-queue decision (one image) puts
 * the proposal back in the reviewer's hands; the proposals of an undone bulk action (an accept
 * above a threshold, a class merge) go back to everyone: leasing them all would hide them from the
 * others for as long as the reviewer's page stays open.
 */
function undoStep(ctx: StudioContext, step: 'undo' | 'redo'): LabelResult | null {
  const { store } = ctx.requireProject()
  const { actor, reviewer } = ctx.caller
  const result = step === 'undo' ? store.labels.undo(actor) : store.labels.redo(actor)
  if (!result) return null
  if (reviewer !== null && result.imageIds.length === 1) store.leases.grant(actor, result.imageIds, Date.now())
  return ctx.labelsChanged(result.imageIds)
}

function conflict(held: HeldLease[]): StudioError {
  const first = held[0] as HeldLease
  const more = held.length > 1 ? ` (and ${held.length - 1} more held by others)` : ''
  return new StudioError('conflict', `image ${first.imageId} is in ${first.actor}'s review queue${more}; it is theirs to decide while they review it: take other proposals`)
}

/**
 * One decision by the caller, all or nothing, answered once committed (decisions made at the same
 * moment share one commit: store.groupCommit). `write` makes it and answers the images it decided.
 * A retry of a request already applied (the same request id from the same caller: its answer was
 * lost, say to a restart) changes nothing and answers as before (`retried`, given the action's own
 * images). The caller's leases on the decided images are given back.
 */
async function commitDecision(ctx: StudioContext, retried: (done: number[]) => number[], write: (actor: string, requestId: string | null, now: number) => number[]): Promise<LabelResult> {
  const { store } = ctx.requireProject()
  const { actor, requestId } = ctx.caller
  const decided = await store.groupCommit(() => {
    const done = requestId === null ? null : store.labels.actionFor(actor, requestId)
    if (done) return retried(done.imageIds)
    const now = Date.now()
    const ids = write(actor, requestId, now)
    if (ids.length > 0) store.leases.release(actor, ids, now)
    return ids
  })
  return decided.length ? ctx.labelsChanged(decided) : { imageIds: [] }
}

/**
 * A decision on these images (see commitDecision). An image another reviewer holds a live lease on
 * is refused, so two people never decide the same proposal.
 */
function decide(ctx: StudioContext, imageIds: number[], write: (ids: number[], actor: string, requestId: string | null) => void): Promise<LabelResult> {
  const { store } = ctx.requireProject()
  return commitDecision(
    ctx,
    () => imageIds,
    (actor, requestId, now) => {
      const held = store.leases.heldByOthers(actor, imageIds, now)
      if (held.length > 0) throw conflict(held)
      if (imageIds.length > 0) write(imageIds, actor, requestId)
      return imageIds
    },
  )
}

export const labelHandlers = {
  'labels.set': ({ imageIds, classId }, ctx) => {
    const project = ctx.requireProject()
    if (classId !== null) requireClass(project, classId)
    return decide(ctx, imageIds, (ids, actor, requestId) => project.store.labels.set(ids, classId, actor, requestId))
  },
  'labels.review': ({ imageIds, decision }, ctx) => {
    const project = ctx.requireProject()
    return decide(ctx, imageIds, (ids, actor, requestId) => project.store.labels.review(ids, decision, actor, requestId))
  },
  'labels.relabel': ({ imageIds, classId }, ctx) => {
    const project = ctx.requireProject()
    requireClass(project, classId)
    return decide(ctx, imageIds, (ids, actor, requestId) => project.store.labels.relabel(ids, classId, actor, requestId))
  },
  'review.take': async ({ count, classId }, ctx) => {
    const project = ctx.requireProject()
    // Shares its commit with the decisions of the moment, as a decision does.
    const ids = await project.store.groupCommit(() => project.store.leases.take(ctx.caller.actor, count, classId ?? null, Date.now()))
    return imagesByIds(project, ids).sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0) || a.id - b.id)
  },
  'review.release': (_input, ctx) => {
    ctx.requireProject().store.leases.giveBack(ctx.caller.actor)
    return null
  },
  'labels.issues': (_input, ctx) => ctx.jobs.issues.find(ctx.requireProject(), ctx.jobs.teacher.cacheFile()),
  'labels.keep': ({ imageIds }, ctx) => {
    const project = ctx.requireProject()
    return decide(ctx, imageIds, (ids, actor, requestId) => project.store.labels.keep(ids, actor, requestId))
  },
  'labels.undo': (_input, ctx) => undoStep(ctx, 'undo'),
  'labels.redo': (_input, ctx) => undoStep(ctx, 'redo'),
  'proposals.countAbove': ({ threshold }, ctx) => proposalCountsAbove(ctx.requireProject(), threshold),
  'proposals.acceptAbove': ({ threshold, classId }, ctx) => {
    const project = ctx.requireProject()
    if (classId !== undefined) requireClass(project, classId)
    const { labels, leases } = project.store
    // Chosen in the commit, so that a lease taken or a decision made at that moment is left out
    // too; proposals in another reviewer's queue are theirs to decide: left out, not a conflict.
    return commitDecision(
      ctx,
      (done) => done,
      (actor, requestId, now) => labels.acceptAbove(threshold, classId ?? null, leases.heldByOthers(actor, null, now).map((h) => h.imageId), actor, requestId)?.imageIds ?? [],
    )
  },
  'suggest.seeds': async ({ count }, ctx) => (await suggestSeeds(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), count)).map(imageInfo),
} satisfies HandlerGroup
