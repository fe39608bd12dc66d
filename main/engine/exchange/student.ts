/**
 * The student as one ONNX model: the teacher graph as the studio runs it (uint8 RGB pixels in,
 * preprocessing inside the graph, the embedding out; see teacher/model.ts), followed by the latest
 * round's head as ONNX nodes: the feature transform of selftrain/features.ts, the head (logistic:
 * W and b; MLP: W1, b1, ReLU, W2, b2), the round's temperature and a softmax. Outputs: `probabilities` [N, C] (the round's
 * calibrated probabilities) and `embedding` [N, D]; the class names are in metadata_props.
 *
 * A round saves what this needs in `<dataDir>/rounds/<id>.head.json` (saveStudentHead), because
 * the head otherwise lives only in the worker that trained it.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import protobuf from 'protobufjs'
import type { FeatureTransform } from '../selftrain/features'
import type { HeadWeights } from '../selftrain/head'
import { cacheFileName, listCatalog, loadManifest, type LoadedManifest } from '../teacher'
import { resolveModelFile } from '../teacher/manifest'
import { EMBEDDING, PIXELS, buildEdit, checkAgainstGraph, preprocessHashOf } from '../teacher/model'
import { DataType, editGraph, float32Tensor, summarize, type NewNode, type NewTensor } from '../teacher/onnx-graph'
import type { Project } from '../project/project'
import type { ProjectPaths } from '../project/paths'
import { ExportError, atomicFile } from './write'

/** What a round keeps of its head for the student export. */
export interface StudentHead {
  format: 1
  roundId: number
  /** The project's class ids and names at the time of the round, in the head's output order. */
  classIds: number[]
  classNames: string[]
  /** The embedding cache file (its name encodes the teacher model's sha256 and preprocessing hash). */
  embeddings: string
  features: { power: number; centre: boolean; mean: number[] | null }
  /** null when the round had no trained head (zero-shot), or was an MLP round from before MLPs were exported. */
  head:
    | { kind: 'logistic'; dim: number; classes: number; W: number[]; b: number[] }
    | { kind: 'mlp'; dim: number; hidden: number; classes: number; W1: number[]; b1: number[]; W2: number[]; b2: number[] }
    | null
  temperature: number
}

export interface HeadParts {
  roundId: number
  classIds: number[]
  classNames: string[]
  cacheFile: string
  transform: FeatureTransform
  weights: HeadWeights | undefined
  temperature: number
}

/** Called by the round when it finishes: the head, its feature transform and temperature. */
export async function saveStudentHead(paths: ProjectPaths, p: HeadParts): Promise<void> {
  const h: StudentHead = {
    format: 1,
    roundId: p.roundId,
    classIds: p.classIds,
    classNames: p.classNames,
    embeddings: path.basename(p.cacheFile),
    features: { power: p.transform.power, centre: p.transform.centre, mean: p.transform.mean ? Array.from(p.transform.mean) : null },
    head: savedHead(p.weights),
    temperature: p.temperature,
  }
  await mkdir(paths.rounds, { recursive: true })
  await writeFile(paths.head(p.roundId), JSON.stringify(h))
}

function savedHead(w: HeadWeights | undefined): StudentHead['head'] {
  if (!w) return null
  if (w.kind === 'logistic') return { kind: 'logistic', dim: w.dim, classes: w.classes, W: Array.from(w.W), b: Array.from(w.b) }
  return { kind: 'mlp', dim: w.dim, hidden: w.hidden, classes: w.classes, W1: Array.from(w.W1), b1: Array.from(w.b1), W2: Array.from(w.W2), b2: Array.from(w.b2) }
}

