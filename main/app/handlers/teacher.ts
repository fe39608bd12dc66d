/** The teacher: which models exist, how far its embedding pass is, and running it again. */
import { defaultModelSearchDirs } from '../../engine/teacher/manifest'
import { listTeacherModels } from '../settings'
import type { HandlerGroup } from './handler'

export const teacherHandlers = {
  'teacher.models': (_input, ctx) => listTeacherModels(defaultModelSearchDirs(ctx.host.appDataDir)),
  'teacher.status': (_input, ctx) => ctx.jobs.teacher.current(),
  'teacher.run': async (_input, ctx) => {
    await ctx.jobs.teacher.start(ctx.requireProject(), await ctx.settings())
    return ctx.jobs.teacher.current()
  },
} satisfies HandlerGroup
