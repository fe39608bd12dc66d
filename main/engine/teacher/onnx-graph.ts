/**
 * Just enough ONNX for the teacher: read the graph's tensor names and shapes, and add nodes,
 * initializers, inputs and outputs. Edits are spliced in at the protobuf wire level: every field
 * we do not touch is copied byte for byte, so nothing a schema of ours does not know is lost.
 */
import protobuf from 'protobufjs'

// Field numbers from onnx/onnx.proto (proto2). Only what we read or write is declared; decoding
// with this schema skips everything else, which is fine because we never re-encode what we decode.
const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        ModelProto: { fields: { irVersion: { type: 'int64', id: 1 }, opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 }, graph: { type: 'GraphProto', id: 7 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: false } },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
      },
    },
  },
})
const T = (name: string) => root.lookupType(`onnx.${name}`)
const ModelProto = T('ModelProto')
const NodeProto = T('NodeProto')
const TensorProto = T('TensorProto')
const ValueInfoProto = T('ValueInfoProto')
const OperatorSetIdProto = T('OperatorSetIdProto')

/** ONNX TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7, FLOAT16: 10 } as const
const DTYPE_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64' }
const ATTR_FLOAT = 1
const ATTR_INT = 2
const ATTR_INTS = 7

/** A dimension is a number, a symbolic name, or null when the file says nothing. */
export type Dim = number | string | null
export interface TensorInfo {
  name: string
  dtype?: string
  shape?: Dim[]
}
/** A node as the graph lists it (in topological order), with its integer attributes. */
export interface NodeInfo {
  opType: string
  inputs: string[]
  outputs: string[]
  attrs: Record<string, number | number[]>
}
export interface GraphSummary {
  irVersion: number
  opset: number
  inputs: TensorInfo[]
  outputs: TensorInfo[]
  initializers: Set<string>
  /** Every tensor name produced by a node, with the op that produces it. */
  nodeOutputs: Map<string, string>
  nodeCount: number
  /** Every node, in file order; what import looks through to find a classifier's input. */
  nodes: NodeInfo[]
  /** Initializer dims by name (a classifier's weight says how wide its input is). */
  initializerDims: Map<string, number[]>
}

export class OnnxError extends Error {
  override name = 'OnnxError'
}

interface RawValueInfo {
  name?: string
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: unknown; dimParam?: string }[] } } }
}
interface RawModel {
  irVersion?: unknown
  opsetImport?: { domain?: string; version?: unknown }[]
  graph?: {
    node?: { input?: string[]; output?: string[]; opType?: string; domain?: string; attribute?: { name?: string; i?: unknown; ints?: unknown[] }[] }[]
    initializer?: { name?: string; dims?: unknown[] }[]
    input?: RawValueInfo[]
    output?: RawValueInfo[]
    valueInfo?: RawValueInfo[]
  }
}

function toInfo(v: RawValueInfo): TensorInfo {
  const t = v.type?.tensorType
  const info: TensorInfo = { name: v.name ?? '' }
  if (t?.elemType !== undefined) info.dtype = DTYPE_NAMES[t.elemType] ?? `onnx-type-${t.elemType}`
  if (t?.shape) info.shape = (t.shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : null))
  return info
}

/** Decodes the parts of a model the teacher checks; throws OnnxError for anything that is not ONNX. */
export function summarize(bytes: Uint8Array): GraphSummary {
  let m: RawModel
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as RawModel
  } catch (err) {
    throw new OnnxError(`not an ONNX model (protobuf decoding failed: ${(err as Error).message})`)
  }
  const g = m.graph
  if (!g || !g.node?.length) throw new OnnxError('not an ONNX model (no graph or an empty graph)')
  const opset = m.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version
  const nodeOutputs = new Map<string, string>()
  for (const n of g.node) for (const o of n.output ?? []) nodeOutputs.set(o, n.opType ?? '?')
  return {
    irVersion: Number(m.irVersion ?? 0),
    opset: Number(opset ?? 0),
    inputs: (g.input ?? []).map(toInfo),
    outputs: (g.output ?? []).map(toInfo),
    initializers: new Set((g.initializer ?? []).map((t) => t.name ?? '')),
    nodeOutputs,
    nodeCount: g.node.length,
    nodes: g.node.map((n) => ({
      opType: n.opType ?? '?',
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', a.ints?.length ? a.ints.map(Number) : Number(a.i ?? 0)])),
    })),
    initializerDims: new Map((g.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)])),
  }
}

/** True when `name` is a tensor of the graph (input, initializer or node output). */
export function hasTensor(g: GraphSummary, name: string): boolean {
  return g.nodeOutputs.has(name) || g.initializers.has(name) || g.inputs.some((i) => i.name === name)
}

// ---- building new messages ----

export interface NewNode {
  opType: string
  inputs: string[]
  outputs: string[]
  name: string
  /** One of i (int), f (float) or ints per attribute; i when none is given. */
  attributes?: { name: string; i?: number; f?: number; ints?: number[] }[]
}
export interface NewTensor {
  name: string
  dataType: number
  dims: number[]
  raw: Uint8Array
}
export interface NewValueInfo {
  name: string
  elemType: number
  shape?: Dim[]
}
export interface GraphEdit {
  /** Nodes placed before the existing ones (they feed the old graph, e.g. preprocessing). */
  prependNodes?: NewNode[]
  /** Nodes placed after the existing ones (they read the old graph, e.g. DequantizeLinear). */
  appendNodes?: NewNode[]
  initializers?: NewTensor[]
  /** Graph inputs removed by name (a tensor that becomes the output of a prepended node). */
  removeInputs?: string[]
  /** Graph outputs removed by name (the student export keeps only its own outputs). */
  removeOutputs?: string[]
  addInputs?: NewValueInfo[]
  addOutputs?: NewValueInfo[]
}

