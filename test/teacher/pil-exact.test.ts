import { describe, expect, it } from 'vitest'
import { resizeCropInto } from '../../main/engine/teacher/resample'

describe('PIL-compatible bilinear resampling', () => {
  it('upscales [0, 255] to [0, 64, 191, 255] as PIL does (edge pixels replicated, centres at +0.5)', () => {
    const src = Uint8Array.from([0, 255]) // 2 x 1, grey
    const dest = new Uint8Array(4 * 1 * 3)
    resizeCropInto(src, 2, 1, 1, 4, 1, { left: 0, top: 0, width: 4, height: 1 }, dest, 0)
    expect(Array.from(dest.filter((_, i) => i % 3 === 0))).toEqual([0, 64, 191, 255])
    // Grey input fills all three channels.
    expect(dest[3]).toBe(dest[4])
    expect(dest[4]).toBe(dest[5])
  })

  it('leaves an image alone at its own size and crops where asked', () => {
    const src = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 7) % 256) // 4 x 3 RGB
    const dest = new Uint8Array(2 * 2 * 3 + 5)
    resizeCropInto(src, 4, 3, 3, 4, 3, { left: 1, top: 1, width: 2, height: 2 }, dest, 5)
    const at = (x: number, y: number) => Array.from(src.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3))
    expect(Array.from(dest.subarray(5))).toEqual([...at(1, 1), ...at(2, 1), ...at(1, 2), ...at(2, 2)])
  })

  it('averages with a widened filter when halving, so no input pixel is skipped', () => {
    const src = Uint8Array.from([0, 0, 255, 255, 0, 0]) // 6 x 1 grey
    const dest = new Uint8Array(3 * 3)
    resizeCropInto(src, 6, 1, 1, 3, 1, { left: 0, top: 0, width: 3, height: 1 }, dest, 0)
    const out = Array.from(dest.filter((_, i) => i % 3 === 0))
    expect(out[1]).toBe(191) // weights 1/8, 3/8, 3/8, 1/8 over 0, 255, 255, 0: 191.25, rounded
    expect(out[0]).toBeGreaterThan(0) // and the edge outputs catch some of the bright pair
    expect(out[0]).toBe(out[2])
  })
})
