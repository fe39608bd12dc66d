/**
 * The one matrix kernel that costs: out = A * B^T on float32, in WebAssembly SIMD (f32x4).
 * Scalar JavaScript reaches about 0.8 GMAC/s here; four lanes at once do several times better,
 * with no native addon and the same code in a worker thread or the renderer.
 *
 * The module is assembled from the opcode table below at load time (about 200 bytes), so the
 * source is readable here and no build step or binary blob is needed.
 *
 * Kernel contract (byte offsets into the shared memory):
 *   abt(a, rowsA, b, rowsB, d, out): out[i * rowsB + c] = sum_{j<d} a[i*d + j] * b[c*d + j]
 *   d must be a multiple of 4, rowsB a multiple of 4 (pad with zero rows / columns).
 * and two row passes of features.ts's baseRowSummed at power 0.5 (n bytes, a multiple of 16), for
 * "more like this", whose first query transforms every row of the teacher cache (~0.5 GB at
 * 100k images; in JavaScript that was most of its time):
 *   sqrtRow(p, n) -> f64: x -> sign(x) sqrt|x| in place; returns the sum of squares (in f64)
 *   scaleRow(p, n, inv, mean) -> f64: x -> float32(x * inv) in place (the product taken in f64,
 *     as JavaScript does), adds the row into the f64 array at `mean`, returns its sum of squares
 * The sums add in another order than JavaScript's loop, so a row can differ from baseRow's in the
 * last bit of a value: float32 rounding, not a different transform.
 */

const I32 = 0x7f
const V128 = 0x7b
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  get: 0x20,
  set: 0x21,
  i32const: 0x41,
  i32add: 0x6a,
  i32mul: 0x6c,
  i32geU: 0x4f,
  f32add: 0x92,
  f32store: 0x38,
  f64add: 0xa0,
}
const simd = {
  load: [0xfd, 0x00],
  const: [0xfd, 0x0c],
  extract: [0xfd, 0x1f],
  add: [0xfd, 0xe4, 0x01],
  mul: [0xfd, 0xe6, 0x01],
  store: [0xfd, 0x0b],
  shuffle: [0xfd, 0x0d],
  and: [0xfd, 0x4e],
  or: [0xfd, 0x50],
  abs: [0xfd, 0xe0, 0x01],
  sqrt: [0xfd, 0xe3, 0x01],
  f64splat: [0xfd, 0x14],
  f64extract: [0xfd, 0x21],
  f64add: [0xfd, 0xf0, 0x01],
  f64mul: [0xfd, 0xf2, 0x01],
  demote: [0xfd, 0x5e],
  promote: [0xfd, 0x5f],
}
const F64 = 0x7c
/** lanes 2 and 3 of a f32x4 moved to 0 and 1 (so that promote takes them) */
const HIGH = [...simd.shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]
/** lanes 0 and 1 of the first f32x4, then 0 and 1 of the second */
const LOWS = [...simd.shuffle, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]

function leb(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}
function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte)
      return out
    }
    out.push(byte | 0x80)
  }
}
const str = (s: string) => [...leb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))]
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body]