/** `rows x cols` row-major, transposed to `cols x rows` and divided by `scale`: a head's matrix as MatMul wants it. */
function transposed(M: number[], rows: number, cols: number, scale = 1): number[] {
  const out = new Array<number>(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = M[r * cols + c]! / scale
  return out
}

/** Smallest norm divided by, as l2NormalizeRows leaves a zero row at zero. */
const NORM_FLOOR = 1e-30

/**
 * Appends the head to the teacher's edit. The transform is reproduced step for step: sign(x)|x|^p,
 * L2 normalisation, minus the pool mean, L2 normalisation again; then the logits (logistic:
 * x W^T + b; MLP: relu(x W1^T + b1) W2^T + b2, no dropout, which acts only in training) divided by
 * the temperature (folded into the last layer's weights and bias), and a softmax over the classes.
 * Row sums of squares
 * are a MatMul with a ones vector, which reads the same in every opset (ReduceSumSquare moved its
 * axes from an attribute to an input in opset 18).
 */
function headNodes(h: StudentHead, embedding: string): { nodes: NewNode[]; inits: NewTensor[] } {
  const head = h.head!
  const d = head.dim
  const k = head.classes
  const nodes: NewNode[] = []
  const inits: NewTensor[] = []
  let x = embedding
  const op = (opType: string, inputs: string[], attributes?: NewNode['attributes'], out = `student_${nodes.length}_${opType.toLowerCase()}`) => {
    nodes.push({ opType, inputs, outputs: [out], name: out, ...(attributes ? { attributes } : {}) })
    return out
  }
  inits.push(float32Tensor('student_ones', [d, 1], new Array<number>(d).fill(1)), float32Tensor('student_norm_floor', [1], [NORM_FLOOR]))
  const normalise = (v: string) => {
    const norm = op('Sqrt', [op('MatMul', [op('Mul', [v, v]), 'student_ones'])])
    return op('Div', [v, op('Max', [norm, 'student_norm_floor'])])
  }
  if (h.features.power !== 1) {
    inits.push(float32Tensor('student_power', [1], [h.features.power]))
    x = op('Mul', [op('Sign', [x]), op('Pow', [op('Abs', [x]), 'student_power'])])
  }
  x = normalise(x)
  if (h.features.centre && h.features.mean) {
    inits.push(float32Tensor('student_mean', [1, d], h.features.mean))
    x = normalise(op('Sub', [x, 'student_mean']))
  }
  // Weights are saved row-major as out x in; MatMul wants in x out. The temperature divides the logits.
  const t = h.temperature > 0 ? h.temperature : 1
  let logits: string
  if (head.kind === 'logistic') {
    inits.push(float32Tensor('student_W', [d, k], transposed(head.W, k, d, t)), float32Tensor('student_b', [k], head.b.map((v) => v / t)))
    logits = op('Add', [op('MatMul', [x, 'student_W']), 'student_b'])
  } else {
    const u = head.hidden
    inits.push(
      float32Tensor('student_W1', [d, u], transposed(head.W1, u, d)),
      float32Tensor('student_b1', [u], head.b1),
      float32Tensor('student_W2', [u, k], transposed(head.W2, k, u, t)),
      float32Tensor('student_b2', [k], head.b2.map((v) => v / t)),
    )
    const hidden = op('Relu', [op('Add', [op('MatMul', [x, 'student_W1']), 'student_b1'])])
    logits = op('Add', [op('MatMul', [hidden, 'student_W2']), 'student_b2'])
  }
  // axis 1 of a 2-d tensor: the same softmax before opset 13 (coerced to 2-d) and after (one axis).
  op('Softmax', [logits], [{ name: 'axis', i: 1 }], 'probabilities')
  return { nodes, inits }
}

/** ModelProto field 14: metadata_props, a list of StringStringEntryProto { key = 1, value = 2 }. */
function metadataFields(meta: Record<string, string>): Uint8Array[] {
  return Object.entries(meta).map(([key, value]) => {
    const entry = protobuf.Writer.create().uint32((1 << 3) | 2).string(key).uint32((2 << 3) | 2).string(value).finish()
    return protobuf.Writer.create().uint32((14 << 3) | 2).bytes(entry).finish()
  })
}

/** Reads metadata_props back (for tests and for anyone checking an exported file). */
export function readMetadata(model: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  const r = protobuf.Reader.create(model)
  while (r.pos < r.len) {
    const tag = r.uint32()
    if (tag >>> 3 === 14 && (tag & 7) === 2) {
      const e = protobuf.Reader.create(r.bytes())
      let key = ''
      let value = ''
      while (e.pos < e.len) {
        const t = e.uint32()
        if (t >>> 3 === 1) key = e.string()
        else if (t >>> 3 === 2) value = e.string()
        else e.skipType(t & 7)
      }
      out[key] = value
    } else r.skipType(tag & 7)
  }
  return out
}

/** The student's bytes: the teacher model `source` (checked against `loaded`) with the head appended. */
export function buildStudent(source: Uint8Array, loaded: LoadedManifest, h: StudentHead, classNames: string[]): Uint8Array {
  if (!h.head) throw new ExportError(`round ${h.roundId} kept no trained head (a round on the class names alone, or an MLP round from an older version); run a round with labels and export again`)
  const m = loaded.manifest
  const g = summarize(source)
  checkAgainstGraph(m, g)
  const { edit } = buildEdit(m, g)
  // The teacher's private tensor names become the student's public ones.
  const rename = (n: string) => (n === PIXELS ? 'pixels' : n === EMBEDDING ? 'embedding' : n)
  const prepend = (edit.prependNodes ?? []).map((n) => ({ ...n, inputs: n.inputs.map(rename) }))
  const append = (edit.appendNodes ?? []).map((n) => ({ ...n, outputs: n.outputs.map(rename) }))
  const { nodes, inits } = headNodes(h, 'embedding')
  const [H, W] = m.input.size
  const bytes = editGraph(source, {
    prependNodes: prepend,
    appendNodes: [...append, ...nodes],
    initializers: [...(edit.initializers ?? []), ...inits],
    removeInputs: edit.removeInputs ?? [],
    removeOutputs: g.outputs.map((o) => o.name),
    addInputs: [{ name: 'pixels', elemType: DataType.UINT8, shape: ['batch', H, W, 3] }],
    addOutputs: [
      { name: 'probabilities', elemType: DataType.FLOAT, shape: ['batch', h.head.classes] },
      { name: 'embedding', elemType: DataType.FLOAT, shape: ['batch', h.head.dim] },
    ],
  })
  const meta = {
    classes: JSON.stringify(classNames),
    input: `pixels: uint8 [batch, ${H}, ${W}, 3], RGB, decoded and resized as the preprocess entry says; normalisation is inside the graph`,
    preprocess: JSON.stringify({ size: m.input.size, ...m.preprocess }),
    teacher: m.id,
    round: String(h.roundId),
    temperature: String(h.temperature),
    producer: 'Pseudolabel Studio',
  }
  const out = new Uint8Array(bytes.length + metadataFields(meta).reduce((s, f) => s + f.length, 0))
  out.set(bytes)
  let o = bytes.length
  for (const f of metadataFields(meta)) {
    out.set(f, o)
    o += f.length
  }
  return out
}

/** The manifest whose model and preprocessing made `embeddings` (the cache file's name says which). */
async function teacherOf(embeddings: string, preferred: string | undefined, searchDirs: string[] | undefined): Promise<LoadedManifest> {
  const ids = [...new Set([...(preferred ? [preferred] : []), ...(await listCatalog()).map((t) => t.id)])]
  for (const id of ids) {
    const loaded = await loadManifest(id, searchDirs).catch(() => null)
    if (!loaded) continue
    const m = loaded.manifest
    if (cacheFileName({ modelSha256: m.file.sha256, preprocessHash: preprocessHashOf(m) }) === embeddings) return loaded
  }
  throw new ExportError(`the teacher that made the latest round's embeddings (${embeddings}) is not among the known teachers (${ids.join(', ')}); run a round with the current teacher and export again`)
}

export interface StudentExport {
  path: string
  roundId: number
  classes: string[]
  bytes: number
}

/** Writes the student of the project's latest finished round to `dest` (which must not exist). */
/** `searchDirs`: where teacher manifests are looked for (the app's models folder included); the default search when absent. */
export async function exportStudent(project: Project, dest: string, opts: { teacher?: string; searchDirs?: string[] } = {}): Promise<StudentExport> {
  const done = project.store.rounds.list().filter((r) => r.status === 'done')
  const last = done[done.length - 1]
  if (!last) throw new ExportError('no finished round yet: label a few images of each class and run a round first')
  let h: StudentHead
  try {
    h = JSON.parse(await readFile(project.paths.head(last.id), 'utf8')) as StudentHead
  } catch {
    throw new ExportError(`round ${last.id} kept no head (it ran before the studio saved heads); run a round and export again`)
  }
  const loaded = await teacherOf(h.embeddings, opts.teacher, opts.searchDirs)
  const file = await resolveModelFile(loaded, opts.searchDirs)
  if (!file) throw new ExportError(`the teacher model file of "${loaded.manifest.id}" (${loaded.manifest.file.path ?? '?'}) is not on this machine`)
  const source = await readFile(file)
  if (createHash('sha256').update(source).digest('hex') !== loaded.manifest.file.sha256) throw new ExportError(`${file} is not the teacher file its manifest names (sha256 differs)`)
  // Class names as they are now (a class may have been renamed since the round), in the head's order.
  const current = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  const classes = h.classIds.map((id, i) => current.get(id) ?? h.classNames[i] ?? String(id))
  const bytes = buildStudent(source, loaded, h, classes)
  await atomicFile(dest, [bytes])
  return { path: dest, roundId: h.roundId, classes, bytes: bytes.length }
}
