/**
 * The decode path the product had until DECODE_VERSION 3, kept for the teacher bench only (its
 * `decode_paths` comparison): PIL-exact bilinear upscaling in JavaScript, libvips for reductions.
 *
 * Its resampler is main/engine/teacher/resample.ts (the augmented views use it too). Bilinear
 * resampling as PIL (and so torchvision's default PIL path) does it: a triangle filter
 * whose support widens with the reduction factor, pixel centres at +0.5, a horizontal pass rounded
 * to uint8, then a vertical pass. Measured against libvips doing the same geometry with the
 * manifest's kernel (the product since), full-pool accuracy 68.9 / 86.9 / 94.1 % against
 * 69.3 / 86.5 / 95.4 % on cifar10-small / fashion-mnist-small / hymenoptera, at about half the
 * decode speed on the small images (test/bench/results/teacher.json, decode_paths).
 */
import sharp from 'sharp'
import type { Manifest } from '../../main/engine/teacher'
import { resizeCropInto } from '../../main/engine/teacher/resample'

/** Python's round(): halves go to the even neighbour, as torchvision's CenterCrop does. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/** Size after "resize the shorter side to s" (the longer side is truncated, as torchvision does). */
function shorterSideSize(w: number, h: number, s: number): [number, number] {
  return w <= h ? [s, Math.floor((s * h) / w)] : [Math.floor((s * w) / h), s]
}

const KERNEL = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest', lanczos3: 'lanczos3' } as const

/** decodeInto as it was at DECODE_VERSION 2 (same signature). */
export async function decodePilExact(abs: string, p: Manifest['preprocess'], size: [number, number], dest: Uint8Array, offset: number): Promise<void> {
  const [H, W] = size
  const img = sharp(abs, { limitInputPixels: 268_402_689, sequentialRead: true, ignoreIcc: true })
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
    if (p.interpolation === 'bilinear' && Math.min(w, h) <= (p.resizeTo ?? Math.min(H, W))) {
      const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
      if (info.channels !== 1 && info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 1 or 3`)
      resizeCropInto(data, info.width, info.height, info.channels, rw, rh, crop, dest, offset)
      return
    }
    pipeline = pipeline.resize(rw, rh, { fit: 'fill', kernel }).extract(crop)
  }
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  if (info.width !== W || info.height !== H) throw new Error(`decoded to ${info.width}x${info.height}, expected ${W}x${H}`)
  if (info.channels === 3) dest.set(data, offset)
  else if (info.channels === 1) for (let i = 0, o = offset; i < data.length; i++, o += 3) dest[o] = dest[o + 1] = dest[o + 2] = data[i] as number
  else throw new Error(`decoded to ${info.channels} channels, expected 3`)
}
