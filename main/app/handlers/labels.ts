/**
 * Deciding labels: seed labels by a person, review and correction of pseudo-labels, undo and redo,
 * accepting proposals above a threshold, the review queue's leases, and which images are worth
 * labelling next. Every decision is the caller's (ctx.caller): their name on its events, their undo.
 */
import { StudioError, type LabelResult } from '../../../preload/contract'
import type { HeldLease } from '../../engine/store'
import type { StudioContext } from '../context'
import { imageInfo } from '../dto'
import { filterIds, imagesByIds, proposalCountsAbove } from '../image-queries'
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
 * One decision by the caller on these images, all or nothing, answered once committed (decisions
 * made at the same moment share one commit: store.groupCommit). A retry of a request already
 * applied (the same request id from the same caller: its answer was lost, say to a restart) changes
 * nothing and answers as before. An image another reviewer holds a live lease on is refused, so two
 * people never decide the same proposal; with `others: 'skip'` (a bulk accept, whose images are
 * then chosen in the commit, by `imageIds()`) it is left out instead, so that a lease taken or a
 * decision made at that moment is left out too. The caller's leases on the decided images are given back.
 */
async function decide(ctx: StudioContext, imageIds: number[] | (() => number[]), write: (ids: number[], actor: string, requestId: string | null) => void, others: 'refuse' | 'skip' = 'refuse'): Promise<LabelResult> {
  const { store } = ctx.requireProject()
  const { actor, requestId } = ctx.caller
  const decided = await store.groupCommit(() => {
    const done = requestId === null ? null : store.labels.actionFor(actor, requestId)
    if (done) return others === 'skip' || typeof imageIds === 'function' ? done.imageIds : imageIds
    const candidates = typeof imageIds === 'function' ? imageIds() : imageIds
    const now = Date.now()
    const held = store.leases.heldByOthers(actor, candidates, now)
    if (held.length > 0 && others === 'refuse') throw conflict(held)
    const theirs = new Set(held.map((h) => h.imageId))
    const ids = theirs.size ? candidates.filter((id) => !theirs.has(id)) : candidates
    if (ids.length === 0) return ids
    write(ids, actor, requestId)
    store.leases.release(actor, ids, now)
    return ids
  })
  return decided.length ? ctx.labelsChanged(decided) : { imageIds: [] }
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
    const above = () => filterIds(project, { status: 'proposed', minConfidence: threshold, sort: 'confidence', descending: true, ...(classId !== undefined ? { classId } : {}) })
    // Proposals in another reviewer's queue are theirs to decide: left out, not a conflict.
    return decide(ctx, above, (ids, actor, requestId) => project.store.labels.review(ids, 'accept', actor, requestId), 'skip')
  },
  'suggest.seeds': async ({ count }, ctx) => (await suggestSeeds(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), count)).map(imageInfo),
} satisfies HandlerGroup
