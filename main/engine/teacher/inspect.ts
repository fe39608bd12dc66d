/**
 * Reading an ONNX file nobody wrote a manifest for: which input takes the image (layout, dtype,
 * batch, size), which tensors could be the embedding, and a first guess at the preprocessing.
 * Everything here is read from the graph (onnx-graph.ts summarize), without running the model:
 * running it is the check (import.ts), which also measures what the file does not say.
 */
import path from 'node:path'
import type { Manifest } from './manifest'
import type { Dim, GraphSummary, NodeInfo, TensorInfo } from './onnx-graph'

export type InputDtype = Manifest['input']['dtype']
export type Pooling = NonNullable<Manifest['outputs']['embedding']['pooling']>

export interface ImageInput {
  name: string
  shape: Dim[]
  layout: 'NCHW' | 'NHWC'
  channels: number
  dtype: InputDtype
  /** A number when the file fixes the batch, 'dynamic' otherwise. */
  batch: number | 'dynamic'
  /** [height, width] when the file fixes them; null when they are dynamic (the proposal says 224). */
  size: [number, number] | null
}

export interface EmbeddingCandidate {
  tensor: string
  /** What shape it has and why it is offered, for people. */
  note: string
  shape?: Dim[]
  /** The width when the graph says it; otherwise the check measures it. */
  dim?: number
  /** Set for a token sequence [N, T, D]. */
  pooling?: Pooling
  /** Set for a quantised inner tensor: the scale and zero point to dequantise it with. */
  dequantize?: { scale: string; zeroPoint: string }
  /** True for an output that is a graph output; false for an inner tensor exposed by the edit. */
  isOutput: boolean
}

export interface ScoresCandidate {
  tensor: string
  kind: 'logits' | 'probabilities'
  count: number
}

export interface Inspection {
  /** Every graph input that is not a weight. */
  inputs: TensorInfo[]
  outputs: TensorInfo[]
  /** The image input recognised, or undefined with the reason in `problems`. */
  image?: ImageInput
  /** Best first. */
  candidates: EmbeddingCandidate[]
  scores?: ScoresCandidate
  /** What was recognised, in sentences (shown by the wizard and the CLI). */
  notes: string[]
  /** Why the file cannot be imported as it is (empty when it can). */
  problems: string[]
}

const DTYPES: readonly InputDtype[] = ['float32', 'float16', 'uint8']
const fmt = (s?: Dim[]) => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(shape not recorded)')
const num = (d: Dim | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined)

/** Recognises an image input: rank 4 with 1 or 3 channels in dim 1 (NCHW) or dim 3 (NHWC). */
function imageInput(t: TensorInfo, problems: string[]): ImageInput | undefined {
  const s = t.shape
  if (!s || s.length !== 4) {
    problems.push(`input "${t.name}" has shape ${fmt(s)}: an image input is 4-d ([N, C, H, W] or [N, H, W, C])`)
    return undefined
  }
  const ch = (d: Dim | undefined) => d === 1 || d === 3
  // NCHW when dim 1 holds the channels; a [N, 3, H, 3]-like tie goes to NCHW, the usual export.
  const layout = ch(s[1]) ? 'NCHW' : ch(s[3]) ? 'NHWC' : undefined
  if (!layout) {
    problems.push(`input "${t.name}" has shape ${fmt(s)}: no dimension 1 or 3 holds 1 or 3 channels`)
    return undefined
  }
  const [c, h, w] = layout === 'NCHW' ? [s[1], s[2], s[3]] : [s[3], s[1], s[2]]
  const dtype = DTYPES.find((d) => d === t.dtype)
  if (!dtype) {
    problems.push(`input "${t.name}" is ${t.dtype ?? 'of unknown type'}: the studio feeds float32, float16 or uint8`)
    return undefined
  }
  if (c === 1) problems.push(`input "${t.name}" takes 1 channel (greyscale): the studio feeds RGB; not supported yet`)
  const hh = num(h)
  const ww = num(w)
  return { name: t.name, shape: s, layout, channels: c as number, dtype, batch: num(s[0]) ?? 'dynamic', size: hh && ww ? [hh, ww] : null }
}

const isSquare = (n: number) => n > 0 && Number.isInteger(Math.sqrt(n))

