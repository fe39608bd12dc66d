/**
 * The text tower of a text-aligned teacher (CLIP, SigLIP, MobileCLIP): class names in words become
 * unit vectors in the image embedding's space, for zero-shot proposals and for the head's prior.
 *
 * Tokenisation reads the model's own tokenizer.json with @huggingface/tokenizers (the maintained
 * port of the Rust library that produced those files), never a hand-written BPE: a tokenizer that
 * differs by one merge rule gives silently different embeddings.
 *
 * The session runs on the CPU: a text tower sees a few dozen short sequences per class list
 * (classes x prompt templates), once, and callers cache the result; a GPU session would cost more
 * to create than the whole run. The app runs it in a worker thread (classTextInWorker).
 */
import { Tokenizer } from '@huggingface/tokenizers'
import * as ort from 'onnxruntime-node'
import type { LoadedManifest, Manifest } from './manifest'
import { ManifestError, defaultModelSearchDirs, loadManifest, readManifestFile } from './manifest'
import { runWorkerJob } from '../worker'
import { l2NormalizeRows, matrix } from '../math/linalg'
import type { ClassText } from '../selftrain/zero-shot'

export type TextSpec = NonNullable<Manifest['text']>

export interface TextTowerOptions {
  searchDirs?: string[]
  /** ORT intra-op threads; 0 lets ORT choose. */
  intraOpThreads?: number
}

/** Reads a file the manifest names, checking its sha256 when the manifest gives one. */
async function readChecked(loaded: LoadedManifest, ref: { path?: string | undefined; url?: string | undefined; sha256?: string | undefined }, what: string, searchDirs: string[]): Promise<Uint8Array> {
  return (await readManifestFile(loaded, ref, what, { searchDirs })).bytes
}

export class TextTower {
  readonly spec: TextSpec
  readonly dim: number
  private readonly padId: number

  private constructor(
    spec: TextSpec,
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    padId: number,
  ) {
    this.spec = spec
    this.dim = spec.output.dim
    this.padId = padId
  }

  /** Loads the manifest's text tower and tokenizer; throws when the manifest has none. */
  static async open(loaded: LoadedManifest, opts: TextTowerOptions = {}): Promise<TextTower> {
    const spec = loaded.manifest.text
    if (!spec) throw new ManifestError(`teacher "${loaded.manifest.id}" has no text tower: classes by name need a text-aligned teacher (CLIP, SigLIP, MobileCLIP)`)
    const dirs = opts.searchDirs ?? defaultModelSearchDirs()
    const [model, tokJson] = await Promise.all([readChecked(loaded, spec.file, 'text tower', dirs), readChecked(loaded, spec.tokenizer, 'tokenizer', dirs)])
    let json: { padding?: { pad_id?: number } | null }
    try {
      json = JSON.parse(new TextDecoder().decode(tokJson)) as typeof json
    } catch (err) {
      throw new ManifestError(`the tokenizer of "${loaded.manifest.id}" is not valid JSON: ${(err as Error).message}`)
    }
    const tokenizer = new Tokenizer(json, {})
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: opts.intraOpThreads ?? 0, interOpNumThreads: 1 })
    for (const name of [spec.inputs.ids, ...(spec.inputs.attentionMask ? [spec.inputs.attentionMask] : [])]) {
      if (!session.inputNames.includes(name)) throw new ManifestError(`manifest text.inputs: the text tower has no input "${name}" (its inputs: ${session.inputNames.join(', ')})`)
    }
    if (!session.outputNames.includes(spec.output.tensor)) throw new ManifestError(`manifest text.output.tensor: the text tower has no output "${spec.output.tensor}" (its outputs: ${session.outputNames.join(', ')})`)
    return new TextTower(spec, session, tokenizer, spec.padId ?? json.padding?.pad_id ?? 0)
  }

  /**
   * Token ids and attention mask, n x maxLength each, padded with the pad id. A sequence longer
   * than maxLength keeps its first maxLength - 1 tokens and its last one: the end token, where
   * CLIP-style towers read the sentence's embedding.
   */
  tokenize(texts: string[]): { ids: BigInt64Array; mask: BigInt64Array } {
    const L = this.spec.maxLength
    const ids = new BigInt64Array(texts.length * L).fill(BigInt(this.padId))
    const mask = new BigInt64Array(texts.length * L)
    texts.forEach((t, i) => {
      let seq = this.tokenizer.encode(t).ids
      if (seq.length > L) seq = [...seq.slice(0, L - 1), seq[seq.length - 1]!]
      seq.forEach((id, j) => {
        ids[i * L + j] = BigInt(id)
        mask[i * L + j] = 1n
      })
    })
    return { ids, mask }
  }

  /** One unit vector per text, n x dim, in the image tower's space. */
  async embedTexts(texts: string[]): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim)
    // Batches of 16: a few forward passes for a class list; a tower exported with a fixed batch of
    // one (some are) is run one text at a time when the batch is refused.
    for (let s = 0; s < texts.length; s += 16) {
      const batch = texts.slice(s, s + 16)
      let rows: Float32Array
      try {
        rows = await this.run(batch)
      } catch (err) {
        if (batch.length === 1) throw err
        rows = new Float32Array(batch.length * this.dim)
        for (let i = 0; i < batch.length; i++) rows.set(await this.run([batch[i]!]), i * this.dim)
      }
      out.set(rows, s * this.dim)
    }
    return l2NormalizeRows(matrix(texts.length, this.dim, out)).data
  }

  private async run(texts: string[]): Promise<Float32Array> {
    const n = texts.length
    const L = this.spec.maxLength
    const { ids, mask } = this.tokenize(texts)
    const feeds: Record<string, ort.Tensor> = { [this.spec.inputs.ids]: new ort.Tensor('int64', ids, [n, L]) }
    if (this.spec.inputs.attentionMask) feeds[this.spec.inputs.attentionMask] = new ort.Tensor('int64', mask, [n, L])
    const res = await this.session.run(feeds, [this.spec.output.tensor])
    const t = res[this.spec.output.tensor]!
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>)
    return poolText(data, n, L, this.dim, this.spec.output.pooling, mask)
  }

  /**
   * The text direction of each class, k x dim: every prompt template filled with the class name,
   * embedded and normalised, averaged over the templates and normalised again (the prompt
   * ensembling of Radford et al. 2021). `{}` in a template stands for the name.
   */
  async classTextEmbeddings(names: string[], prompts?: string[]): Promise<Float32Array> {
    // none or empty: the manifest's own templates
    const templates = prompts?.length ? prompts : this.spec.prompts
    const texts = names.flatMap((name) => templates.map((p) => p.replaceAll('{}', name)))
    const e = await this.embedTexts(texts)
    const P = templates.length
    const T = new Float32Array(names.length * this.dim)
    for (let c = 0; c < names.length; c++) {
      for (let p = 0; p < P; p++) for (let j = 0; j < this.dim; j++) T[c * this.dim + j] = T[c * this.dim + j]! + e[(c * P + p) * this.dim + j]!
    }
    return l2NormalizeRows(matrix(names.length, this.dim, T)).data
  }

  async close(): Promise<void> {
    await this.session.release()
  }
}

