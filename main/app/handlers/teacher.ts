/** The teacher: how far its embedding pass is, and running it again (which teachers exist: handlers/teachers.ts). */
import type { HandlerGroup } from './handler'

export const teacherHandlers = {
  'teacher.status': (_input, ctx) => ctx.jobs.teacher.current(),
  'teacher.run': async (_input, ctx) => {
    await ctx.jobs.teacher.start(ctx.requireProject(), await ctx.settings())
    return ctx.jobs.teacher.current()
  },
} satisfies HandlerGroup
