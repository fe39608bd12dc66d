/** Finding and describing the open project's images: pages, ids, facts, files, history, similar ones. */
import { StudioError } from '../../../preload/contract'
import { imageInfo, labelHistory } from '../dto'
import { filterIds, imagesByIds, topProbabilities } from '../image-queries'
import type { HandlerGroup } from './handler'

export const imageHandlers = {
  'images.page': ({ offset, limit, ...filter }, ctx) => {
    const page = ctx.requireProject().store.queries.page({ offset, limit, ...filter })
    return { total: page.total, offset: page.offset, images: page.items.map(imageInfo) }
  },
  'images.get': ({ relPath }, ctx) => {
    const row = ctx.requireProject().store.images.byPath(relPath)
    if (!row) throw new StudioError('not_found', `no image "${relPath}" in the open project`)
    return imageInfo(row)
  },
  'images.ids': ({ offset, limit, ...filter }, ctx) => filterIds(ctx.requireProject(), filter, offset, limit),
  'images.byIds': ({ imageIds }, ctx) => imagesByIds(ctx.requireProject(), imageIds),
  'images.similar': async ({ imageId, k }, ctx) => {
    const found = await ctx.jobs.similar.query(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), imageId, k)
    return found.map((f) => ({ image: imageInfo(f.row), similarity: f.similarity }))
  },
  'images.files': ({ imageId }, ctx) => {
    const project = ctx.requireProject()
    if (!project.store.images.get(imageId)) throw new StudioError('not_found', `no image with id ${imageId} in the open project`)
    return project.store.images.filesOf(imageId)
  },
  'images.probabilities': ({ imageId }, ctx) => topProbabilities(ctx.requireProject(), imageId),
  'images.history': ({ imageId }, ctx) => labelHistory(ctx.requireProject(), imageId),
} satisfies HandlerGroup