/**
 * [n, dim] as is; a token sequence [n, L, dim] pooled as the manifest says: the first token, or the
 * mean over the tokens the attention mask keeps (padding must not pull the mean).
 */
function poolText(data: Float32Array, n: number, L: number, dim: number, pooling: 'cls' | 'mean' | undefined, mask: BigInt64Array): Float32Array {
  if (data.length === n * dim) return Float32Array.from(data)
  if (data.length !== n * L * dim) throw new ManifestError(`manifest text.output.dim is ${dim} but the text tower gives ${data.length / n} values per text`)
  if (!pooling) throw new ManifestError(`the text tower gives a token sequence [${n}, ${L}, ${dim}]; set text.output.pooling to cls or mean`)
  const out = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) {
    if (pooling === 'cls') {
      out.set(data.subarray(i * L * dim, i * L * dim + dim), i * dim)
      continue
    }
    let count = 0
    for (let t = 0; t < L; t++) {
      if (mask[i * L + t] === 0n) continue
      count++
      for (let j = 0; j < dim; j++) out[i * dim + j] = out[i * dim + j]! + data[(i * L + t) * dim + j]!
    }
    for (let j = 0; j < dim; j++) out[i * dim + j] = out[i * dim + j]! / Math.max(1, count)
  }
  return out
}

/** What text-worker.ts is asked: the class names through a manifest's text tower. */
export interface TextJob {
  loaded: LoadedManifest
  names: string[]
  prompts: string[]
  searchDirs: string[]
}

/**
 * classTextEmbeddings in a worker thread (text-worker.ts), so that loading and running the tower
 * never blocks the caller's event loop; k x dim unit rows.
 */
export async function classTextInWorker(loaded: LoadedManifest, names: string[], prompts: string[], opts: { searchDirs?: string[]; signal?: AbortSignal } = {}): Promise<Float32Array> {
  const job: TextJob = { loaded, names, prompts, searchDirs: opts.searchDirs ?? defaultModelSearchDirs() }
  return runWorkerJob<Float32Array>('text-worker', import.meta.url, job, opts.signal ? { signal: opts.signal } : {})
}

const classTextCache = new Map<string, Promise<ClassText>>()

/**
 * The class text directions a round (or the eval CLI) uses with a text-aligned teacher: k x dim unit
 * rows, one per class name, or null when the teacher has no text tower. `teacher`: its id, looked
 * up in `searchDirs` (give defaultModelSearchDirs(appDataDir), so that a downloaded or imported
 * teacher is found in the app's models folder), or its manifest already loaded. `prompts`: the
 * user's templates; null or empty keeps the manifest's own. Run in a worker thread and kept in
 * memory per (teacher, its text files, settings, prompts, names): the names change rarely between
 * rounds, and loading a text tower costs about a second.
 */
export async function classTextFor(teacher: string | LoadedManifest, names: string[], prompts: string[] | null, opts: { searchDirs?: string[] } = {}): Promise<ClassText | null> {
  const searchDirs = opts.searchDirs ?? defaultModelSearchDirs()
  const loaded = typeof teacher === 'string' ? await loadManifest(teacher, searchDirs) : teacher
  const spec = loaded.manifest.text
  if (!spec) return null
  const templates = prompts?.length ? prompts : spec.prompts
  const key = JSON.stringify([loaded.manifest.id, loaded.file, searchDirs, spec.file.sha256, spec.tokenizer.sha256, spec.maxLength, spec.logitScale, templates, names])
  let hit = classTextCache.get(key)
  if (!hit) {
    hit = classTextInWorker(loaded, names, templates, { searchDirs }).then((T) => ({ T: matrix(names.length, spec.output.dim, T), logitScale: spec.logitScale }))
    classTextCache.set(key, hit)
    // a failure (a missing file) is not kept: the next call tries again
    hit.catch(() => classTextCache.delete(key))
  }
  return hit
}
