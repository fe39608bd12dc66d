/**
 * Turns a manifest + ONNX file into the model the teacher runs: checked against the manifest,
 * with the embedding exposed as an output and the preprocessing (uint8 NHWC pixels -> the model's
 * input) moved into the graph, so JavaScript only copies bytes. Edited models are cached by the
 * source's sha256.
 */
import { createHash, randomUUID } from 'node:crypto'
import { DECODE_VERSION } from './preprocess'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { LoadedManifest, Manifest } from './manifest'
import { ManifestError, defaultModelSearchDirs, readManifestFile } from './manifest'
import type { GraphEdit, GraphSummary, NewNode } from './onnx-graph'
import { DataType, OnnxError, editGraph, float32Tensor, hasTensor, int64Tensor, summarize } from './onnx-graph'

/**
 * Bump when the edit or the decoder changes, so caches keyed on it are rebuilt. Pooling and a
 * float16 input are named by the manifest's `embedding` and `input`, which the hash covers.
 * 2: the normalisation is one BatchNormalization instead of Mul and Add.
 */
const EDIT_VERSION = 2

/** Names of what the edited model takes and gives. */
export const PIXELS = '__pls_pixels'
export const EMBEDDING = '__pls_embedding'
/** The scores of a float16 model, cast to float32. */
const SCORES = '__pls_scores'

