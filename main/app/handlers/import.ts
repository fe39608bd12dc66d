/**
 * Importing labels from the Import panel: the engine's plan and report (engine/exchange/match.ts),
 * the same as the CLI's `import`. A dry run answers with the report; an import writes one undoable
 * action and tells every window which images changed (their classes too, new ones included).
 */
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import { StudioError } from '../../../preload/contract'
import type { ImportFormat } from '../../../preload/vocabulary'
import { LabelImportError } from '../../engine/exchange/import'
import { importLabels } from '../../engine/exchange/match'
import { confined } from '../confine'
import type { HandlerGroup } from './handler'

/**
 * The file endings each file format accepts through the contract. The web host serves people who
 * hold its URL, not accounts on the machine: a report quotes lines of the file it read (a header,
 * names), so a request may only read files that look like label files, never e.g. /etc/passwd.
 */
const ENDINGS: Partial<Record<ImportFormat, readonly string[]>> = { csv: ['.csv', '.tsv', '.txt'], json: ['.json'], coco: ['.json'], labelstudio: ['.json'] }

export const importHandlers = {
  'labels.import': async ({ format, path: source, dryRun, onConflict, as }, ctx) => {
    const project = ctx.requireProject()
    // The web host reads only inside its --root (confine.ts), like every path a request names.
    const file = path.resolve(await confined(ctx.host, source, 'label file or folder'))
    // The file read is judged, not the name given: a link named labels.csv to another file would
    // have that file's lines quoted; the real path is what is read. One that does not resolve is left to the import to name.
    const real = await realpath(file).catch(() => file)
    const endings = ENDINGS[format]
    if (endings && !endings.includes(path.extname(real).toLowerCase())) {
      throw new StudioError('invalid_input', `${real}: a ${format} import reads a ${endings.join(', ')} file; give the label file's path (or rename it)`)
    }
    try {
      const { report, imageIds } = await importLabels(project, { format, source: real, dryRun: dryRun ?? false, onConflict: onConflict ?? 'keep', as: as ?? 'human', actor: ctx.caller.actor })
      if (imageIds.length) ctx.labelsChanged(imageIds)
      return { ...report, imageIds }
    } catch (err) {
      // The source is the user's to fix (its format, a line, its encoding): said as invalid input.
      if (err instanceof LabelImportError) throw new StudioError('invalid_input', err.message)
      throw err
    }
  },
} satisfies HandlerGroup