function abtBody(): number[] {
  // params: a=0 rowsA=1 b=2 rowsB=3 d=4 out=5
  const [a, rowsA, b, rowsB, , out] = [0, 1, 2, 3, 4, 5]
  // i32 locals
  const [i, c, j, arow, b0, b1, b2, b3, dB] = [6, 7, 8, 9, 10, 11, 12, 13, 14]
  // v128 locals
  const [acc0, acc1, acc2, acc3, av] = [15, 16, 17, 18, 19]
  const get = (l: number) => [op.get, l]
  const set = (l: number) => [op.set, l]
  const k = (v: number) => [op.i32const, ...sleb(v)]
  const zero = [...simd.const, ...new Array(16).fill(0)]
  const fma = (acc: number, bp: number) => [
    ...get(acc),
    ...get(av),
    ...get(bp), ...get(j), op.i32add, ...simd.load, 4, 0,
    ...simd.mul,
    ...simd.add,
    ...set(acc),
  ]
  const hsumStore = (acc: number, lane: number) => [
    // address: out + ((i * rowsB + c + lane) * 4)
    ...get(out), ...get(i), ...get(rowsB), op.i32mul, ...get(c), op.i32add, ...k(lane), op.i32add, ...k(4), op.i32mul, op.i32add,
    ...get(acc), ...simd.extract, 0,
    ...get(acc), ...simd.extract, 1, op.f32add,
    ...get(acc), ...simd.extract, 2, op.f32add,
    ...get(acc), ...simd.extract, 3, op.f32add,
    op.f32store, 2, 0,
  ]
  const code = [
    ...get(4), ...k(4), op.i32mul, ...set(dB),
    ...k(0), ...set(i),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...get(rowsA), op.i32geU, op.brIf, 1,
    ...get(a), ...get(i), ...get(dB), op.i32mul, op.i32add, ...set(arow),
    ...k(0), ...set(c),
    op.block, 0x40, op.loop, 0x40,
    ...get(c), ...get(rowsB), op.i32geU, op.brIf, 1,
    ...get(b), ...get(c), ...get(dB), op.i32mul, op.i32add, ...set(b0),
    ...get(b0), ...get(dB), op.i32add, ...set(b1),
    ...get(b1), ...get(dB), op.i32add, ...set(b2),
    ...get(b2), ...get(dB), op.i32add, ...set(b3),
    ...zero, ...set(acc0), ...zero, ...set(acc1), ...zero, ...set(acc2), ...zero, ...set(acc3),
    ...k(0), ...set(j),
    op.block, 0x40, op.loop, 0x40,
    ...get(j), ...get(dB), op.i32geU, op.brIf, 1,
    ...get(arow), ...get(j), op.i32add, ...simd.load, 4, 0, ...set(av),
    ...fma(acc0, b0), ...fma(acc1, b1), ...fma(acc2, b2), ...fma(acc3, b3),
    ...get(j), ...k(16), op.i32add, ...set(j),
    op.br, 0,
    op.end, op.end,
    ...hsumStore(acc0, 0), ...hsumStore(acc1, 1), ...hsumStore(acc2, 2), ...hsumStore(acc3, 3),
    ...get(c), ...k(4), op.i32add, ...set(c),
    op.br, 0,
    op.end, op.end,
    ...get(i), ...k(1), op.i32add, ...set(i),
    op.br, 0,
    op.end, op.end,
    op.end,
  ]
  const locals = [2, ...leb(9), I32, ...leb(5), V128]
  const body = [...locals, ...code]
  return [...leb(body.length), ...body]
}

/** A loop over a row's bytes [p, p + n), 16 at a time, the byte index in local `j`. */
function rowLoop(n: number, j: number, body: number[]): number[] {
  return [
    op.i32const, 0, op.set, j,
    op.block, 0x40, op.loop, 0x40,
    op.get, j, op.get, n, op.i32geU, op.brIf, 1,
    ...body,
    op.get, j, op.i32const, 16, op.i32add, op.set, j,
    op.br, 0,
    op.end, op.end,
  ]
}
const zeroV = [...simd.const, ...new Array(16).fill(0)]
/** acc += t * t, on f64x2 locals */
const addSquares = (acc: number, t: number) => [op.get, acc, op.get, t, op.get, t, ...simd.f64mul, ...simd.f64add, op.set, acc]
/** the two lanes of an f64x2 local, added */
const lanesSum = (acc: number) => [op.get, acc, ...simd.f64extract, 0, op.get, acc, ...simd.f64extract, 1, op.f64add]

function sqrtRowBody(): number[] {
  // params: p=0 n=1; locals: j=2 (i32), v=3 w=4 t=5 acc=6 (v128)
  const [p, n, j, v, w, t, acc] = [0, 1, 2, 3, 4, 5, 6]
  const sign = [...simd.const, ...Array.from({ length: 16 }, (_, b) => (b % 4 === 3 ? 0x80 : 0))]
  const code = [
    ...zeroV, op.set, acc,
    ...rowLoop(n, j, [
      op.get, p, op.get, j, op.i32add, ...simd.load, 4, 0, op.set, v,
      // sqrt|x| with x's sign bit put back: -sqrt(-x) for x < 0, as baseRow
      op.get, v, ...simd.abs, ...simd.sqrt, op.get, v, ...sign, ...simd.and, ...simd.or, op.set, w,
      op.get, p, op.get, j, op.i32add, op.get, w, ...simd.store, 4, 0,
      op.get, w, ...simd.promote, op.set, t, ...addSquares(acc, t),
      op.get, w, op.get, w, ...HIGH, ...simd.promote, op.set, t, ...addSquares(acc, t),
    ]),
    ...lanesSum(acc),
    op.end,
  ]
  const body = [2, 1, I32, 4, V128, ...code]
  return [...leb(body.length), ...body]
}

