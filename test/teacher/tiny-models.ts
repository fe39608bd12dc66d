/**
 * Tiny ONNX image models with random weights, built with the studio's own ONNX editing code
 * (an empty model filled by editGraph): a ViT-like token sequence, an NHWC uint8 model, a float16
 * model. Each is a few hundred bytes and runs on 8x8 images.
 */
import type { NewNode, NewTensor, NewValueInfo } from '../../main/engine/teacher/onnx-graph'
import { DataType, buildModel, float32Tensor, int64Tensor } from '../../main/engine/teacher/onnx-graph'
import { rng } from '../../main/engine/math/linalg'

/** Deterministic weights in [-1, 1) (the seeded generator: the same model every run). */
function randomWeights(n: number, seed = 1): number[] {
  const next = rng(seed)
  return Array.from({ length: n }, () => next() * 2 - 1)
}

const node = (opType: string, inputs: string[], outputs: string[], attributes?: NewNode['attributes']): NewNode => ({ opType, inputs, outputs, name: outputs[0] as string, ...(attributes ? { attributes } : {}) })

function build(opset: number, nodes: NewNode[], initializers: NewTensor[], inputs: NewValueInfo[], outputs: NewValueInfo[]): Uint8Array {
  return buildModel({ opset, nodes, initializers, inputs, outputs })
}

export const SIZE = 8
/** Token width of the ViT-like model; its sequence is 1 CLS token + a 2x2 grid of patches. */
export const TOKEN_DIM = 6
export const TOKENS = 5

/**
 * A ViT in miniature: a 4x4 patchify convolution, the patches as tokens, and a CLS token in
 * front (a learned constant plus the tokens' maximum, so it depends on the image as a real one
 * does through attention). Output `last_hidden_state` [N, 5, 6].
 */
export function tokenModel(opset = 17): Uint8Array {
  const D = TOKEN_DIM
  // Reductions took their axes as an attribute until opset 18, as an input since.
  const reduceMax = opset >= 18 ? node('ReduceMax', ['tokens', 'token_axis'], ['tokens_max'], [{ name: 'keepdims', i: 1 }]) : node('ReduceMax', ['tokens'], ['tokens_max'], [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 1 }])
  return build(
    opset,
    [
      node('Conv', ['pixel_values', 'patch_w'], ['patches'], [{ name: 'kernel_shape', ints: [4, 4] }, { name: 'strides', ints: [4, 4] }]),
      node('Reshape', ['patches', 'flat_shape'], ['flat']),
      node('Transpose', ['flat'], ['tokens'], [{ name: 'perm', ints: [0, 2, 1] }]),
      reduceMax,
      node('Add', ['tokens_max', 'cls_token'], ['cls']),
      node('Concat', ['cls', 'tokens'], ['last_hidden_state'], [{ name: 'axis', i: 1 }]),
    ],
    [float32Tensor('patch_w', [D, 3, 4, 4], randomWeights(D * 48, 7)), int64Tensor('flat_shape', [3], [0, D, -1]), float32Tensor('cls_token', [1, 1, D], randomWeights(D, 9)), int64Tensor('token_axis', [1], [1])],
    [{ name: 'pixel_values', elemType: DataType.FLOAT, shape: ['batch', 3, SIZE, SIZE] }],
    [{ name: 'last_hidden_state', elemType: DataType.FLOAT, shape: ['batch', TOKENS, D] }],
  )
}

export const NHWC_DIM = 4
/** The NHWC model's whole-image convolution weights, [D, 3, 8, 8], for a reference computed in JS. */
export const nhwcWeights = () => randomWeights(NHWC_DIM * 3 * SIZE * SIZE, 11)

/**
 * uint8 [N, 8, 8, 3] in (the model scales the bytes itself), one whole-image convolution out as
 * `features` [N, 4, 1, 1]; `constant` [N, 4, 1, 1] is the same times zero plus a bias: a wrong
 * guess that gives every image the same vector.
 */
