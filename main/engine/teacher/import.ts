/**
 * Importing an ONNX file as a teacher: inspect it (inspect.ts), run the proposed manifest on a few
 * images to check it, and save the manifest where every project finds it. The CLI verb and the
 * Settings wizard both come here, so they recognise, check and save the same way.
 */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { walk } from '../library/indexer'
import { exists } from '../files'
import type { ImportChoices, Inspection } from './inspect'
import { inspectGraph, proposeManifest } from './inspect'
import type { Manifest } from './manifest'
import { BUILTIN_MODELS_DIR, parseManifest } from './manifest'
import { summarize } from './onnx-graph'
import { decodeInto } from './preprocess'
import { Teacher } from './teacher'
import type { ProviderSetting } from '../../../preload/vocabulary'

/** A wrong guess or a file that cannot be imported; the message says what to change. */
export class ImportError extends Error {
  override name = 'ImportError'
  /** 'input': the file or a choice cannot be used (the CLI's exit 2); 'check': the run refuted the recipe (exit 1). */
  constructor(message: string, readonly kind: 'input' | 'check' = 'check') {
    super(message)
  }
}

export interface InspectedFile {
  file: { path: string; sha256: string; bytes: number }
  inspection: Inspection
  /** The manifest proposed with no choices made. */
  proposal: Manifest
}

/**
 * Reads and inspects an ONNX file; the proposal is what import would save if nothing is changed.
 * With `modelsDir`, its id is one no saved or shipped teacher has (a chosen id that is taken is refused).
 */
export async function inspectFile(file: string, choices: ImportChoices = {}, modelsDir?: string): Promise<InspectedFile> {
  const abs = path.resolve(file)
  let bytes: Uint8Array
  try {
    bytes = await readFile(abs)
  } catch (err) {
    throw new ImportError(`cannot read ${abs}: ${(err as Error).message}`, 'input')
  }
  let inspection: Inspection
  try {
    inspection = inspectGraph(summarize(bytes))
  } catch (err) {
    throw new ImportError(`${abs}: ${(err as Error).message}`, 'input')
  }
  const ref = { path: abs, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }
  if (!inspection.image || !inspection.candidates.length || inspection.problems.length) throw new ImportError(`${abs} cannot be imported: ${inspection.problems.join('; ')}`, 'input')
  const proposal = proposeManifest(inspection, ref, choices)
  if (modelsDir) proposal.id = await freeId(proposal.id, modelsDir, choices.id !== undefined)
  return { file: ref, inspection, proposal }
}

export interface CheckResult {
  /** The manifest with the embedding width (and score count) the run measured. */
  manifest: Manifest
  images: string[]
  /** images x dim, row-major. */
  embeddings: Float32Array
  /** The largest difference between two images' embeddings, relative to the values' scale. */
  spread: number
}

/** Up to `n` items spread over a sorted list: images of one class folder alone say little. */
export function spreadSample<T>(sorted: readonly T[], n = 8): T[] {
  if (sorted.length <= n) return [...sorted]
  return Array.from({ length: n }, (_, i) => sorted[Math.floor((i * sorted.length) / n)] as T)
}

/** Up to `n` images of a folder, spread over its sorted listing. */
export async function sampleImages(folder: string, n = 8): Promise<string[]> {
  return spreadSample((await walk(folder)).files.map((f) => path.join(folder, f.rel)).sort(), n)
}

/** Below this relative spread every image gets the same vector: not an image feature. */
const CONSTANT_SPREAD = 1e-6

/**
 * Runs `manifest` on `images` and checks the embeddings: the model runs, the vectors are finite,
 * they differ between images, and they are as wide as the graph said. Throws ImportError with what
 * to change otherwise.
 */
export async function checkOnImages(manifest: Manifest, images: string[], opts: { provider?: ProviderSetting; cacheDir?: string } = {}): Promise<CheckResult> {
  if (!images.length) throw new ImportError('no images to check the recipe on: open a project (or pass --check-folder) with a few images')
  const [H, W] = manifest.input.size
  const pixels = new Uint8Array(images.length * H * W * 3)
  const used: string[] = []
  for (const img of images) {
    try {
      await decodeInto(img, manifest.preprocess, manifest.input.size, pixels, used.length * H * W * 3)
      used.push(img)
    } catch {
      // an unreadable file does not say anything about the model: check on the others
    }
  }
  if (!used.length) throw new ImportError(`none of the ${images.length} images could be decoded`)
  // Made only now, right before the try that removes it: a check that fails earlier leaves nothing behind.
  const tmp = opts.cacheDir ?? (await mkdtemp(path.join(os.tmpdir(), 'pls-import-')))
  let teacher: Teacher | undefined
  try {
    try {
      // A few images: the CPU answers at once, where a GPU provider would first spend seconds starting.
      teacher = await Teacher.open({ manifest }, { cacheDir: tmp, provider: opts.provider ?? 'cpu', reportNodes: false, intraOpThreads: 1 })
    } catch (err) {
      throw new ImportError(`the model does not load with this recipe: ${(err as Error).message}`)
    }
    let raw: Awaited<ReturnType<Teacher['inferRaw']>>
    try {
      raw = await teacher.inferRaw(pixels.slice(0, used.length * H * W * 3), used.length)
    } catch (err) {
      // A fixed batch is not the cause: inferRaw runs such a graph in padded chunks of its batch.
      throw new ImportError(`the model does not run with this recipe: ${(err as Error).message}. Check the input size and layout, and the output`)
    }
    return measure(manifest, used, raw)
  } finally {
    await teacher?.close()
    if (!opts.cacheDir) await rm(tmp, { recursive: true, force: true })
  }
}

