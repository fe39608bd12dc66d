/**
 * Teacher manifests: how to feed an ONNX file and which tensors are its embedding and scores.
 * Models are data: adding a teacher is a JSON file in models/, no code.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { TEACHER_USES } from '../../../preload/vocabulary'
import { APP_ROOT } from '../paths'
import { exists } from '../files'
import { z } from 'zod'

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (a sha256)')
const triple = z.tuple([z.number(), z.number(), z.number()])

/**
 * A file a manifest needs (the model, a text tower): on disk, or downloadable. Its sha256 is checked
 * before first use, and names the embedding cache. Model files on the usual hosts are stored with
 * their sha256 published (a Git LFS object id is the file's sha256).
 */
const fileFields = {
  /** A local path, relative to the manifest's folder or to one of the model folders searched. */
  path: z.string().min(1).optional(),
  /** Where the file can be downloaded from when it is not on disk (revision-pinned). */
  url: z.url().optional(),
  sha256: sha256Hex,
  bytes: z.number().int().positive().optional(),
}
const hasPathOrUrl = [(f: { path?: string; url?: string }) => f.path !== undefined || f.url !== undefined, { message: 'needs a path or a url' }] as const
const fileRef = z.object(fileFields).refine(...hasPathOrUrl)
/** A small file kept in git beside the model (a tokenizer.json), whose publisher gives no sha256: the first download pins it. */
const smallFileRef = z.object({ ...fileFields, sha256: sha256Hex.optional() }).refine(...hasPathOrUrl)

/** How a token sequence [N, T, D] becomes one vector per image or text: the first (CLS) token, or the mean over tokens. */
const pooling = z.enum(['cls', 'mean'])

export const ManifestSchema = z
  .object({
    /** Stable id used by --model and in the catalog. */
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash, underscore'),
    name: z.string().min(1),
    description: z.string().optional(),
    licence: z.string().optional(),
    /** Where the file comes from, for people: the publisher's page. */
    source: z.string().optional(),
    /** What the teacher is good at, in a sentence (shown in the catalog). */
    goodAt: z.string().optional(),
    file: fileRef,
    input: z.object({
      name: z.string().min(1),
      layout: z.enum(['NCHW', 'NHWC']),
      /** [height, width] the model takes. */
      size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
      dtype: z.enum(['float32', 'float16', 'uint8']),
    }),
    preprocess: z.object({
      /** shorter-side-then-centre-crop: scale the shorter side to `resizeTo`, then crop input.size from the centre. squash: scale straight to input.size. */
      resize: z.enum(['shorter-side-then-centre-crop', 'squash']),
      resizeTo: z.number().int().positive().optional(),
      interpolation: z.enum(['bilinear', 'bicubic', 'nearest', 'lanczos3']).default('bilinear'),
      /** EXIF orientation is applied before anything else unless this is false. */
      exifRotate: z.boolean().default(true),
      colour: z.enum(['RGB', 'BGR']),
      /** value = (pixel * scale - mean) / std, per channel in `colour` order. Ignored for uint8 input. */
      scale: z.number().positive(),
      mean: triple,
      std: triple.refine((s) => s.every((v) => v > 0), 'every std must be > 0'),
    }),
    outputs: z.object({
      embedding: z.object({
        /** A graph output or any tensor inside the graph; an internal tensor is exposed as an output. */
        tensor: z.string().min(1),
        /** For a quantised tensor: the scale and zero-point tensors to DequantizeLinear with. */
        dequantize: z.object({ scale: z.string().min(1), zeroPoint: z.string().min(1) }).optional(),
        dim: z.number().int().positive(),
        /** For a token-sequence output [N, T, D]: how to pool it to [N, D]. Absent for [N, D] and [N, D, 1, 1] outputs. */
        pooling: pooling.optional(),
      }),
      scores: z
        .object({
          tensor: z.string().min(1),
          kind: z.enum(['logits', 'probabilities']),
          count: z.number().int().positive(),
          /** Class names in output order; optional because not every model ships them. */
          classes: z.array(z.string()).optional(),
        })
        .refine((s) => s.classes === undefined || s.classes.length === s.count, { message: 'classes must have `count` names', path: ['classes'] })
        .optional(),
    }),
    /**
     * The text tower of a text-aligned teacher (CLIP, SigLIP, MobileCLIP): class names in words
     * become vectors in the image embedding's space (zero-shot proposals, a prior for the head).
     */
    text: z
      .object({
        file: fileRef,
        /** The model's own tokenizer.json (Hugging Face tokenizers format). */
        tokenizer: smallFileRef,
        inputs: z.object({
          /** Token ids, int64 [N, maxLength]. */
          ids: z.string().min(1),
          /** Attention mask, int64 [N, maxLength], where the model takes one. */
          attentionMask: z.string().min(1).optional(),
        }),
        /** Sequences are padded or cut to this many tokens. */
        maxLength: z.number().int().positive(),
        /** The id that pads a sequence; absent: tokenizer.json's padding.pad_id, else 0 (CLIP's towers pool at the end token, so the pad id does not change the embedding). */
        padId: z.number().int().min(0).optional(),
        output: z.object({
          tensor: z.string().min(1),
          /** Must equal outputs.embedding.dim: both towers share one space. */
          dim: z.number().int().positive(),
          pooling: pooling.optional(),
        }),
        /** Prompt templates, `{}` standing for the class name; their text embeddings are averaged. */
        prompts: z.array(z.string().includes('{}')).min(1).default(['a photo of a {}.']),
        /** The model's logit scale (CLIP: 100): cosine similarities times this are the zero-shot logits. */
        logitScale: z.number().positive().default(100),
      })
      .optional(),
  })
  .refine((m) => m.text === undefined || m.text.output.dim === m.outputs.embedding.dim, {
    message: 'text.output.dim must equal outputs.embedding.dim (the towers share one space)',
    path: ['text', 'output', 'dim'],
  })
  .refine((m) => m.preprocess.resize !== 'shorter-side-then-centre-crop' || (m.preprocess.resizeTo ?? 0) >= Math.min(...m.input.size), {
    message: 'shorter-side-then-centre-crop needs resizeTo >= the smaller of input.size',
    path: ['preprocess', 'resizeTo'],
  })