export function nhwcUint8Model(): Uint8Array {
  return build(
    13,
    [
      node('Cast', ['image'], ['image_f'], [{ name: 'to', i: DataType.FLOAT }]),
      node('Transpose', ['image_f'], ['image_nchw'], [{ name: 'perm', ints: [0, 3, 1, 2] }]),
      node('Conv', ['image_nchw', 'w'], ['features'], [{ name: 'kernel_shape', ints: [SIZE, SIZE] }]),
      node('Mul', ['features', 'zero'], ['zeroed']),
      node('Add', ['zeroed', 'bias'], ['constant']),
    ],
    [float32Tensor('w', [NHWC_DIM, 3, SIZE, SIZE], nhwcWeights()), float32Tensor('zero', [1], [0]), float32Tensor('bias', [1, NHWC_DIM, 1, 1], [1, 2, 3, 4])],
    [{ name: 'image', elemType: DataType.UINT8, shape: ['batch', SIZE, SIZE, 3] }],
    [
      { name: 'features', elemType: DataType.FLOAT, shape: ['batch', NHWC_DIM, 1, 1] },
      { name: 'constant', elemType: DataType.FLOAT, shape: ['batch', NHWC_DIM, 1, 1] },
    ],
  )
}

export const HALF_DIM = 5
export const halfWeights = () => randomWeights(HALF_DIM * 3 * SIZE * SIZE, 13)

/**
 * float16 [N, 3, 8, 8] in, float16 [N, 5] out: a whole-image convolution computed in float32
 * between two Casts (float16 weights would need a float16 encoder; the input and output types are
 * what the studio must handle).
 */
export function float16Model(): Uint8Array {
  return build(
    13,
    [
      node('Cast', ['x'], ['x_f'], [{ name: 'to', i: DataType.FLOAT }]),
      node('Conv', ['x_f', 'w'], ['conv'], [{ name: 'kernel_shape', ints: [SIZE, SIZE] }]),
      node('Flatten', ['conv'], ['flat'], [{ name: 'axis', i: 1 }]),
      node('Cast', ['flat'], ['embedding'], [{ name: 'to', i: DataType.FLOAT16 }]),
    ],
    [float32Tensor('w', [HALF_DIM, 3, SIZE, SIZE], halfWeights())],
    [{ name: 'x', elemType: DataType.FLOAT16, shape: ['batch', 3, SIZE, SIZE] }],
    [{ name: 'embedding', elemType: DataType.FLOAT16, shape: ['batch', HALF_DIM] }],
  )
}

/** A whole-image convolution in JS: out[d] = sum w[d, c, y, x] * v(y, x, c), from RGB bytes (HWC). */
export function convReference(rgb: Uint8Array, w: number[], dim: number, value: (byte: number, c: number) => number): number[] {
  const out = new Array<number>(dim).fill(0)
  for (let d = 0; d < dim; d++) {
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < SIZE * SIZE; p++) out[d] = (out[d] as number) + (w[((d * 3 + c) * SIZE * SIZE) + p] as number) * value(rgb[p * 3 + c] as number, c)
    }
  }
  return out
}

/**
 * The mean colour of an image: `x` [batch, C, h, w] with `batch` and the spatial size as given
 * (numbers fix them, names leave them dynamic), GlobalAveragePool to `pooled` [batch, C, 1, 1].
 */
export function meanColourModel(batch: number | string, channels = 3, spatial: (number | string)[] = ['h', 'w']): Uint8Array {
  return build(
    13,
    [node('GlobalAveragePool', ['x'], ['pooled'])],
    [],
    [{ name: 'x', elemType: DataType.FLOAT, shape: [batch, channels, ...spatial] }],
    [{ name: 'pooled', elemType: DataType.FLOAT, shape: [batch, channels, 1, 1] }],
  )
}

/**
 * The mean colour through a graph that really needs a batch of 1, as many exports are (a Reshape to
 * a fixed [1, 3]): fed a bigger batch, ORT refuses it. `batch`: the batch it needs (2: fed 1 or 3
 * images, ORT refuses them too).
 */
export function batchOfOneModel(batch = 1): Uint8Array {
  return build(
    13,
    [node('GlobalAveragePool', ['x'], ['pooled']), node('Reshape', ['pooled', 'one_by_three'], ['colour'])],
    [int64Tensor('one_by_three', [2], [batch, 3])],
    [{ name: 'x', elemType: DataType.FLOAT, shape: [batch, 3, SIZE, SIZE] }],
    [{ name: 'colour', elemType: DataType.FLOAT, shape: [batch, 3] }],
  )
}
