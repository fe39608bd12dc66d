/** The app itself: what the host can do, its folder dialog, and cancelling a long job. */
import type { HandlerGroup } from './handler'

export const appHandlers = {
  'app.info': (_input, ctx) => ctx.info(),
  'dialog.pickFolder': (_input, ctx) => (ctx.host.pickFolder ? ctx.host.pickFolder() : null),
  'jobs.cancel': ({ job }, ctx) => (job === 'round' ? ctx.jobs.rounds.cancel() : job === 'map' ? ctx.jobs.map.cancel() : ctx.jobs.teacher.cancel()),
} satisfies HandlerGroup