export interface PreparedModel {
  /** sha256 of the source ONNX file. */
  modelSha256: string
  /** Hash of everything that shapes an embedding besides the weights: input, preprocessing, outputs. */
  preprocessHash: string
  /** The edited model (uint8 [N,H,W,3] RGB in, EMBEDDING and scores out). */
  bytes: Uint8Array
  editedPath: string
  sourcePath: string
  /** Output name of the scores, when the manifest has them. */
  scoresOutput?: string
  /** The images one run takes at most: the input's batch size when the graph fixes it (some exports fix 1), else null. */
  maxBatch: number | null
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')

/** What determines the embedding apart from the weights; changing any of it needs a new cache. */
export function preprocessHashOf(m: Manifest): string {
  return sha256(JSON.stringify({ v: EDIT_VERSION, decode: DECODE_VERSION, input: m.input, preprocess: m.preprocess, embedding: m.outputs.embedding, scores: m.outputs.scores?.tensor ?? null }))
}

const fmtShape = (s: (number | string | null)[] | undefined) => (s ? `[${s.map((d) => d ?? '?').join(',')}]` : '(unknown shape)')

/** Checks the manifest against the graph; every message names the manifest field at fault. */
export function checkAgainstGraph(m: Manifest, g: GraphSummary): void {
  const input = g.inputs.find((i) => i.name === m.input.name)
  if (!input) throw new ManifestError(`manifest input.name: the model has no input "${m.input.name}" (its inputs: ${g.inputs.map((i) => i.name).join(', ')})`)
  if (input.dtype && input.dtype !== m.input.dtype) throw new ManifestError(`manifest input.dtype is ${m.input.dtype} but the model's input "${input.name}" is ${input.dtype}`)
  const s = input.shape
  if (s) {
    if (s.length !== 4) throw new ManifestError(`manifest input: the model's input "${input.name}" has shape ${fmtShape(s)}, not 4-d`)
    const [h, w, c] = m.input.layout === 'NCHW' ? [s[2], s[3], s[1]] : [s[1], s[2], s[3]]
    const [H, W] = m.input.size
    if ((typeof h === 'number' && h !== H) || (typeof w === 'number' && w !== W)) {
      throw new ManifestError(`manifest input.size is [${H},${W}] but the model's input "${input.name}" has shape ${fmtShape(s)} (${m.input.layout}: height ${h}, width ${w})`)
    }
    if (typeof c === 'number' && c !== 3) throw new ManifestError(`manifest input.layout ${m.input.layout}: the model's input "${input.name}" has ${c} channels where 3 are expected (shape ${fmtShape(s)}); is the layout wrong?`)
  }
  const e = m.outputs.embedding
  if (!hasTensor(g, e.tensor)) throw new ManifestError(`manifest outputs.embedding.tensor: tensor "${e.tensor}" does not exist in the model graph (${g.nodeCount} nodes)`)
  if (e.dequantize) {
    for (const [field, name] of [['scale', e.dequantize.scale], ['zeroPoint', e.dequantize.zeroPoint]] as const) {
      if (!hasTensor(g, name)) throw new ManifestError(`manifest outputs.embedding.dequantize.${field}: tensor "${name}" does not exist in the model graph`)
    }
    if (g.opset < 10) throw new ManifestError(`manifest outputs.embedding.dequantize needs opset >= 10 (DequantizeLinear); the model is opset ${g.opset}`)
  }
  const sc = m.outputs.scores
  if (sc && !hasTensor(g, sc.tensor)) throw new ManifestError(`manifest outputs.scores.tensor: tensor "${sc.tensor}" does not exist in the model graph`)
}

/** The graph edit for a manifest: preprocessing in front, the embedding (and scores) as outputs. */
export function buildEdit(m: Manifest, g: GraphSummary): { edit: GraphEdit; scoresOutput?: string } {
  const [H, W] = m.input.size
  const p = m.preprocess
  const prepend: NewNode[] = []
  const inits = []
  let x = PIXELS
  const step = (opType: string, inputs: string[], attributes?: NewNode['attributes']) => {
    const out = `__pls_pre_${prepend.length}`
    prepend.push({ opType, inputs, outputs: [out], name: out, ...(attributes ? { attributes } : {}) })
    x = out
  }
  if (p.colour === 'BGR') {
    inits.push(int64Tensor('__pls_bgr', [3], [2, 1, 0]))
    step('Gather', [x, '__pls_bgr'], [{ name: 'axis', i: 3 }])
  }
  const normalise = () => {
    // (v * scale - mean) / std  ==  v * (scale / std) + (-mean / std), per channel, as one
    // BatchNormalization (mean 0, variance 1, epsilon 0) over NCHW: ORT's Mul and Add with a
    // [1,3,1,1] operand took a quarter of MobileNetV2's batch (measured), its BatchNormalization
    // is one pass. Transposed while still uint8 (a quarter of the bytes), and back for NHWC.
    step('Transpose', [x], [{ name: 'perm', ints: [0, 3, 1, 2] }])
    step('Cast', [x], [{ name: 'to', i: DataType.FLOAT }])
    inits.push(float32Tensor('__pls_mul', [3], p.std.map((s) => p.scale / s)))
    inits.push(float32Tensor('__pls_add', [3], p.mean.map((mu, i) => -mu / (p.std[i] ?? 1))))
    inits.push(float32Tensor('__pls_zero', [3], [0, 0, 0]))
    inits.push(float32Tensor('__pls_one', [3], [1, 1, 1]))
    step('BatchNormalization', [x, '__pls_mul', '__pls_add', '__pls_zero', '__pls_one'], [{ name: 'epsilon', f: 0 }])
    if (m.input.layout === 'NHWC') step('Transpose', [x], [{ name: 'perm', ints: [0, 2, 3, 1] }])
  }
  if (m.input.dtype === 'float32') {
    normalise()
  } else if (m.input.dtype === 'float16') {
    // Normalise in float32 and cast once at the end: the same value a float16 conversion in
    // JavaScript would give (round to nearest even), with no Float16Array needed in Node 20.
    normalise()
    step('Cast', [x], [{ name: 'to', i: DataType.FLOAT16 }])
  } else {
    // uint8 in: the pixels as they are, in the model's layout.
    if (m.input.layout === 'NCHW') step('Transpose', [x], [{ name: 'perm', ints: [0, 3, 1, 2] }])
    if (prepend.length === 0) step('Identity', [x])
  }
  // The last preprocessing node now produces the model's original input.
  const last = prepend[prepend.length - 1]
  if (last) last.outputs = [m.input.name]

  const append: NewNode[] = []
  const e = m.outputs.embedding
  let emb = e.tensor
  if (e.dequantize) {
    append.push({ opType: 'DequantizeLinear', inputs: [emb, e.dequantize.scale, e.dequantize.zeroPoint], outputs: ['__pls_emb_dq'], name: '__pls_emb_dq' })
    emb = '__pls_emb_dq'
  }
  const after = (opType: string, inputs: string[], attributes?: NewNode['attributes']) => {
    const out = `__pls_emb_${append.length}`
    append.push({ opType, inputs, outputs: [out], name: out, ...(attributes ? { attributes } : {}) })
    return out
  }
  if (e.pooling === 'cls') {
    // Token 0 of [N, T, D]: a scalar index drops the axis, giving [N, D].
    inits.push(int64Tensor('__pls_cls', [], [0]))
    emb = after('Gather', [emb, '__pls_cls'], [{ name: 'axis', i: 1 }])
  } else if (e.pooling === 'mean') {
    // ReduceMean took its axes as an attribute until opset 18, as an input since.
    if (g.opset >= 18) {
      inits.push(int64Tensor('__pls_tokens', [1], [1]))
      emb = after('ReduceMean', [emb, '__pls_tokens'], [{ name: 'keepdims', i: 0 }])
    } else {
      emb = after('ReduceMean', [emb], [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 0 }])
    }
  }
  // [N, D, 1, 1] (a pooled convolutional feature) and [N, D] both end as [N, D].
  const half = m.input.dtype === 'float16'
  if (half) emb = after('Flatten', [emb], [{ name: 'axis', i: 1 }])
  // A float16 model gives float16 tensors; the worker reads float32 (a Cast from float32 is a no-op).
  append.push(half ? { opType: 'Cast', inputs: [emb], outputs: [EMBEDDING], name: EMBEDDING, attributes: [{ name: 'to', i: DataType.FLOAT }] } : { opType: 'Flatten', inputs: [emb], outputs: [EMBEDDING], name: EMBEDDING, attributes: [{ name: 'axis', i: 1 }] })
  const outputs = [{ name: EMBEDDING, elemType: DataType.FLOAT }]
  const sc = m.outputs.scores
  let scoresOutput = sc?.tensor
  if (sc && half) {
    scoresOutput = SCORES
    append.push({ opType: 'Cast', inputs: [sc.tensor], outputs: [SCORES], name: SCORES, attributes: [{ name: 'to', i: DataType.FLOAT }] })
    outputs.push({ name: SCORES, elemType: DataType.FLOAT })
  } else if (sc && !g.outputs.some((o) => o.name === sc.tensor)) outputs.push({ name: sc.tensor, elemType: DataType.FLOAT })
  return {
    edit: {
      prependNodes: prepend,
      appendNodes: append,
      initializers: inits,
      removeInputs: [m.input.name],
      addInputs: [{ name: PIXELS, elemType: DataType.UINT8, shape: ['batch', H, W, 3] }],
      addOutputs: outputs,
    },
    ...(scoresOutput ? { scoresOutput } : {}),
  }
}