function measure(manifest: Manifest, images: string[], raw: Awaited<ReturnType<Teacher['inferRaw']>>): CheckResult {
  const n = images.length
  const e = raw.embedding.data
  const dim = e.length / n
  const out = `output "${manifest.outputs.embedding.tensor}"`
  if (!Number.isInteger(dim) || dim < 1) throw new ImportError(`${out} gives ${e.length} values for ${n} images: not one vector per image; pick another output`)
  // 1 is the proposal's "not known from the graph" (see proposeManifest): only a width the graph gave is held to.
  const expected = manifest.outputs.embedding.dim
  if (expected > 1 && expected !== dim) {
    throw new ImportError(`${out} gives ${dim} values per image where the graph says ${expected}${raw.embedding.dims.length > 2 ? ` (shape [${raw.embedding.dims.join(', ')}])` : ''}; pick another output or pooling`)
  }
  let bad = 0
  let scale = 0
  for (const v of e) {
    if (!Number.isFinite(v)) bad++
    else scale = Math.max(scale, Math.abs(v))
  }
  if (bad) throw new ImportError(`${out} gives ${bad} values that are NaN or infinite: the input dtype or normalisation is probably wrong (try another mean/std), or the output is not a feature`)
  let spread = 0
  for (let i = 1; i < n; i++) for (let j = 0; j < dim; j++) spread = Math.max(spread, Math.abs((e[i * dim + j] as number) - (e[j] as number)))
  spread = scale > 0 ? spread / scale : 0
  if (n > 1 && spread < CONSTANT_SPREAD) {
    throw new ImportError(`embeddings are identical for every image (${n} images checked): ${out} is probably not an image feature; pick another output`)
  }
  let m: Manifest = { ...manifest, outputs: { ...manifest.outputs, embedding: { ...manifest.outputs.embedding, dim } } }
  const sc = m.outputs.scores
  if (sc && raw.scores) m = { ...m, outputs: { ...m.outputs, scores: { ...sc, count: raw.scores.data.length / n } } }
  return { manifest: parseManifest(m, 'the imported manifest'), images, embeddings: e, spread }
}


/** An id not taken by a saved or shipped teacher: `want` itself when it was chosen, else want-2, want-3, ... */
async function freeId(want: string, modelsDir: string, chosen: boolean): Promise<string> {
  const taken = async (id: string) => (await exists(path.join(modelsDir, `${id}.json`))) || (await exists(path.join(BUILTIN_MODELS_DIR, `${id}.json`)))
  if (!(await taken(want))) return want
  if (chosen) throw new ImportError(`a teacher "${want}" already exists; pick another id`, 'input')
  for (let i = 2; ; i++) if (!(await taken(`${want}-${i}`))) return `${want}-${i}`
}

export interface ImportOptions {
  /** Where manifests are saved (installedModelsDir(appDataDir), manifest.ts). */
  modelsDir: string
  /** The images the recipe is checked on. */
  images: string[]
  provider?: ProviderSetting
  /** Check but do not save. */
  dryRun?: boolean
}

export interface ImportResult extends CheckResult {
  /** Where the manifest was saved (undefined for a dry run). */
  saved?: string
  inspection: Inspection
}

/**
 * Inspect (unless `file` is inspectFile's answer already), propose with `choices`, check on the images, save `<modelsDir>/<id>.json`. The model file
 * stays where it is (no second copy of a large file); its sha256 is checked before each use.
 */
export async function importTeacher(file: string | InspectedFile, choices: ImportChoices, opts: ImportOptions): Promise<ImportResult> {
  // A file already inspected (with these choices and this modelsDir) is not read and hashed again.
  const { inspection, proposal } = typeof file === 'string' ? await inspectFile(file, choices, opts.modelsDir) : file
  const checked = await checkOnImages(proposal, opts.images, opts.provider ? { provider: opts.provider } : {})
  if (opts.dryRun) return { ...checked, inspection }
  await mkdir(opts.modelsDir, { recursive: true })
  const saved = path.join(opts.modelsDir, `${proposal.id}.json`)
  await writeFile(saved, `${JSON.stringify(checked.manifest, null, 2)}\n`, { flag: 'wx' })
  return { ...checked, inspection, saved }
}
