/**
 * `export <folder> --format csv|json|coco|yolo|folders|onnx --out <path> [--scope reviewed|with-proposals]
 *         [--link] [--val 0.2] [--seed N]`
 *
 * Exports a project's labels (or, with onnx, the latest round's student model) without a window.
 * The folder is the image folder the studio opened; its labels come from the same project data.
 * `--out` must not exist: the export is built beside it and renamed into place when whole.
 * csv, json and coco name who decided each label (decided_by); yolo and folders cannot.
 * Exit codes: 0 done, 1 failure while working (disk full, a file gone, no round for onnx),
 * 2 bad usage or bad input (unknown option or format, no such folder, --out exists), 75 the
 * project is open in the studio or another process (--wait SECONDS waits for it), 130 cancelled.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { defaultAppDataDir } from '../engine/project/locations'
import { exportLabels, isFolderFormat } from '../engine/exchange/export'
import { LABEL_FORMATS, type ExportScope, type LabelFormat } from '../../preload/vocabulary'
import { exportStudent } from '../engine/exchange/student'
import { defaultModelSearchDirs } from '../engine/teacher/manifest'
import { openProject } from './session'
import { loadSettings } from '../app/settings'

const FORMATS = [...LABEL_FORMATS, 'onnx'] as const
const USAGE = `usage: npm run cli -- export <folder> --format ${FORMATS.join('|')} --out <path> [--scope reviewed|with-proposals] [--link] [--val 0.2] [--seed N] [--wait SECONDS]
  who decided each label (the reviewer, or "round N" for a proposal) is the decided_by column of csv and
  json and the "decided_by" of each coco annotation; yolo and folders have no place for it in their layout`

export async function run(args: string[]): Promise<number> {
  let folder: string, format: (typeof FORMATS)[number], out: string, scope: ExportScope, valRatio: number, seed: number, link: boolean, wait: number
  try {
    const { values: v, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        out: { type: 'string' },
        scope: { type: 'string', default: 'reviewed' },
        link: { type: 'boolean', default: false },
        val: { type: 'string', default: '0.2' },
        seed: { type: 'string', default: '0' },
        wait: { type: 'string', default: '0' },
      },
    })
    if (positionals.length !== 1) throw new Error('one folder is needed')
    folder = path.resolve(positionals[0]!)
    if (!(FORMATS as readonly string[]).includes(v.format ?? '')) throw new Error(`--format must be one of ${FORMATS.join(', ')}`)
    format = v.format as (typeof FORMATS)[number]
    if (!v.out) throw new Error('--out <path> is needed: the file or folder to create')
    out = path.resolve(v.out)
    if (v.scope !== 'reviewed' && v.scope !== 'with-proposals') throw new Error('--scope must be reviewed or with-proposals')
    scope = v.scope
    valRatio = Number(v.val)
    if (!(valRatio >= 0 && valRatio <= 0.9)) throw new Error('--val must be a number from 0 to 0.9 (the share of each class in val/)')
    seed = Number(v.seed)
    if (!Number.isInteger(seed)) throw new Error('--seed must be an integer')
    link = v.link ?? false
    wait = Number(v.wait)
    if (!(wait >= 0 && Number.isFinite(wait))) throw new Error(`--wait must be a number of seconds >= 0, not "${v.wait}"`)
    if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new Error(`${folder} is not a folder`)
    if (await stat(out).catch(() => null)) throw new Error(`${out} already exists; choose a path that does not (an export never overwrites)`)
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }

  const appDataDir = defaultAppDataDir()
  const abort = new AbortController()
  const onInt = () => abort.abort()
  process.once('SIGINT', onInt)
  const project = await openProject(folder, appDataDir, wait, abort.signal)
  if (typeof project === 'number') {
    process.off('SIGINT', onInt)
    return project
  }
  try {
    await project.index({ signal: abort.signal })
    if (format === 'onnx') {
      const settings = await loadSettings(appDataDir)
      const s = await exportStudent(project, out, { teacher: settings.teacher, searchDirs: defaultModelSearchDirs(appDataDir) })
      console.log(`student of round ${s.roundId} (${s.classes.join(', ')}): ${(s.bytes / 1e6).toFixed(1)} MB written to ${s.path}`)
      return 0
    }
    const tty = process.stderr.isTTY
    const r = await exportLabels(project, {
      format: format as LabelFormat,
      scope,
      dest: out,
      mode: link ? 'link' : 'copy',
      valRatio,
      seed,
      signal: abort.signal,
      ...(tty ? { onProgress: (done: number, total: number) => process.stderr.write(`\rplacing images: ${done} of ${total}`) } : {}),
    })
    if (tty && isFolderFormat(format as LabelFormat)) process.stderr.write('\n')
    const placed = isFolderFormat(format as LabelFormat) ? ` (${r.linked} linked, ${r.copied} copied)` : ''
    console.log(`${r.rows} labels (${scope}) written to ${r.path}${placed}`)
    if (r.rows === 0) console.warn(`warning: ${folder} has no ${scope === 'reviewed' ? 'reviewed ' : ''}labels yet; label images in the studio first`)
    for (const w of r.warnings) console.warn(`warning: ${w}`)
    return 0
  } catch (err) {
    if (abort.signal.aborted) {
      console.error('\ncancelled; nothing was left half-written')
      return 130
    }
    console.error((err as Error).message)
    return 1
  } finally {
    process.off('SIGINT', onInt)
    await project.close()
  }
}
