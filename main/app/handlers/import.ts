/**
 * Importing labels from the Import panel: the engine's plan and report (engine/exchange/match.ts),
 * the same as the CLI's `import`. A dry run answers with the report; an import writes one undoable
 * action and tells every window which images changed (their classes too, new ones included).
 */
import path from 'node:path'
import { StudioError } from '../../../preload/contract'
import { LabelImportError } from '../../engine/exchange/import'
import { importLabels } from '../../engine/exchange/match'
import type { HandlerGroup } from './handler'

export const importHandlers = {
  'labels.import': async ({ format, path: source, dryRun, onConflict, as }, ctx) => {
    const project = ctx.requireProject()
    try {
      const { report, imageIds } = await importLabels(project, { format, source: path.resolve(source), dryRun: dryRun ?? false, onConflict: onConflict ?? 'keep', as: as ?? 'human' })
      if (imageIds.length) ctx.labelsChanged(imageIds)
      return { ...report, imageIds }
    } catch (err) {
      // The source is the user's to fix (its format, a line, its encoding): said as invalid input.
      if (err instanceof LabelImportError) throw new StudioError('invalid_input', err.message)
      throw err
    }
  },
} satisfies HandlerGroup
