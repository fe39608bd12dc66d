/**
 * Augmented views of a decoded image, for the teacher pass: view v of an image is a random
 * horizontal flip, a random resized crop and a small colour jitter of the H x W x 3 RGB bytes that
 * decodeInto wrote, drawn from a generator seeded by (image id, v), so the same image gives the same
 * view on every machine and every run. The views feed test-time averaging and the noisy student
 * (selftrain/views.ts); each view has its own embedding cache (viewCacheKey).
 */
import { createHash } from 'node:crypto'
import { rng } from '../math/linalg'
import type { CacheKey } from './cache'
import { resizeCropInto } from './resample'

/**
 * The recipe's parameters. Light on purpose: the views stand for the same image (a head is scored
 * on their mean, a student trained on them with the clean image's label), so a crop keeps at least
 * 80 % of the area and the colour moves by at most 10 %. Measured (test/bench/results/
 * ablation-views.json, k = 4, no review): with version 1 (crops down to 40 %, 20 % jitter)
 * test-time averaging lost 2.0 points on hymenoptera and 4.7 on fashion-mnist-small; with this
 * one it gains 0.4 and loses 1.3.
 */
export const AUGMENT_RECIPE = {
  version: 2,
  flip: 0.5,
  /** area of the crop as a share of the image, uniform in [min, max] */
  scale: [0.8, 1],
  /** aspect ratio of the crop, log-uniform in [min, max] */
  ratio: [3 / 4, 4 / 3],
  /** brightness, contrast and saturation factors, each uniform in [1 - j, 1 + j] */
  jitter: 0.1,
} as const

/** 32 bits of sha256 of (id, view): a seed per view that does not depend on the order images come in. */
export function viewSeed(id: string, view: number): number {
  return createHash('sha256').update(`${id}\u0000${view}`).digest().readUInt32LE(0)
}

/** What a view's embeddings are keyed on: the clean cache's key, the recipe and the view index (not K: view 2 is the same whether K is 3 or 8). */
export function viewCacheKey(key: CacheKey, view: number): CacheKey {
  const hash = createHash('sha256').update(JSON.stringify({ clean: key.preprocessHash, recipe: AUGMENT_RECIPE, view })).digest('hex')
  return { ...key, preprocessHash: hash }
}

const clampByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

/**
 * Writes view `view` of the W x H RGB image `src` (W * H * 3 bytes at `srcOffset`) into `dest` at
 * `destOffset`, the same size. `src` is not changed.
 */
export function augmentInto(src: Uint8Array, srcOffset: number, size: [number, number], id: string, view: number, dest: Uint8Array, destOffset: number): void {
  const [H, W] = size
  const rand = rng(viewSeed(id, view))
  const r = AUGMENT_RECIPE
  // random resized crop (torchvision's RandomResizedCrop, with its fallback to the whole image)
  let cw = W
  let ch = H
  let left = 0
  let top = 0
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = W * H * (r.scale[0] + (r.scale[1] - r.scale[0]) * rand())
    const logRatio = Math.log(r.ratio[0]) + (Math.log(r.ratio[1]) - Math.log(r.ratio[0])) * rand()
    const w = Math.round(Math.sqrt(area * Math.exp(logRatio)))
    const h = Math.round(Math.sqrt(area / Math.exp(logRatio)))
    if (w >= 1 && h >= 1 && w <= W && h <= H) {
      cw = w
      ch = h
      left = Math.floor(rand() * (W - w + 1))
      top = Math.floor(rand() * (H - h + 1))
      break
    }
  }
  const flip = rand() < r.flip
  const brightness = 1 + r.jitter * (2 * rand() - 1)
  const contrast = 1 + r.jitter * (2 * rand() - 1)
  const saturation = 1 + r.jitter * (2 * rand() - 1)

  // the crop (flipped when drawn so), then resized back to W x H, PIL-exact bilinear as the decode is
  const crop = new Uint8Array(cw * ch * 3)
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const sx = left + (flip ? cw - 1 - x : x)
      const s = srcOffset + ((top + y) * W + sx) * 3
      const o = (y * cw + x) * 3
      crop[o] = src[s]!
      crop[o + 1] = src[s + 1]!
      crop[o + 2] = src[s + 2]!
    }
  resizeCropInto(crop, cw, ch, 3, W, H, { left: 0, top: 0, width: W, height: H }, dest, destOffset)

  // colour jitter on the result: brightness, then contrast about the mean grey, then saturation
  // about each pixel's grey (torchvision's ColorJitter order, fixed here)
  const n = W * H
  let grey = 0
  for (let i = 0, o = destOffset; i < n; i++, o += 3) grey += 0.299 * dest[o]! + 0.587 * dest[o + 1]! + 0.114 * dest[o + 2]!
  const meanGrey = (brightness * grey) / n
  for (let i = 0, o = destOffset; i < n; i++, o += 3) {
    let R = dest[o]! * brightness
    let G = dest[o + 1]! * brightness
    let B = dest[o + 2]! * brightness
    R = meanGrey + contrast * (R - meanGrey)
    G = meanGrey + contrast * (G - meanGrey)
    B = meanGrey + contrast * (B - meanGrey)
    const g = 0.299 * R + 0.587 * G + 0.114 * B
    dest[o] = clampByte(g + saturation * (R - g))
    dest[o + 1] = clampByte(g + saturation * (G - g))
    dest[o + 2] = clampByte(g + saturation * (B - g))
  }
}
