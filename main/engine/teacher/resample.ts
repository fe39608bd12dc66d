/**
 * Bilinear resampling as PIL (and so torchvision's default PIL path) does it: a triangle filter
 * whose support widens with the reduction factor, pixel centres at +0.5, a horizontal pass rounded
 * to uint8, then a vertical pass. Models trained with torchvision see exactly these pixels; libvips'
 * resize differs by 1-3 grey levels on average, which costs accuracy on small images.
 */

interface Taps {
  start: Int32Array
  count: Int32Array
  /** weights, `maxTaps` per output position */
  weights: Float64Array
  maxTaps: number
}

function taps(inSize: number, outSize: number, from: number, count: number): Taps {
  const scale = inSize / outSize
  const filterScale = Math.max(scale, 1)
  const support = filterScale // the bilinear filter's support is 1, widened when shrinking
  const maxTaps = Math.ceil(support) * 2 + 1
  const start = new Int32Array(count)
  const n = new Int32Array(count)
  const weights = new Float64Array(count * maxTaps)
  for (let j = 0; j < count; j++) {
    const centre = (from + j + 0.5) * scale
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0)
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize)
    let total = 0
    for (let i = lo; i < hi; i++) {
      const t = Math.abs((i - centre + 0.5) / filterScale)
      const w = t < 1 ? 1 - t : 0
      weights[j * maxTaps + (i - lo)] = w
      total += w
    }
    for (let i = 0; i < hi - lo; i++) weights[j * maxTaps + i]! /= total
    start[j] = lo
    n[j] = hi - lo
  }
  return { start, count: n, weights, maxTaps }
}

const toByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

/**
 * Resizes `src` (w x h x c bytes) to ow x oh and writes only the crop [left, left+cw) x [top, top+ch)
 * as RGB into `dest` at `offset` (grey input is repeated into three channels).
 */
export function resizeCropInto(
  src: Uint8Array,
  w: number,
  h: number,
  c: number,
  ow: number,
  oh: number,
  crop: { left: number; top: number; width: number; height: number },
  dest: Uint8Array,
  offset: number,
): void {
  const tx = taps(w, ow, crop.left, crop.width)
  const ty = taps(h, oh, crop.top, crop.height)
  // Horizontal pass over only the source rows the vertical pass will read.
  const rowLo = ty.start[0]!
  const rowHi = ty.start[crop.height - 1]! + ty.count[crop.height - 1]!
  const mid = new Uint8Array((rowHi - rowLo) * crop.width * c)
  for (let y = rowLo; y < rowHi; y++) {
    for (let x = 0; x < crop.width; x++) {
      const s = tx.start[x]!
      const k = tx.count[x]!
      const wo = x * tx.maxTaps
      for (let ch = 0; ch < c; ch++) {
        let acc = 0
        for (let i = 0; i < k; i++) acc += tx.weights[wo + i]! * src[(y * w + s + i) * c + ch]!
        mid[((y - rowLo) * crop.width + x) * c + ch] = toByte(acc)
      }
    }
  }
  for (let y = 0; y < crop.height; y++) {
    const s = ty.start[y]! - rowLo
    const k = ty.count[y]!
    const wo = y * ty.maxTaps
    for (let x = 0; x < crop.width; x++) {
      const o = offset + (y * crop.width + x) * 3
      for (let ch = 0; ch < 3; ch++) {
        const sc = c === 1 ? 0 : ch
        let acc = 0
        for (let i = 0; i < k; i++) acc += ty.weights[wo + i]! * mid[((s + i) * crop.width + x) * c + sc]!
        dest[o + ch] = toByte(acc)
      }
    }
  }
}
