/**
 * Decode + resize with sharp (libvips runs it on libuv's thread pool, off the event loop), giving
 * raw RGB uint8 at the model's size. Normalisation happens inside the graph (see model.ts).
 */
import sharp from 'sharp'
import type { Manifest } from './manifest'
import { resizeCropInto } from './resample'

/** Decompression-bomb guard, the same limit as the library's scan (sharp's default). */
const MAX_INPUT_PIXELS = 268_402_689

/**
 * Bumped whenever decoding changes the pixels it gives, so that embedding caches made by an older
 * decoder are not mixed with new ones. 2: PIL-exact bilinear upscaling, embedded ICC profiles ignored.
 */
export const DECODE_VERSION = 2

const KERNEL = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest', lanczos3: 'lanczos3' } as const

/** Python's round(): halves go to the even neighbour, as torchvision's CenterCrop does. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/** Size after "resize the shorter side to s" (the longer side is truncated, as torchvision does). */
export function shorterSideSize(w: number, h: number, s: number): [number, number] {
  return w <= h ? [s, Math.floor((s * h) / w)] : [Math.floor((s * w) / h), s]
}

/**
 * Decodes `abs` and writes H*W*3 RGB bytes into `dest` at `offset`. Throws with sharp's reason
 * when the file cannot be decoded.
 */
export async function decodeInto(abs: string, p: Manifest['preprocess'], size: [number, number], dest: Uint8Array, offset: number): Promise<void> {
  const [H, W] = size
  // ignoreIcc: torchvision (PIL) ignores embedded colour profiles, so the model was trained without them.
  const img = sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, ignoreIcc: true })
  let pipeline = p.exifRotate ? img.rotate() : img
  const kernel = KERNEL[p.interpolation]
  if (p.resize === 'squash') {
    pipeline = pipeline.resize(W, H, { fit: 'fill', kernel })
  } else {
    const meta = await img.metadata()
    if (!meta.width || !meta.height) throw new Error('no image dimensions in the file header')
    const swap = p.exifRotate && (meta.orientation ?? 1) >= 5
    const [w, h] = swap ? [meta.height, meta.width] : [meta.width, meta.height]
    const [rw, rh] = shorterSideSize(w, h, p.resizeTo ?? Math.min(H, W))
    const crop = { left: roundHalfEven((rw - W) / 2), top: roundHalfEven((rh - H) / 2), width: W, height: H }
    // Upscaling (small images: CIFAR, MNIST-like, thumbnails) in JavaScript, bilinear exactly as
    // torchvision/PIL computes it: there libvips differs by 1-2 grey levels on average, which cost
    // about 3 points of accuracy on cifar10-small. It is cheap at these sizes. Reductions keep
    // libvips' resize (within about 0.1 grey level of PIL on photos, measured), which runs off the
    // event loop and costs far less than a full-size decode plus a wide filter here.
    if (p.interpolation === 'bilinear' && Math.min(w, h) <= (p.resizeTo ?? Math.min(H, W))) {
      const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
      if (info.channels !== 1 && info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 1 or 3`)
      resizeCropInto(data, info.width, info.height, info.channels, rw, rh, crop, dest, offset)
      return
    }
    pipeline = pipeline
      .resize(rw, rh, { fit: 'fill', kernel })
      .extract(crop)
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
