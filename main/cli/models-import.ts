/**
 * `models import <file.onnx> [--id ID] [--output NAME] [--pooling cls|mean] [--size H,W]
 *                [--mean a,b,c --std a,b,c] [--resize crop|squash] [--check-folder DIR] [--dry-run]`
 *
 * Imports any ONNX image model as a teacher: prints what it recognised (image input, embedding
 * candidates, class scores) and the recipe it proposes, checks the recipe on a few images of
 * --check-folder (finite embeddings that differ between images), then saves the manifest in the
 * app's models folder (<appDataDir>/models/<id>.json), where every project finds it.
 * `models` (main/cli/models.ts) passes what follows `models import` here.
 * Exit codes: 0 saved (or checked, with --dry-run), 1 the check failed (a wrong guess: the message
 * says what to change), 2 bad usage, a file that cannot be imported or an id already taken.
 */
import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { defaultAppDataDir } from '../engine/project/locations'
import type { ImportChoices, Inspection } from '../engine/teacher/inspect'
import type { Manifest } from '../engine/teacher/manifest'
import { ImportError, importTeacher, inspectFile, sampleImages, type InspectedFile } from '../engine/teacher/import'
import { installedModelsDir } from '../engine/teacher/manifest'

const USAGE = 'usage: npm run cli -- models import <file.onnx> [--id ID] [--output NAME] [--pooling cls|mean] [--size H,W] [--mean a,b,c --std a,b,c] [--resize crop|squash] [--check-folder DIR] [--dry-run]'

function numbers(s: string, n: number, flag: string): number[] {
  const v = s.split(',').map(Number)
  if (v.length !== n || v.some((x) => !Number.isFinite(x))) throw new Error(`--${flag} needs ${n} comma-separated numbers`)
  return v
}

/** Flags -> choices; throws with the flag at fault. */
function choicesFrom(v: Record<string, string | boolean | undefined>): ImportChoices {
  const c: ImportChoices = {}
  if (typeof v.id === 'string') c.id = v.id
  if (typeof v.output === 'string') c.output = v.output
  if (typeof v.pooling === 'string') {
    if (v.pooling !== 'cls' && v.pooling !== 'mean') throw new Error('--pooling must be cls or mean')
    c.pooling = v.pooling
  }
  if (typeof v.size === 'string') {
    const [h, w] = numbers(v.size, 2, 'size')
    if (!Number.isInteger(h) || !Number.isInteger(w) || (h as number) < 1 || (w as number) < 1) throw new Error('--size needs two positive integers: H,W')
    c.size = [h as number, w as number]
  }
  if (typeof v.mean === 'string') c.mean = numbers(v.mean, 3, 'mean') as [number, number, number]
  if (typeof v.std === 'string') {
    const s = numbers(v.std, 3, 'std')
    if (s.some((x) => x <= 0)) throw new Error('--std values must be > 0')
    c.std = s as [number, number, number]
  }
  if (typeof v.resize === 'string') {
    if (v.resize !== 'crop' && v.resize !== 'squash') throw new Error('--resize must be crop or squash')
    c.resize = v.resize === 'crop' ? 'shorter-side-then-centre-crop' : 'squash'
  }
  return c
}

function describe(inspection: Inspection, m: Manifest): string {
  const lines = ['recognised:', ...inspection.notes.map((n) => `  ${n}`), 'embedding candidates (best first):']
  for (const c of inspection.candidates) lines.push(`  ${c.tensor}${c.dim ? ` (${c.dim}-d)` : ''}: ${c.note}`)
  const p = m.preprocess
  const e = m.outputs.embedding
  lines.push(
    'proposal:',
    `  id ${m.id}; input "${m.input.name}" ${m.input.layout} ${m.input.dtype} ${m.input.size.join('x')}`,
    `  resize ${p.resize}${p.resize === 'squash' ? '' : ` (shorter side to ${p.resizeTo})`}, ${p.interpolation}; mean ${p.mean.join(',')} std ${p.std.join(',')}`,
    `  embedding "${e.tensor}"${e.dequantize ? ' (dequantised)' : ''}${e.pooling ? `, ${e.pooling} pooling` : ''}${m.outputs.scores ? `; scores "${m.outputs.scores.tensor}" (${m.outputs.scores.count} ${m.outputs.scores.kind})` : ''}`,
  )
  return lines.join('\n')
}

export async function importVerb(args: string[]): Promise<number> {
  let file: string, choices: ImportChoices, folder: string | undefined, dryRun: boolean
  try {
    const { values: v, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        id: { type: 'string' },
        output: { type: 'string' },
        pooling: { type: 'string' },
        size: { type: 'string' },
        mean: { type: 'string' },
        std: { type: 'string' },
        resize: { type: 'string' },
        'check-folder': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    })
    if (positionals.length !== 1 || !positionals[0]) throw new Error('one .onnx file is needed')
    file = positionals[0]
    choices = choicesFrom(v)
    folder = v['check-folder']
    dryRun = v['dry-run'] ?? false
    if (!(await stat(file).catch(() => null))?.isFile()) throw new Error(`${file} is not a file`)
    if (folder !== undefined && !(await stat(folder).catch(() => null))?.isDirectory()) throw new Error(`--check-folder: ${folder} is not a folder`)
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  let inspected: InspectedFile
  try {
    inspected = await inspectFile(file, choices, installedModelsDir(defaultAppDataDir()))
    console.log(describe(inspected.inspection, inspected.proposal))
  } catch (err) {
    console.error((err as Error).message)
    return 2
  }
  if (!folder) {
    console.error('--check-folder DIR is needed: the recipe is checked on a few of its images before it is saved')
    return 2
  }
  try {
    const images = await sampleImages(folder)
    const r = await importTeacher(inspected, choices, { modelsDir: installedModelsDir(defaultAppDataDir()), images, dryRun })
    console.log(`checked on ${r.images.length} images: ${r.manifest.outputs.embedding.dim}-d embeddings, finite, differing between images (spread ${r.spread.toPrecision(3)})`)
    console.log(r.saved ? `saved ${r.saved}; use it with --model ${r.manifest.id}` : 'dry run: nothing saved')
    return 0
  } catch (err) {
    if (err instanceof ImportError && err.kind === 'input') {
      console.error(err.message)
      return 2
    }
    console.error(err instanceof ImportError ? `check failed: ${err.message}` : (err as Error).message)
    return 1
  }
}