/** What an output of this shape gives as an embedding, or undefined when it cannot be one. */
function outputCandidate(t: TensorInfo, g: GraphSummary): EmbeddingCandidate | undefined {
  const s = t.shape
  const base = { tensor: t.name, isOutput: true, ...(s ? { shape: s } : {}) }
  if (t.dtype && t.dtype !== 'float32' && t.dtype !== 'float16') return undefined
  if (!s) return { ...base, note: 'shape not recorded: the check measures it' }
  if (s.length === 2) return { ...base, ...(num(s[1]) ? { dim: num(s[1]) } : {}), note: `[N, D] ${fmt(s)}: one vector per image` }
  if (s.length === 4 && s[2] === 1 && s[3] === 1) return { ...base, ...(num(s[1]) ? { dim: num(s[1]) } : {}), note: `[N, D, 1, 1] ${fmt(s)}: a pooled feature map, flattened` }
  if (s.length === 3) {
    const T = num(s[1])
    // A ViT's sequence is a CLS token and a square grid of patches; its CLS token is the image
    // feature it was trained to give. With T unknown, a Concat on the token axis (the CLS token
    // being put in front) says the same.
    const vitLike = T !== undefined ? isSquare(T - 1) : g.nodes.some((n) => n.opType === 'Concat' && n.attrs.axis === 1)
    const pooling: Pooling = vitLike ? 'cls' : 'mean'
    return {
      ...base,
      ...(num(s[2]) ? { dim: num(s[2]) } : {}),
      pooling,
      note: `[N, T, D] ${fmt(s)}: a token sequence; ${vitLike ? 'CLS token (a class token and a square grid of patches)' : 'mean over the tokens (no class token recognised)'}, the other pooling can be picked`,
    }
  }
  return undefined
}

/** Ops a classifier's output passes through after its last matrix product (bias, softmax, (de)quantisation). */
const AFTER_CLASSIFIER = new Set(['Add', 'QLinearAdd', 'DequantizeLinear', 'QuantizeLinear', 'Softmax', 'LogSoftmax', 'Sigmoid', 'Identity', 'Cast', 'Flatten', 'Reshape', 'Squeeze'])
/** Ops between the pooled feature and the classifier's product that do not change its values. */
const RESHAPING = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout'])

/** The classifier's matrix product: where its input (the feature) and weight sit, and whether it is quantised. */
function classifierOp(n: NodeInfo): { weight: string; quant?: [string, string]; widthAxis: number } | undefined {
  const i = n.inputs
  const transB = n.attrs.transB === 1
  switch (n.opType) {
    case 'Gemm':
      return i[1] ? { weight: i[1], widthAxis: transB ? 1 : 0 } : undefined
    case 'MatMul':
    case 'MatMulInteger':
      return i[1] ? { weight: i[1], widthAxis: 0 } : undefined
    case 'Conv':
      return i[1] ? { weight: i[1], widthAxis: 1 } : undefined
    case 'QLinearMatMul':
    case 'QGemm':
    case 'QLinearConv':
      return i[3] && i[1] && i[2] ? { weight: i[3], quant: [i[1], i[2]], widthAxis: n.opType === 'QLinearConv' || transB ? 1 : 0 } : undefined
    default:
      return undefined
  }
}

/**
 * The feature a classifier output is computed from: walk back from the output through bias,
 * softmax and (de)quantisation to the last matrix product whose weight is in the file, then from
 * its input back through reshapes to the pooled feature. For the shipped MobileNetV2 this finds
 * `464_quantized` (the global average pool, int8) and its scale and zero point.
 */
function preClassifierFeature(g: GraphSummary, output: string): EmbeddingCandidate | undefined {
  const producer = new Map<string, NodeInfo>()
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n)
  const dataInput = (n: NodeInfo) => n.inputs.find((x) => x && !g.initializers.has(x))
  let t: string | undefined = output
  for (let steps = 0; t && steps < 12; steps++) {
    const n = producer.get(t)
    if (!n) return undefined
    const op = classifierOp(n)
    if (op && g.initializers.has(op.weight)) {
      let feature = n.inputs[0] as string
      for (let p = producer.get(feature); p && RESHAPING.has(p.opType) && p.inputs[0]; p = producer.get(feature)) feature = p.inputs[0]
      const dim = g.initializerDims.get(op.weight)?.[op.widthAxis]
      return {
        tensor: feature,
        isOutput: false,
        ...(dim ? { dim } : {}),
        ...(op.quant ? { dequantize: { scale: op.quant[0], zeroPoint: op.quant[1] } } : {}),
        note: `the input of the classifier (${n.opType} before "${output}")${op.quant ? ', dequantised' : ''}: the image feature the class scores are computed from`,
      }
    }
    t = AFTER_CLASSIFIER.has(n.opType) ? dataInput(n) : undefined
  }
  return undefined
}

/** Class counts of the usual ImageNet heads; a name that says so counts too. */
const CLASSIFIER_WIDTHS = new Set([1000, 1001, 11221, 11821, 21841, 21843])
const CLASSIFIER_NAME = /logit|prob|score|class|pred|softmax/i

