/**
 * Deciding labels: seed labels by a person, review and correction of pseudo-labels, undo and redo,
 * accepting proposals above a threshold, and which images are worth labelling next.
 */
import type { LabelResult } from '../../../preload/contract'
import type { StudioContext } from '../context'
import { imageInfo } from '../dto'
import { filterIds, proposalCountsAbove } from '../image-queries'
import { projectLabelIssues } from '../label-issues'
import { suggestSeeds } from '../seed-suggestions'
import { requireClass } from './classes'
import type { HandlerGroup } from './handler'

function undoStep(ctx: StudioContext, step: 'undo' | 'redo'): LabelResult | null {
  const project = ctx.requireProject()
  const result = step === 'undo' ? project.store.labels.undo() : project.store.labels.redo()
  return result ? ctx.labelsChanged(result.imageIds) : null
}

export const labelHandlers = {
  'labels.set': ({ imageIds, classId }, ctx) => {
    const project = ctx.requireProject()
    if (classId !== null) requireClass(project, classId)
    project.store.labels.set(imageIds, classId)
    return ctx.labelsChanged(imageIds)
  },
  'labels.review': ({ imageIds, decision }, ctx) => {
    ctx.requireProject().store.labels.review(imageIds, decision)
    return ctx.labelsChanged(imageIds)
  },
  'labels.relabel': ({ imageIds, classId }, ctx) => {
    const project = ctx.requireProject()
    requireClass(project, classId)
    project.store.labels.relabel(imageIds, classId)
    return ctx.labelsChanged(imageIds)
  },
  'labels.issues': (_input, ctx) => projectLabelIssues(ctx.requireProject(), ctx.jobs.teacher.cacheFile()),
  'labels.undo': (_input, ctx) => undoStep(ctx, 'undo'),
  'labels.redo': (_input, ctx) => undoStep(ctx, 'redo'),
  'proposals.countAbove': ({ threshold }, ctx) => proposalCountsAbove(ctx.requireProject(), threshold),
  'proposals.acceptAbove': ({ threshold, classId }, ctx) => {
    const project = ctx.requireProject()
    if (classId !== undefined) requireClass(project, classId)
    const ids = filterIds(project, { status: 'proposed', minConfidence: threshold, sort: 'confidence', descending: true, ...(classId !== undefined ? { classId } : {}) })
    if (ids.length === 0) return { imageIds: [] }
    project.store.labels.review(ids, 'accept')
    return ctx.labelsChanged(ids)
  },
  'suggest.seeds': async ({ count }, ctx) => (await suggestSeeds(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), count)).map(imageInfo),
} satisfies HandlerGroup
