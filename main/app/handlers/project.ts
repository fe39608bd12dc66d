/** Opening a folder as the project (the lifecycle itself is StudioApi's), and the recent-projects list. */
import { DEMO_FOLDER } from '../../engine/project/locations'
import { forgetProject, recentProjects } from '../recent-projects'
import type { HandlerGroup } from './handler'

export const projectHandlers = {
  'project.open': ({ folder }, ctx) => ctx.open(folder),
  'project.startAfresh': ({ folder }, ctx) => ctx.startAfresh(folder),
  'project.openDemo': (_input, ctx) => ctx.open(DEMO_FOLDER),
  'projects.recent': (_input, ctx) => recentProjects(ctx.host.appDataDir),
  'projects.forget': ({ folder }, ctx) => forgetProject(ctx.host.appDataDir, folder),
} satisfies HandlerGroup
