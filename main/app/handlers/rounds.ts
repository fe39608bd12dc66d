/** Self-training rounds: the project's rounds with their spot-check precision, and starting the next one. */
import { teacherHasText } from '../jobs/class-text'
import { roundInfo } from '../jobs/round-job'
import { roundAudits } from '../spot-check'
import type { HandlerGroup } from './handler'

export const roundHandlers = {
  'rounds.list': async (_input, ctx) => {
    const project = ctx.requireProject()
    const rounds = project.store.rounds.list()
    const audits = await roundAudits(project, rounds)
    return rounds.map((r) => roundInfo(r, audits.get(r.id) ?? null))
  },
  'rounds.start': async (_input, ctx) => {
    // The round reads the embeddings of the teacher that made them (the demo's may differ from the settings').
    const teacher = ctx.jobs.teacher.current().model
    return ctx.jobs.rounds.start(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), { ...(await ctx.settings()), teacher, textAligned: await teacherHasText(teacher) })
  },
} satisfies HandlerGroup
