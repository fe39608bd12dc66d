/** The app's settings, read once and saved at every change (StudioApi keeps the current ones). */
import { StudioError } from '../../../preload/contract'
import type { HandlerGroup } from './handler'

export const settingsHandlers = {
  'settings.get': (_input, ctx) => ctx.settings(),
  'settings.set': (patch, ctx) => {
    // A teacher setting may also be a manifest's path (loadManifest): a confined host takes ids only.
    if (ctx.host.root !== undefined && patch.teacher !== undefined && (/[/\\]/.test(patch.teacher) || patch.teacher.endsWith('.json')))
      throw new StudioError('forbidden', `settings.set: field teacher: "${patch.teacher}" is a path; over the web a teacher is named by its id (Settings, Teachers)`)
    return ctx.updateSettings(patch)
  },
} satisfies HandlerGroup