function encodeNode(n: NewNode): Uint8Array {
  return NodeProto.encode(
    NodeProto.fromObject({
      input: n.inputs,
      output: n.outputs,
      name: n.name,
      opType: n.opType,
      attribute: (n.attributes ?? []).map((a) => (a.ints ? { name: a.name, ints: a.ints, type: ATTR_INTS } : a.f !== undefined ? { name: a.name, f: a.f, type: ATTR_FLOAT } : { name: a.name, i: a.i ?? 0, type: ATTR_INT })),
    }),
  ).finish()
}
function encodeTensor(t: NewTensor): Uint8Array {
  return TensorProto.encode(TensorProto.fromObject({ name: t.name, dataType: t.dataType, dims: t.dims, rawData: t.raw })).finish()
}
function encodeValueInfo(v: NewValueInfo): Uint8Array {
  const tensorType: Record<string, unknown> = { elemType: v.elemType }
  if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) }
  return ValueInfoProto.encode(ValueInfoProto.fromObject({ name: v.name, type: { tensorType } })).finish()
}

// ---- wire-level splicing ----

interface RawField {
  field: number
  /** The whole field: tag, length and payload. */
  bytes: Uint8Array
  /** For length-delimited fields, the payload alone. */
  payload?: Uint8Array
}

function splitFields(buf: Uint8Array): RawField[] {
  const r = protobuf.Reader.create(buf)
  const out: RawField[] = []
  while (r.pos < r.len) {
    const start = r.pos
    const tag = r.uint32()
    const wireType = tag & 7
    if (wireType === 2) {
      const len = r.uint32()
      const p = r.pos
      r.skip(len)
      out.push({ field: tag >>> 3, bytes: buf.subarray(start, r.pos), payload: buf.subarray(p, p + len) })
    } else {
      r.skipType(wireType)
      out.push({ field: tag >>> 3, bytes: buf.subarray(start, r.pos) })
    }
  }
  return out
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create()
  w.uint32((field << 3) | 2).bytes(payload)
  return w.finish()
}

const GRAPH_FIELD = 7
const G_NODE = 1
const G_INITIALIZER = 5
const G_INPUT = 11
const G_OUTPUT = 12

/** Returns a new model with `edit` applied; the source bytes are not changed. */
export function editGraph(model: Uint8Array, edit: GraphEdit): Uint8Array {
  const top = splitFields(model)
  const graphs = top.filter((f) => f.field === GRAPH_FIELD)
  if (graphs.length !== 1 || !graphs[0]?.payload) throw new OnnxError('expected exactly one graph in the model')
  const remove = new Set(edit.removeInputs ?? [])
  const removeOut = new Set(edit.removeOutputs ?? [])
  const kept = splitFields(graphs[0].payload).filter((f) => {
    const names = f.field === G_INPUT ? remove : f.field === G_OUTPUT ? removeOut : null
    if (!names || names.size === 0 || !f.payload) return true
    const name = (ValueInfoProto.decode(f.payload) as unknown as { name?: string }).name ?? ''
    return !names.has(name)
  })
  // Repeated fields keep their order of appearance, so prepended nodes come before the old ones.
  const firstNode = kept.findIndex((f) => f.field === G_NODE)
  const before = kept.slice(0, Math.max(firstNode, 0)).map((f) => f.bytes)
  const rest = kept.slice(Math.max(firstNode, 0)).map((f) => f.bytes)
  const graph = Buffer.concat([
    ...before,
    ...(edit.prependNodes ?? []).map((n) => lengthDelimited(G_NODE, encodeNode(n))),
    ...rest,
    ...(edit.appendNodes ?? []).map((n) => lengthDelimited(G_NODE, encodeNode(n))),
    ...(edit.initializers ?? []).map((t) => lengthDelimited(G_INITIALIZER, encodeTensor(t))),
    ...(edit.addInputs ?? []).map((v) => lengthDelimited(G_INPUT, encodeValueInfo(v))),
    ...(edit.addOutputs ?? []).map((v) => lengthDelimited(G_OUTPUT, encodeValueInfo(v))),
  ])
  return Buffer.concat(top.map((f) => (f.field === GRAPH_FIELD ? lengthDelimited(GRAPH_FIELD, graph) : f.bytes)))
}

export function float32Tensor(name: string, dims: number[], values: number[]): NewTensor {
  return { name, dataType: DataType.FLOAT, dims, raw: new Uint8Array(new Float32Array(values).buffer) }
}
export function int64Tensor(name: string, dims: number[], values: number[]): NewTensor {
  return { name, dataType: DataType.INT64, dims, raw: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer) }
}

export interface NewModel {
  /** The default-domain opset the nodes are written against. */
  opset: number
  nodes: NewNode[]
  initializers?: NewTensor[]
  inputs: NewValueInfo[]
  outputs: NewValueInfo[]
}

/**
 * A whole model from scratch: an empty graph filled by editGraph, so a built graph and an edited
 * one go through the same code. Tests build small teachers with it (a two-tower image/text pair, a
 * token-sequence model) without a Python exporter.
 */
export function buildModel(m: NewModel): Uint8Array {
  // ir_version 8 is what opsets 13-17 ship with; onnxruntime 1.30 reads it.
  const empty = ModelProto.encode(ModelProto.fromObject({ irVersion: 8, opsetImport: [{ domain: '', version: m.opset }], graph: {} })).finish()
  return editGraph(empty, { appendNodes: m.nodes, initializers: m.initializers ?? [], addInputs: m.inputs, addOutputs: m.outputs })
}