/** Reads the graph: the image input, the embedding candidates (best first), a scores output. */
export function inspectGraph(g: GraphSummary): Inspection {
  const notes: string[] = []
  const problems: string[] = []
  const inputs = g.inputs.filter((i) => !g.initializers.has(i.name))
  // The first input that looks like an image (or the first input, to say why none does), read again with its problems kept.
  const picked = inputs.find((t) => imageInput(t, []) !== undefined) ?? inputs[0]
  const image = picked ? imageInput(picked, problems) : undefined
  if (!inputs.length) problems.push('the model has no input')
  if (inputs.length > 1) problems.push(`the model takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}): only image-only models can be imported`)
  if (image) {
    notes.push(`image input "${image.name}" ${fmt(image.shape)}: ${image.layout}, ${image.channels} channels, ${image.dtype}, ${image.batch === 'dynamic' ? 'dynamic batch' : `fixed batch of ${image.batch}`}, ${image.size ? `${image.size[0]}x${image.size[1]}` : 'dynamic size (224x224 proposed)'}`)
    if (image.dtype === 'uint8') notes.push('uint8 input: the model takes the pixel bytes and normalises them itself, so mean and std are not used')
  }
  const candidates: EmbeddingCandidate[] = []
  let scores: ScoresCandidate | undefined
  for (const o of g.outputs) {
    const width = o.shape?.length === 2 ? num(o.shape[1]) : undefined
    const softmax = [...g.nodes].reverse().find((n) => n.outputs.includes(o.name))?.opType === 'Softmax'
    const feature = preClassifierFeature(g, o.name)
    if (feature && width && (CLASSIFIER_WIDTHS.has(width) || CLASSIFIER_NAME.test(o.name))) {
      scores ??= { tensor: o.name, kind: softmax ? 'probabilities' : 'logits', count: width }
      notes.push(`output "${o.name}" ${fmt(o.shape)} is a classifier's ${softmax ? 'probabilities' : 'logits'}: kept as scores; the embedding proposed is its input "${feature.tensor}"`)
      candidates.unshift(feature)
    }
    const c = outputCandidate(o, g)
    if (c) candidates.push(feature && scores?.tensor === o.name ? { ...c, note: `${c.note} (class scores: a weaker feature than the classifier's input)` } : c)
    else notes.push(`output "${o.name}" ${fmt(o.shape)} ${o.dtype ?? ''} cannot be an embedding (not [N, D], [N, D, 1, 1] or [N, T, D] floats)`)
  }
  if (!candidates.length) problems.push('no output looks like an embedding ([N, D], [N, D, 1, 1] or [N, T, D]); name an inner tensor with --output')
  return { inputs, outputs: g.outputs, ...(image ? { image } : {}), candidates, ...(scores ? { scores } : {}), notes, problems }
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const
const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] } as const
const HALF = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as const

/** What a user can change in the proposal (wizard fields, CLI flags). */
export interface ImportChoices {
  id?: string
  name?: string
  /** The embedding tensor (a candidate's, or any inner tensor). */
  output?: string
  pooling?: Pooling
  size?: [number, number]
  mean?: [number, number, number]
  std?: [number, number, number]
  resize?: Manifest['preprocess']['resize']
}

/** A manifest id from a file name: lower case, the characters the schema allows. */
function idFromFile(file: string): string {
  const base = path.basename(file).replace(/\.onnx$/i, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '')
  return base || 'imported'
}

/**
 * The manifest proposed for `inspection` with `choices` applied. Its embedding dim is the graph's
 * when known and 1 otherwise: the check measures the real one (see import.ts).
 */
export function proposeManifest(inspection: Inspection, file: { path: string; sha256: string; bytes: number }, choices: ImportChoices = {}): Manifest {
  const image = inspection.image
  if (!image) throw new Error(inspection.problems[0] ?? 'no image input recognised')
  const picked = choices.output ? (inspection.candidates.find((c) => c.tensor === choices.output) ?? { tensor: choices.output, isOutput: false, note: '' }) : inspection.candidates[0]
  if (!picked) throw new Error(inspection.problems[0] ?? 'no embedding output recognised')
  const size = choices.size ?? image.size ?? [224, 224]
  const name = path.basename(file.path).toLowerCase()
  // CLIP and SigLIP were trained with their own normalisation; most other image models with ImageNet's.
  const norm = name.includes('siglip') ? HALF : name.includes('clip') ? CLIP : IMAGENET
  const pooling = choices.pooling ?? picked.pooling
  const scores = inspection.scores && inspection.scores.tensor !== picked.tensor ? inspection.scores : undefined
  return {
    id: choices.id ?? idFromFile(file.path),
    name: choices.name ?? path.basename(file.path),
    description: `Imported from ${path.basename(file.path)}; embedding "${picked.tensor}"${pooling ? ` (${pooling} pooling)` : ''}.`,
    file: { path: file.path, sha256: file.sha256, bytes: file.bytes },
    input: { name: image.name, layout: image.layout, size, dtype: image.dtype },
    preprocess: {
      resize: choices.resize ?? 'shorter-side-then-centre-crop',
      // The usual evaluation crop: the shorter side to size * 256/224, then the centre.
      resizeTo: Math.round((Math.min(...size) * 256) / 224),
      interpolation: norm === CLIP ? 'bicubic' : 'bilinear',
      exifRotate: true,
      colour: 'RGB',
      scale: 1 / 255,
      mean: choices.mean ?? [...norm.mean],
      std: choices.std ?? [...norm.std],
    },
    outputs: {
      embedding: { tensor: picked.tensor, dim: picked.dim ?? 1, ...(picked.dequantize ? { dequantize: picked.dequantize } : {}), ...(pooling ? { pooling } : {}) },
      ...(scores ? { scores } : {}),
    },
  }
}
