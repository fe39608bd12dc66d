/**
 * Opening a folder as the project (the lifecycle itself is StudioApi's), and the recent-projects
 * list. A confined host (the web host's --root) opens only folders inside its root and lists only
 * those; the demo is the studio's own folder, not one a request names, so it opens everywhere.
 */
import type { RecentProject } from '../../../preload/contract'
import { DEMO_FOLDER } from '../../engine/project/locations'
import { confined, mayName } from '../confine'
import type { HostOptions } from '../context'
import { forgetProject, recentProjects } from '../recent-projects'
import type { HandlerGroup } from './handler'

const listed = (host: HostOptions, projects: RecentProject[]) => projects.filter((p) => p.demo || mayName(host, p.folder))

export const projectHandlers = {
  'project.open': async ({ folder }, ctx) => ctx.open(await confined(ctx.host, folder, 'folder')),
  'project.startAfresh': async ({ folder }, ctx) => ctx.startAfresh(await confined(ctx.host, folder, 'folder')),
  'project.openDemo': (_input, ctx) => ctx.open(DEMO_FOLDER),
  'projects.recent': async (_input, ctx) => listed(ctx.host, await recentProjects(ctx.host.appDataDir)),
  'projects.forget': async ({ folder }, ctx) => listed(ctx.host, await forgetProject(ctx.host.appDataDir, folder)),
} satisfies HandlerGroup
