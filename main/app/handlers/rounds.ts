/** Self-training rounds: the project's rounds with their spot-check precision, and starting the next one. */
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
  'rounds.start': async (_input, ctx) => ctx.jobs.rounds.start(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), await ctx.settings()),
} satisfies HandlerGroup
