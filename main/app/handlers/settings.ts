/** The app's settings, read once and saved at every change (StudioApi keeps the current ones). */
import type { HandlerGroup } from './handler'

export const settingsHandlers = {
  'settings.get': (_input, ctx) => ctx.settings(),
  'settings.set': (patch, ctx) => ctx.updateSettings(patch),
} satisfies HandlerGroup