export interface PrepareOptions {
  /** Folder for edited models (created). */
  cacheDir: string
  searchDirs?: string[]
  /** A model file the user pointed at, used instead of the manifest's file.path. */
  modelFile?: string
}

/** Finds, verifies, checks and edits the model; reuses a cached edited model when there is one. */
export async function prepareModel(loaded: LoadedManifest, opts: PrepareOptions): Promise<PreparedModel> {
  const m = loaded.manifest
  const read = await readManifestFile(loaded, m.file, 'model file', {
    searchDirs: opts.searchDirs ?? defaultModelSearchDirs(),
    ...(opts.modelFile !== undefined ? { override: opts.modelFile } : {}),
    field: 'file',
    hint: '; put it in a models folder or pass its path',
  }).catch((err: unknown) => {
    throw err instanceof ManifestError ? err : new OnnxError(`cannot read model file: ${(err as Error).message}`)
  })
  const { file: sourcePath, bytes: source, sha256: modelSha256 } = read
  const preprocessHash = preprocessHashOf(m)
  const editedPath = path.join(opts.cacheDir, `${modelSha256}-${preprocessHash.slice(0, 16)}.onnx`)
  let g: GraphSummary
  try {
    g = summarize(source)
  } catch (err) {
    throw new OnnxError(`${sourcePath}: ${(err as Error).message}`)
  }
  checkAgainstGraph(m, g)
  const { edit, scoresOutput } = buildEdit(m, g)
  const batch = g.inputs.find((i) => i.name === m.input.name)?.shape?.[0]
  const maxBatch = typeof batch === 'number' && batch > 0 ? batch : null
  const base = { modelSha256, preprocessHash, editedPath, sourcePath, maxBatch, ...(scoresOutput ? { scoresOutput } : {}) }
  try {
    return { ...base, bytes: await readFile(editedPath) }
  } catch {
    // not cached yet
  }
  const bytes = editGraph(source, edit)
  await mkdir(opts.cacheDir, { recursive: true })
  // Unique per process on any machine: shards on several machines may prepare the same model in
  // one shared folder at once, and pids repeat across machines (every container's first is 1).
  const tmp = `${editedPath}.${randomUUID()}.tmp`
  await writeFile(tmp, bytes)
  await rename(tmp, editedPath)
  return { ...base, bytes }
}
