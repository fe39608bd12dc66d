import { gemmABt, gemmAtB, type Matrix } from './linalg'
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

export interface LinearProducts {
  forward: (params: Float64Array, Z: Float64Array) => void
  backward: (R: Float64Array, G: Float64Array) => void
}

/** One thread's part of the products (products-pool.ts): rows [r0, r1) of Z, columns [j0, j1) of G. */
export interface ProductShare {
  rows: [number, number]
  cols: [number, number]
}

/**
 * The two products of a linear layer over a fixed X (n x d) and k outputs:
 * forward Z = X W^T (W = the first k*d entries of the parameters) and backward G = R^T X.
 * With SIMD, X and X^T stay in the kernel's memory for the whole fit; backward is computed as
 * X^T R (d x k) so that one kernel serves both directions.
 *
 * With `share`, only that part is computed (Z and R stay n x k, G k x d; other entries are left
 * alone): forward splits by rows and backward by columns, so each entry is the same sum in the
 * same order as without a share, and a fit on several threads equals the one-thread fit exactly.
 */
export function linearProducts(X: Matrix, k: number, share?: ProductShare): LinearProducts {
  const n = X.rows
  const d = X.cols
  const [r0, r1] = share?.rows ?? [0, n]
  const [j0, j1] = share?.cols ?? [0, d]
  const kernel = simdKernel()
  if (!kernel) {
    if (share) throw new Error('linearProducts: a share needs the SIMD kernel')
    const Wf = new Float32Array(k * d)
    return {
      forward(params, Z) {
        for (let i = 0; i < k * d; i++) Wf[i] = params[i]!
        gemmABt(X.data, n, Wf, k, d, Z)
      },
      backward(R, G) {
        G.fill(0)
        gemmAtB(X.data, n, d, R, k, G)
      },
    }
  }
  const m = r1 - r0
  const w = j1 - j0
  const d4 = pad4(d)
  const n4 = pad4(n)
  const k4 = pad4(k)
  const offX = 0
  const offXt = offX + m * d4
  const offW = offXt + w * n4
  const offRt = offW + k4 * d4
  const offZ = offRt + k4 * n4
  const offGt = offZ + m * k4
  const end = offGt + w * k4
  let heap = simdHeap(end * 4)
  putRows(heap, offX, X.data.subarray(r0 * d, r1 * d), m, d, d4)
  heap.fill(0, offXt, offRt)
  for (let i = 0; i < n; i++) {
    const src = i * d
    for (let j = j0; j < j1; j++) heap[offXt + (j - j0) * n4 + i] = X.data[src + j]!
  }
  heap.fill(0, offRt, end)
  // growing the memory detaches old views: take a fresh one per call (cheap). The layout is only
  // valid within one synchronous fit, which is how heads use it.
  const ensure = () => {
    heap = simdHeap(end * 4)
    return heap
  }
  return {
    forward(params, Z) {
      const h = ensure()
      h.fill(0, offW, offRt)
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) h[offW + c * d4 + j] = params[c * d + j]!
      kernel.abt(offX * 4, m, offW * 4, k4, d4, offZ * 4)
      for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) Z[(r0 + i) * k + c] = h[offZ + i * k4 + c]!
    },
    backward(R, G) {
      const h = ensure()
      for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) h[offRt + c * n4 + i] = R[i * k + c]!
      kernel.abt(offXt * 4, w, offRt * 4, k4, n4, offGt * 4)
      for (let j = 0; j < w; j++) for (let c = 0; c < k; c++) G[c * d + j0 + j] = h[offGt + j * k4 + c]!
    },
  }
}
