/**
 * `import <folder> --format csv|json|coco|yolo|folders|labelstudio --in PATH [--dry-run]
 *         [--on-conflict keep|replace] [--as human|proposal] [--wait SECONDS]`
 *
 * Imports labels into the project of an image folder without a window: the same plan, report and
 * single undoable action as the studio's Import panel. `--dry-run` prints the report and writes
 * nothing. Exit codes: 0 done (or the dry run's report), 1 failure while working, 2 bad usage or
 * bad input (unknown option, a file that cannot be read or is not the announced format; nothing is
 * written), 75 the project is open in the studio or another process (--wait SECONDS waits for it,
 * as the other verbs), 130 cancelled.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { IMPORT_AS, IMPORT_CONFLICTS, IMPORT_FORMATS, type ImportAs, type ImportConflict, type ImportFormat } from '../../preload/vocabulary'
import { USER } from '../app/context'
import { LabelImportError } from '../engine/exchange/import'
import { importLabels, type ImportReport } from '../engine/exchange/match'
import { defaultAppDataDir } from '../engine/project/locations'
import { openProject } from './session'

const USAGE = `usage: npm run cli -- import <folder> --format ${IMPORT_FORMATS.join('|')} --in PATH [--dry-run] [--on-conflict ${IMPORT_CONFLICTS.join('|')}] [--as ${IMPORT_AS.join('|')}] [--wait SECONDS]`

/** The report as a person reads it: counts, then the first names of each list. */
export function describeReport(r: ImportReport, dryRun: boolean): string {
  const lines = [
    `${r.rows} rows read from ${r.source} (${r.format})`,
    `matched: ${r.matched} (${r.byPath} by path, ${r.byName} by file name, ${r.byHash} by content hash)`,
    `unmatched: ${r.unmatched.count}${r.unmatched.first.length ? `, e.g. ${r.unmatched.first.join('; ')}` : ''}`,
    `ambiguous: ${r.ambiguous.count}${r.ambiguous.first.length ? `, e.g. ${r.ambiguous.first.join('; ')}` : ''}`,
  ]
  if (r.skipped.count) lines.push(`skipped (no usable label): ${r.skipped.count}, e.g. ${r.skipped.first.join('; ')}`)
  lines.push(`new classes: ${r.newClasses.length ? r.newClasses.join(', ') : 'none'}`)
  lines.push(
    `conflicts with a person's label: ${r.conflicts.count}${r.conflicts.count ? ` (${r.onConflict === 'keep' ? 'kept' : 'replaced'}), e.g. ${r.conflicts.first.map((c) => `${c.path}: ${c.current} -> ${c.imported}`).join('; ')}` : ''}`,
  )
  lines.push(`already so: ${r.unchanged}`)
  lines.push(`${dryRun ? 'would write' : 'wrote'} ${r.toWrite} labels as ${r.as === 'human' ? "a person's labels" : 'proposals to review'}${dryRun ? ' (dry run: nothing written)' : ' (one action: undo it in the studio with Ctrl+Z)'}`)
  return lines.join('\n')
}

export async function run(args: string[]): Promise<number> {
  let folder: string, format: ImportFormat, source: string, dryRun: boolean, onConflict: ImportConflict, as: ImportAs, wait: number
  try {
    const { values: v, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        in: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'on-conflict': { type: 'string', default: 'keep' },
        as: { type: 'string', default: 'human' },
        wait: { type: 'string', default: '0' },
      },
    })
    if (positionals.length !== 1) throw new Error('one folder is needed: the image folder of the project to import into')
    folder = path.resolve(positionals[0]!)
    if (!(IMPORT_FORMATS as readonly string[]).includes(v.format ?? '')) throw new Error(`--format must be one of ${IMPORT_FORMATS.join(', ')}`)
    format = v.format as ImportFormat
    if (!v.in) throw new Error('--in <path> is needed: the file or folder to import')
    source = path.resolve(v.in)
    if (!(IMPORT_CONFLICTS as readonly string[]).includes(v['on-conflict']!)) throw new Error(`--on-conflict must be ${IMPORT_CONFLICTS.join(' or ')}`)
    onConflict = v['on-conflict'] as ImportConflict
    if (!(IMPORT_AS as readonly string[]).includes(v.as!)) throw new Error(`--as must be ${IMPORT_AS.join(' or ')}`)
    as = v.as as ImportAs
    dryRun = v['dry-run'] ?? false
    wait = Number(v.wait)
    if (!(wait >= 0 && Number.isFinite(wait))) throw new Error(`--wait must be a number of seconds >= 0, not "${v.wait}"`)
    if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new Error(`${folder} is not a folder`)
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }

  const abort = new AbortController()
  const onInt = () => abort.abort()
  process.once('SIGINT', onInt)
  const project = await openProject(folder, defaultAppDataDir(), wait, abort.signal, " (or import from the studio's Import panel)")
  if (typeof project === 'number') {
    process.off('SIGINT', onInt)
    return project
  }
  try {
    await project.index({ signal: abort.signal })
    // The studio's user is who imports (USER, as the other verbs' requests): undo is per actor, and
    // the report promises that the studio's Ctrl+Z undoes this import.
    const { report } = await importLabels(project, { format, source, as, onConflict, dryRun, signal: abort.signal, actor: USER.actor })
    console.log(describeReport(report, dryRun))
    if (report.matched === 0) console.warn(`warning: no row of ${source} matched an image of ${folder}; are the paths relative to this folder?`)
    return 0
  } catch (err) {
    if (abort.signal.aborted) {
      console.error('\ncancelled; nothing was written')
      return 130
    }
    if (err instanceof LabelImportError) {
      console.error(`${err.message}\nNothing was written.`)
      return 2
    }
    console.error((err as Error).message)
    return 1
  } finally {
    process.off('SIGINT', onInt)
    await project.close()
  }
}