export type Manifest = z.infer<typeof ManifestSchema>

/** The repository's models/ folder (manifests and catalog). */
export const BUILTIN_MODELS_DIR = path.join(APP_ROOT, 'models')

/** The app's own models folder: teachers downloaded or imported, shared by every project. */
export function installedModelsDir(appDataDir: string): string {
  return path.join(appDataDir, 'models')
}

/**
 * Where manifests and model files are looked for, in order (after a manifest's own folder): the
 * app's models folder when `appDataDir` is given, first because an installed copy of a manifest
 * names the files it downloaded (the manifest it came from names them only by URL); then
 * STUDIO_MODELS_DIR; then models/.
 */
export function defaultModelSearchDirs(appDataDir?: string): string[] {
  const dirs: string[] = []
  if (appDataDir) dirs.push(installedModelsDir(appDataDir))
  if (process.env.STUDIO_MODELS_DIR) dirs.push(...process.env.STUDIO_MODELS_DIR.split(path.delimiter).filter(Boolean))
  // The default teacher ships here, so a fresh install runs offline.
  dirs.push(BUILTIN_MODELS_DIR)
  return dirs
}

export class ManifestError extends Error {
  override name = 'ManifestError'
}

/** Validates parsed JSON; the error lists every bad field by its dotted path. */
export function parseManifest(json: unknown, source = 'manifest'): Manifest {
  const r = ManifestSchema.safeParse(json)
  if (r.success) return r.data
  const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
  throw new ManifestError(`${source} is not a valid teacher manifest:\n${lines.join('\n')}`)
}

export interface LoadedManifest {
  manifest: Manifest
  /** The manifest file, or undefined for a built-in one passed as an object. */
  file?: string
}

/**
 * Loads a manifest by id (models/<id>.json or any STUDIO_MODELS_DIR) or by a path to a .json file.
 */
export async function loadManifest(idOrPath: string, searchDirs = defaultModelSearchDirs()): Promise<LoadedManifest> {
  const candidates = idOrPath.endsWith('.json') ? [path.resolve(idOrPath)] : searchDirs.map((d) => path.join(d, `${idOrPath}.json`))
  for (const file of candidates) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      continue
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new ManifestError(`${file} is not valid JSON: ${(err as Error).message}`)
    }
    return { manifest: parseManifest(json, file), file }
  }
  throw new ManifestError(`no teacher manifest "${idOrPath}" (looked in ${candidates.join(', ')})`)
}

