/** The app itself: what the host can do, its folder dialog, and cancelling a long job. */
import type { HandlerGroup } from './handler'

export const appHandlers = {
  'app.info': (_input, ctx) => ({ ...ctx.info(), reviewer: ctx.caller.reviewer }),
  'dialog.pickFolder': (_input, ctx) => (ctx.host.pickFolder ? ctx.host.pickFolder() : null),
  'jobs.cancel': ({ job }, ctx) => {
    switch (job) {
      case 'round':
        return ctx.jobs.rounds.cancel()
      case 'map':
        return ctx.jobs.map.cancel()
      case 'issues':
        return ctx.jobs.issues.cancel()
      case 'download':
        return ctx.jobs.downloads.cancel()
      case 'embed':
        return ctx.jobs.teacher.cancel()
    }
  },
} satisfies HandlerGroup
