/**
 * The teachers on this machine: the catalog with each one's state, downloads (cancelled through
 * jobs.cancel 'download'), "I already have the file", and removing one. Shared by every project,
 * so none of these needs a project open.
 */
import { confined } from '../confine'
import type { HandlerGroup } from './handler'

export const teachersHandlers = {
  'teachers.list': (_input, ctx) => ctx.jobs.downloads.list(),
  'teachers.pull': async ({ id }, ctx) => ctx.jobs.downloads.start(id, (await ctx.settings()).modelMirror),
  'teachers.useFile': async ({ id, path, role }, ctx) => ctx.jobs.downloads.useFile(id, await confined(ctx.host, path, 'file'), role),
  'teachers.remove': ({ id }, ctx) => ctx.jobs.downloads.remove(id),
} satisfies HandlerGroup
