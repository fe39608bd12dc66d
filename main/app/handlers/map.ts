/** The embedding map: its points (built in the background the first time) and the labels to colour them. */
import { mapLabels } from '../jobs/map-job'
import type { HandlerGroup } from './handler'

export const mapHandlers = {
  'map.get': (_input, ctx) => ctx.jobs.map.get(ctx.requireProject(), ctx.jobs.teacher.cacheFile()),
  'map.labels': (_input, ctx) => mapLabels(ctx.requireProject()),
} satisfies HandlerGroup
