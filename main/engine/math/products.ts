import { gemmABt } from './linalg'
import { pad4, putRows, simdHeap, simdKernel } from './simd'

/**
 * out[i * rowsB + c] = A[i,:] . B[c,:], with the SIMD kernel when it exists (A is walked in chunks
 * so the heap stays small), else scalar JavaScript.
 */
export function matmulABt(A: Float32Array, rowsA: number, B: Float32Array, rowsB: number, d: number, out: Float64Array): void {
  const k = simdKernel()
  if (!k || rowsA * rowsB < 64) {
    gemmABt(A, rowsA, B, rowsB, d, out)
    return
  }
  const d4 = pad4(d)
  const b4 = pad4(rowsB)
  const chunk = Math.max(4, Math.min(rowsA, Math.floor((8 << 20) / (d4 * 4))))
  const offB = 0
  const offA = b4 * d4
  const offO = offA + chunk * d4
  const heap = simdHeap((offO + chunk * b4) * 4)
  putRows(heap, offB, B, rowsB, d, d4, b4)
  for (let r0 = 0; r0 < rowsA; r0 += chunk) {
    const rows = Math.min(chunk, rowsA - r0)
    putRows(heap, offA, A.subarray(r0 * d, (r0 + rows) * d), rows, d, d4)
    k.abt(offA * 4, rows, offB * 4, b4, d4, offO * 4)
    for (let i = 0; i < rows; i++) {
      const src = offO + i * b4
      const dst = (r0 + i) * rowsB
      for (let c = 0; c < rowsB; c++) out[dst + c] = heap[src + c]!
    }
  }
}
