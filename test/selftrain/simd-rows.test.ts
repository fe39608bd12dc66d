import { describe, expect, it } from 'vitest'
import { simdHeap, simdKernel } from '../../main/engine/math/simd'
import { baseRowSummed } from '../../main/engine/selftrain/features'
import { rng } from '../../main/engine/math/linalg'

describe("the kernel's row passes (sqrtRow, scaleRow)", () => {
  it('power and normalise a row as baseRowSummed does, signs, zeros and the running mean included', () => {
    const kernel = simdKernel()
    expect(kernel).not.toBeNull()
    const r = rng(3)
    const d = 132 // a multiple of 4, as the kernel's rows are
    const heap = simdHeap(1 << 16)
    const meanAt = 8192 // bytes: the f64 sums after the row
    const mean = new Float64Array(kernel!.memory.buffer, meanAt, d).fill(0.25)
    const want = new Float64Array(d).fill(0.25)
    let differing = 0
    for (let t = 0; t < 50; t++) {
      // negative values, exact zeros, a zero row: every branch of sign(x) |x|^0.5
      const row = Float32Array.from({ length: d }, (_, j) => (t === 7 || j % 11 === 0 ? 0 : (r() - 0.3) * 5))
      heap.set(row, 0)
      const s = kernel!.sqrtRow(0, d * 4)
      const sq = kernel!.scaleRow(0, d * 4, s > 0 ? 1 / Math.sqrt(s) : 1, meanAt)
      const ref = row.slice()
      const sqRef = baseRowSummed(ref, 0.5, want)
      const got = simdHeap(0).subarray(0, d)
      for (let j = 0; j < d; j++) {
        // the sums add in another order: at most the last bit of a value may differ
        if (got[j] !== ref[j]) differing++
        expect(Math.abs(got[j]! - ref[j]!)).toBeLessThanOrEqual(Math.abs(ref[j]!) * 2 ** -23)
        expect(Math.sign(got[j]!)).toBe(Math.sign(ref[j]!))
      }
      expect(sq).toBeCloseTo(sqRef, 12)
      expect(sq).toBeCloseTo(t === 7 ? 0 : 1, 5)
    }
    for (let j = 0; j < d; j++) expect(mean[j]).toBeCloseTo(want[j]!, 6)
    expect(differing).toBeLessThan(50 * d * 0.01)
  })
})
