/**
 * A tiny two-tower image/text teacher built with the studio's own ONNX code (onnx-graph.ts
 * buildModel), random weights from a fixed seed, and a tiny tokenizer.json; the manifest that ties
 * them together. The weights are chosen so the model is meaningful: the image tower maps a mean
 * colour through three unit rows P_r, P_g, P_b; the text tower's embedding of the word "red" is a
 * multiple of P_r and "blue" of P_b, so red photos sit near "a photo of a red." and blue near blue.
 */
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DataType, buildModel, float32Tensor, int64Tensor } from '../../main/engine/teacher/onnx-graph'
import { rng } from '../../main/engine/math/linalg'

export const D = 8
const E = 8
export const MAX_LENGTH = 12
export const VOCAB = { '[PAD]': 0, '[UNK]': 1, '<s>': 2, '</s>': 3, a: 4, photo: 5, of: 6, red: 7, blue: 8, '.': 9, green: 10, picture: 11 } as const

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r())

export interface TwoTower {
  manifestId: string
  /** 3 x D: the image tower's colour projection. */
  Pimg: number[][]
  /** V x E token embeddings and E x D projection of the text tower. */
  table: number[][]
  Ptxt: number[][]
}

function weights(seed: number): Omit<TwoTower, 'manifestId'> {
  const r = rng(seed)
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v))
  const Pimg = [0, 1, 2].map(() => unit(Array.from({ length: D }, () => gauss(r))))
  const V = Object.keys(VOCAB).length
  const table = Array.from({ length: V }, () => Array.from({ length: E }, () => 0.1 * gauss(r)))
  table[VOCAB.red] = Pimg[0]!.map((x) => 3 * x)
  table[VOCAB.blue] = Pimg[2]!.map((x) => 3 * x)
  table[VOCAB.green] = Pimg[1]!.map((x) => 3 * x)
  const Ptxt = Array.from({ length: E }, (_, i) => Array.from({ length: D }, (_, j) => (i === j ? 1 : 0) + 0.1 * gauss(r)))
  return { Pimg, table, Ptxt }
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')

/** The tokenizer.json: WordPiece over whole words, lower-cased, wrapped in <s> ... </s>. */
function tokenizerJson(): object {
  const names = Object.keys(VOCAB)
  return {
    version: '1.0',
    truncation: null,
    padding: { pad_id: 0, pad_token: '[PAD]' },
    added_tokens: [0, 1, 2, 3].map((id) => ({ id, content: names[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [],
      special_tokens: { '<s>': { id: '<s>', ids: [2], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [3], tokens: ['</s>'] } },
    },
    decoder: null,
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: VOCAB },
  }
}

/** Writes tiny-image.onnx, tiny-text.onnx, tiny-tokenizer.json and <id>.json into `dir`. */
export async function writeTwoTower(dir: string, opts: { id?: string; seed?: number; size?: number; prompts?: string[] } = {}): Promise<TwoTower> {
  const id = opts.id ?? 'tiny-clip'
  const size = opts.size ?? 8
  const w = weights(opts.seed ?? 7)
  const image = buildModel({
    opset: 13,
    inputs: [{ name: 'pixel_values', elemType: DataType.FLOAT, shape: ['batch', 3, size, size] }],
    outputs: [{ name: 'image_embeds', elemType: DataType.FLOAT, shape: ['batch', D] }],
    initializers: [float32Tensor('P_img', [3, D], w.Pimg.flat())],
    nodes: [
      { opType: 'GlobalAveragePool', inputs: ['pixel_values'], outputs: ['pooled'], name: 'gap' },
      { opType: 'Flatten', inputs: ['pooled'], outputs: ['colour'], name: 'flat', attributes: [{ name: 'axis', i: 1 }] },
      { opType: 'MatMul', inputs: ['colour', 'P_img'], outputs: ['image_embeds'], name: 'proj' },
    ],
  })
  const V = w.table.length
  const text = buildModel({
    opset: 13,
    inputs: [
      { name: 'input_ids', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
      { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
    ],
    outputs: [{ name: 'text_embeds', elemType: DataType.FLOAT, shape: ['batch', D] }],
    initializers: [float32Tensor('table', [V, E], w.table.flat()), float32Tensor('P_txt', [E, D], w.Ptxt.flat()), int64Tensor('axis2', [1], [2]), int64Tensor('axis1', [1], [1])],
    nodes: [
      { opType: 'Gather', inputs: ['table', 'input_ids'], outputs: ['tokens'], name: 'embed' },
      { opType: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], name: 'cast', attributes: [{ name: 'to', i: DataType.FLOAT }] },
      { opType: 'Unsqueeze', inputs: ['maskf', 'axis2'], outputs: ['mask3'], name: 'unsq' },
      { opType: 'Mul', inputs: ['tokens', 'mask3'], outputs: ['kept'], name: 'mul' },
      { opType: 'ReduceSum', inputs: ['kept', 'axis1'], outputs: ['sum'], name: 'sum', attributes: [{ name: 'keepdims', i: 0 }] },
      { opType: 'ReduceSum', inputs: ['mask3', 'axis1'], outputs: ['count'], name: 'count', attributes: [{ name: 'keepdims', i: 0 }] },
      { opType: 'Div', inputs: ['sum', 'count'], outputs: ['mean'], name: 'div' },
      { opType: 'MatMul', inputs: ['mean', 'P_txt'], outputs: ['text_embeds'], name: 'proj' },
    ],
  })
  const tok = JSON.stringify(tokenizerJson())
  await writeFile(path.join(dir, 'tiny-image.onnx'), image)
  await writeFile(path.join(dir, 'tiny-text.onnx'), text)
  await writeFile(path.join(dir, 'tiny-tokenizer.json'), tok)
  const manifest = {
    id,
    name: 'Tiny two-tower (test)',
    file: { path: 'tiny-image.onnx', sha256: sha256(image) },
    input: { name: 'pixel_values', layout: 'NCHW', size: [size, size], dtype: 'float32' },
    preprocess: { resize: 'squash', colour: 'RGB', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    outputs: { embedding: { tensor: 'image_embeds', dim: D } },
    text: {
      file: { path: 'tiny-text.onnx', sha256: sha256(text) },
      tokenizer: { path: 'tiny-tokenizer.json', sha256: sha256(tok) },
      inputs: { ids: 'input_ids', attentionMask: 'attention_mask' },
      maxLength: MAX_LENGTH,
      output: { tensor: 'text_embeds', dim: D },
      ...(opts.prompts ? { prompts: opts.prompts } : {}),
      logitScale: 50,
    },
  }
  await writeFile(path.join(dir, `${id}.json`), JSON.stringify(manifest, null, 2))
  return { manifestId: id, ...w }
}

/** The text tower in plain JS: mean of the kept tokens' rows, times P_txt, normalised. */
export function referenceText(t: TwoTower, ids: number[]): number[] {
  const mean = new Array<number>(E).fill(0)
  for (const id of ids) t.table[id]!.forEach((v, j) => (mean[j] = mean[j]! + v / ids.length))
  const out = Array.from({ length: D }, (_, j) => mean.reduce((s, m, i) => s + m * t.Ptxt[i]![j]!, 0))
  const n = Math.hypot(...out)
  return out.map((v) => v / n)
}