function scaleRowBody(): number[] {
  // params: p=0 n=1 inv=2 (f64) mean=3; locals: j=4 (i32), v=5 lo=6 hi=7 acc=8 s=9 (v128)
  const [p, n, inv, mean, j, v, lo, hi, acc, s] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  // mean + 2 j (+ 16): the f64 pair for lanes 0, 1 (2, 3) of the f32x4 at p + j
  const meanAt = (plus: number) => [op.get, mean, op.get, j, op.get, j, op.i32add, op.i32add, ...(plus ? [op.i32const, plus, op.i32add] : [])]
  const addMean = (plus: number, t: number) => [...meanAt(plus), ...meanAt(plus), ...simd.load, 4, 0, op.get, t, ...simd.f64add, ...simd.store, 4, 0]
  const code = [
    op.get, inv, ...simd.f64splat, op.set, s,
    ...zeroV, op.set, acc,
    ...rowLoop(n, j, [
      op.get, p, op.get, j, op.i32add, ...simd.load, 4, 0, op.set, v,
      // x * inv in f64, rounded to f32: Math.fround(x * inv)
      op.get, v, ...simd.promote, op.get, s, ...simd.f64mul, ...simd.demote,
      op.get, v, op.get, v, ...HIGH, ...simd.promote, op.get, s, ...simd.f64mul, ...simd.demote,
      ...LOWS, op.set, v,
      op.get, p, op.get, j, op.i32add, op.get, v, ...simd.store, 4, 0,
      op.get, v, ...simd.promote, op.set, lo,
      op.get, v, op.get, v, ...HIGH, ...simd.promote, op.set, hi,
      ...addMean(0, lo), ...addMean(16, hi),
      ...addSquares(acc, lo), ...addSquares(acc, hi),
    ]),
    ...lanesSum(acc),
    op.end,
  ]
  const body = [2, 1, I32, 6, V128, ...code]
  return [...leb(body.length), ...body]
}

function moduleBytes(): Uint8Array {
  const type = section(1, [3, 0x60, 6, I32, I32, I32, I32, I32, I32, 0, 0x60, 2, I32, I32, 1, F64, 0x60, 4, I32, I32, F64, I32, 1, F64])
  const imports = section(2, [1, ...str('env'), ...str('memory'), 0x02, 0x00, 1])
  const funcs = section(3, [3, 0, 1, 2])
  const exports = section(7, [3, ...str('abt'), 0x00, 0, ...str('sqrtRow'), 0x00, 1, ...str('scaleRow'), 0x00, 2])
  const code = section(10, [3, ...abtBody(), ...sqrtRowBody(), ...scaleRowBody()])
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code])
}

type Abt = (a: number, rowsA: number, b: number, rowsB: number, d: number, out: number) => void
type Kernel = {
  memory: WebAssembly.Memory
  abt: Abt
  sqrtRow: (p: number, n: number) => number
  scaleRow: (p: number, n: number, inv: number, mean: number) => number
}

let kernel: Kernel | null | undefined

/** The SIMD kernel, or null where WebAssembly SIMD is not available (callers fall back to JS). */
export function simdKernel(): Kernel | null {
  if (kernel !== undefined) return kernel
  try {
    const memory = new WebAssembly.Memory({ initial: 1 })
    const mod = new WebAssembly.Module(moduleBytes() as BufferSource)
    const inst = new WebAssembly.Instance(mod, { env: { memory } })
    const e = inst.exports
    kernel = { memory, abt: e.abt as Abt, sqrtRow: e.sqrtRow as Kernel['sqrtRow'], scaleRow: e.scaleRow as Kernel['scaleRow'] }
  } catch {
    kernel = null
  }
  return kernel
}

/** Grows the kernel's memory to at least `bytes`; returns a fresh Float32Array view of all of it. */
export function simdHeap(bytes: number): Float32Array {
  const k = simdKernel()
  if (!k) throw new Error('WebAssembly SIMD is not available')
  const have = k.memory.buffer.byteLength
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536))
  return new Float32Array(k.memory.buffer)
}

export const pad4 = (n: number) => (n + 3) & ~3

/** Copies rows (stride `d`) into the heap at float offset `at` with row stride `d4`, zero padding. */
export function putRows(heap: Float32Array, at: number, src: Float32Array, rows: number, d: number, d4: number, padRows = rows): void {
  if (d === d4) heap.set(src.subarray(0, rows * d), at)
  else {
    for (let r = 0; r < rows; r++) {
      heap.set(src.subarray(r * d, r * d + d), at + r * d4)
      heap.fill(0, at + r * d4 + d, at + (r + 1) * d4)
    }
  }
  heap.fill(0, at + rows * d4, at + padRows * d4)
}
