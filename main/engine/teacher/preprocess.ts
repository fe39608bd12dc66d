/**
 * Decode + resize with sharp (libvips runs it on libuv's thread pool, off the event loop), giving
 * raw RGB uint8 at the model's size. Normalisation happens inside the graph (see model.ts).
 */
import sharp, { type Sharp } from 'sharp'
import type { Manifest } from './manifest'

/** Decompression-bomb guard, the same limit as the library's scan (sharp's default). */
const MAX_INPUT_PIXELS = 268_402_689

/**
 * Bumped whenever decoding changes the pixels it gives, so that embedding caches made by an older
 * decoder are not mixed with new ones (the cache key, model.ts preprocessHashOf, includes it).
 * 2: PIL-exact bilinear upscaling, embedded ICC profiles ignored.
 * 3: libvips does every resize (PIL-exact upscaling measured slower and not more accurate:
 *    test/bench/results/teacher.json, decode_paths); one pipeline, no header read first.
 */
export const DECODE_VERSION = 3

const KERNEL = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest', lanczos3: 'lanczos3' } as const

/**
 * Decodes `abs` and writes H*W*3 RGB bytes into `dest` at `offset`. Throws with sharp's reason
 * when the file cannot be decoded.
 */
export async function decodeInto(abs: string, p: Manifest['preprocess'], size: [number, number], dest: Uint8Array, offset: number): Promise<void> {
  const [H, W] = size
  // ignoreIcc: torchvision (PIL) ignores embedded colour profiles, so the model was trained without them.
  const img = sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, ignoreIcc: true })
  const rotated = p.exifRotate ? img.rotate() : img
  const kernel = KERNEL[p.interpolation]
  let pipeline: Sharp
  if (p.resize === 'squash') {
    pipeline = rotated.resize(W, H, { fit: 'fill', kernel })
  } else {
    // Shorter side to resizeTo, then the centre H x W: a centre crop of the box first (cover), so
    // libvips needs no header read to know the scaled size. For the usual square input that is
    // exactly shorter-side-then-centre-crop; a side of input.size larger than resizeTo widens the box.
    const s = p.resizeTo ?? Math.min(H, W)
    const [bw, bh] = [Math.max(s, W), Math.max(s, H)]
    pipeline = rotated.resize(bw, bh, { fit: 'cover', kernel }).extract({ left: (bw - W) >> 1, top: (bh - H) >> 1, width: W, height: H })
  }
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  if (info.width !== W || info.height !== H) throw new Error(`decoded to ${info.width}x${info.height}, expected ${W}x${H}`)
  if (info.channels === 3) {
    dest.set(data, offset)
  } else if (info.channels === 1) {
    for (let i = 0, o = offset; i < data.length; i++, o += 3) dest[o] = dest[o + 1] = dest[o + 2] = data[i] as number
  } else {
    throw new Error(`decoded to ${info.channels} channels, expected 3`)
  }
}
