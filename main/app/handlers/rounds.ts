/** Self-training rounds: the project's rounds with their spot-check precision, and starting the next one. */
import { defaultModelSearchDirs, loadManifest } from '../../engine/teacher/manifest'
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
  'rounds.start': async (input, ctx) => {
    // The round reads the embeddings of the teacher that made them (the demo's may differ from the settings').
    const teacher = ctx.jobs.teacher.current().model
    // Its manifest is read once, from the app's models folder first (a downloaded or imported
    // teacher); one that cannot be read has no text tower here (the round then needs labels).
    const searchDirs = defaultModelSearchDirs(ctx.host.appDataDir)
    const manifest = await loadManifest(teacher, searchDirs).catch(() => null)
    const textAligned = manifest?.manifest.text !== undefined
    return ctx.jobs.rounds.start(ctx.requireProject(), ctx.jobs.teacher.cacheFile(), { ...(await ctx.settings()), ...withoutUndefined(input), teacher, textAligned, searchDirs, viewFiles: ctx.jobs.teacher.viewFiles(), ...(manifest ? { manifest } : {}) })
  },
} satisfies HandlerGroup

/** The round's own choices over the settings', leaving out those it does not make. */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