const CatalogSchema = z.object({
  teachers: z.array(
    z.object({
      /** A manifest in models/ (models/<id>.json) says how to download and run it. */
      id: z.string(),
      name: z.string(),
      default: z.boolean().optional(),
      /** The uses the studio suggests this teacher for, with why. */
      suggestedFor: z.array(z.enum(TEACHER_USES)).default([]),
      why: z.string().optional(),
    }),
  ),
})
export type CatalogEntry = z.infer<typeof CatalogSchema>['teachers'][number]

/** The catalog of teachers the studio knows about (models/catalog.json). */
export async function listCatalog(): Promise<CatalogEntry[]> {
  const text = await readFile(path.join(BUILTIN_MODELS_DIR, 'catalog.json'), 'utf8')
  return CatalogSchema.parse(JSON.parse(text)).teachers
}

/**
 * Finds the ONNX file: an explicit override wins (the user pointed at a file), then file.path
 * relative to the manifest's folder, then each search folder. Returns undefined when not on disk.
 */
export async function resolveModelFile(loaded: LoadedManifest, searchDirs = defaultModelSearchDirs(), override?: string): Promise<string | undefined> {
  return resolveManifestFile(loaded, loaded.manifest.file, searchDirs, override)
}

/**
 * Finds any file a manifest names (the model, the text tower, its tokenizer.json) the same way:
 * the override, then `ref.path` beside the manifest, then each search folder.
 */
export async function resolveManifestFile(loaded: LoadedManifest, ref: { path?: string | undefined }, searchDirs = defaultModelSearchDirs(), override?: string): Promise<string | undefined> {
  if (override) return path.resolve(override)
  const rel = ref.path
  if (!rel) return undefined
  if (path.isAbsolute(rel)) return (await exists(rel)) ? rel : undefined
  const dirs = [...(loaded.file ? [path.dirname(loaded.file)] : []), ...searchDirs]
  for (const d of dirs) {
    const p = path.join(d, rel)
    if (await exists(p)) return p
  }
  return undefined
}


/** A file the manifest names, read and checked (ManifestFileOptions). */
export interface ManifestFileOptions {
  searchDirs: string[]
  /** A file the user pointed at, used instead of the manifest's path. */
  override?: string
  /** The ref's manifest field, for the messages ("file": "manifest file.path"); none: "manifest path". */
  field?: string
  /** Said after "not found (...)". */
  hint?: string
}

/**
 * Finds a file the manifest names (resolveManifestFile), reads it and checks its sha256 when the
 * manifest gives one; `what` names it in the errors ("model file", "text tower"). A file that
 * cannot be read throws the file system's error.
 */
export async function readManifestFile(loaded: LoadedManifest, ref: { path?: string | undefined; url?: string | undefined; sha256?: string | undefined }, what: string, opts: ManifestFileOptions): Promise<{ file: string; bytes: Uint8Array; sha256: string }> {
  const file = await resolveManifestFile(loaded, ref, opts.searchDirs, opts.override)
  const field = opts.field ? `${opts.field}.` : ''
  if (!file) throw new ManifestError(`${what} for "${loaded.manifest.id}" not found (manifest ${field}path ${ref.path ?? '(none)'}${ref.url ? `; download it from ${ref.url}` : ''})${opts.hint ?? ''}`)
  const bytes = await readFile(file)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (ref.sha256 !== undefined && sha256 !== ref.sha256) throw new ManifestError(`${what} ${file} has sha256 ${sha256}, but ${opts.field ? `manifest ${field}sha256 is` : 'the manifest says'} ${ref.sha256}: a different or damaged file`)
  return { file, bytes, sha256 }
}

/** Every valid teacher manifest in the search folders, by id; the first folder that has an id wins. */
export async function findManifests(searchDirs = defaultModelSearchDirs()): Promise<Map<string, LoadedManifest>> {
  const found = new Map<string, LoadedManifest>()
  for (const dir of searchDirs) {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      continue
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || name === 'catalog.json') continue
      try {
        const loaded = await loadManifest(path.join(dir, name))
        if (!found.has(loaded.manifest.id)) found.set(loaded.manifest.id, loaded)
      } catch {
        // not a teacher manifest (or a broken one: loading it as the teacher says why)
      }
    }
  }
  return found
}
