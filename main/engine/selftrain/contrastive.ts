/**
 * In-domain self-supervision on the teacher's embeddings, as an experiment (issue 14 item 5): a
 * projection head (d -> hidden -> out, ReLU between, L2-normalised output) trained without labels
 * by MoCo v2 (He et al. 2020, Chen et al. 2020, arXiv 2003.04297): two views of the same image are
 * a positive pair, the keys of earlier batches in a queue are the negatives, the loss is InfoNCE at
 * temperature tau, and the key encoder is a momentum (exponential moving) average of the query
 * encoder, so the queue's keys stay consistent while the query encoder learns.
 *
 * The views are K matrices n x d, row i of each one a view of image i (the teacher pass's cached
 * augmented views, once they exist). Until then `embeddingViews` makes views in embedding space
 * (feature dropout and Gaussian noise on the clean embedding): a much weaker stand-in, since noise
 * on an embedding does not teach what a crop or a colour change of the image leaves unchanged.
 *
 * The output space can feed the kNN graph and/or the head (RoundSettings.contrastive).
 */
import { gaussian, l2NormalizeRows, matrix, rng, shuffle, type Matrix } from '../math/linalg'
import { matmulABt } from '../math/products'

export interface ContrastiveOptions {
  hidden: number
  out: number
  /** InfoNCE temperature (MoCo v2: 0.2) */
  tau: number
  /** key encoder momentum: keys = m keys + (1 - m) queries, after every step */
  momentum: number
  /** negatives kept (capped below the pool size, so a queue never holds an image many times) */
  queue: number
  batch: number
  /** optimiser steps: the training time is proportional (measured 0.19 s of CPU a step at d = 1280,
   *  batch 128, hidden 512: about 30 s for 150 steps, far from the few seconds a round can spare) */
  steps: number
  learningRate: number
  seed: number
  signal?: AbortSignal
  /** loss of each step, for tests and experiments */
  onStep?: (step: number, loss: number) => void
}

export const DEFAULT_CONTRASTIVE: Omit<ContrastiveOptions, 'seed'> = {
  hidden: 512,
  out: 128,
  tau: 0.2,
  momentum: 0.99,
  queue: 1024,
  batch: 128,
  steps: 150,
  learningRate: 1e-3,
}

/** The trained projection: image embeddings (the space the views were in) to unit vectors. */
export class Projection {
  constructor(
    readonly dim: number,
    readonly hidden: number,
    readonly out: number,
    readonly W1: Float32Array,
    readonly b1: Float32Array,
    readonly W2: Float32Array,
    readonly b2: Float32Array,
  ) {}

  apply(X: Matrix): Matrix {
    if (X.cols !== this.dim) throw new Error(`projection: trained on ${this.dim} columns, got ${X.cols}`)
    return l2NormalizeRows(forward(this, X.data, X.rows).Z)
  }
}

interface Layers {
  dim: number
  hidden: number
  out: number
  W1: Float32Array
  b1: Float32Array
  W2: Float32Array
  b2: Float32Array
}

/** H = relu(A W1^T + b1), Z = H W2^T + b2 (Z not normalised). */
function forward(p: Layers, A: Float32Array, rows: number): { H: Float32Array; Z: Matrix } {
  const pre = new Float64Array(rows * p.hidden)
  matmulABt(A, rows, p.W1, p.hidden, p.dim, pre)
  const H = new Float32Array(rows * p.hidden)
  for (let r = 0; r < rows; r++) for (let u = 0; u < p.hidden; u++) H[r * p.hidden + u] = Math.max(0, pre[r * p.hidden + u]! + p.b1[u]!)
  const zo = new Float64Array(rows * p.out)
  matmulABt(H, rows, p.W2, p.out, p.hidden, zo)
  const Z = matrix(rows, p.out)
  for (let r = 0; r < rows; r++) for (let c = 0; c < p.out; c++) Z.data[r * p.out + c] = zo[r * p.out + c]! + p.b2[c]!
  return { H, Z }
}

/** M (rows x cols, row-major) transposed. */
function transpose(M: Float32Array, rows: number, cols: number): Float32Array {
  const T = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) T[c * rows + r] = M[r * cols + c]!
  return T
}

/**
 * Views of every image in embedding space: each a copy of X with features dropped (probability
 * `dropout`, the rest scaled up to keep the expectation) and Gaussian noise of norm about `noise`
 * added, L2-normalised again. Deterministic for a seed.
 */
export function embeddingViews(X: Matrix, count: number, opts: { dropout?: number; noise?: number; seed?: number } = {}): Matrix[] {
  const dropout = opts.dropout ?? 0.3
  const sd = (opts.noise ?? 0.5) / Math.sqrt(X.cols)
  const rand = rng(opts.seed ?? 0)
  const keep = 1 - dropout
  return Array.from({ length: count }, () => {
    const V = matrix(X.rows, X.cols)
    for (let j = 0; j < X.data.length; j++) V.data[j] = (rand() < keep ? X.data[j]! / keep : 0) + sd * gaussian(rand)
    return l2NormalizeRows(V)
  })
}

/** Trains the projection on `views` (at least two, each n x d, row i = image i) by MoCo v2. */
export function trainContrastive(views: Matrix[], partial: Partial<ContrastiveOptions> = {}): Projection {
  const o: ContrastiveOptions = { ...DEFAULT_CONTRASTIVE, seed: 0, ...partial }
  if (views.length < 2) throw new Error(`contrastive: needs at least two views of each image, got ${views.length}`)
  const n = views[0]!.rows
  const d = views[0]!.cols
  for (const v of views) if (v.rows !== n || v.cols !== d) throw new Error(`contrastive: views differ in shape (${v.rows}x${v.cols} against ${n}x${d})`)
  const { hidden: h, out: e, tau } = o
  const B = Math.min(o.batch, n)
  const K = Math.max(1, Math.min(o.queue, n - B))
  const rand = rng(o.seed + 7)
  const q: Layers = {
    dim: d,
    hidden: h,
    out: e,
    W1: Float32Array.from({ length: h * d }, () => gaussian(rand) * Math.sqrt(2 / d)),
    b1: new Float32Array(h),
    W2: Float32Array.from({ length: e * h }, () => gaussian(rand) * Math.sqrt(1 / h)),
    b2: new Float32Array(e),
  }
  const k: Layers = { ...q, W1: q.W1.slice(), b1: q.b1.slice(), W2: q.W2.slice(), b2: q.b2.slice() }
  const params = [q.W1, q.b1, q.W2, q.b2]
  const keys = [k.W1, k.b1, k.W2, k.b2]
  const m1 = params.map((p) => new Float32Array(p.length))
  const m2 = params.map((p) => new Float32Array(p.length))
  // the queue starts as random unit vectors: uninformative negatives until real keys replace them
  const queue = l2NormalizeRows(matrix(K, e, Float32Array.from({ length: K * e }, () => gaussian(rand)))).data
  let head = 0
  const order = Int32Array.from({ length: n }, (_, i) => i)
  let next = n
  const A = new Float32Array(B * d)
  const Bv = new Float32Array(B * d)
  for (let step = 1; step <= o.steps; step++) {
    o.signal?.throwIfAborted()
    // a batch of distinct images (epochs of a shuffled order), each with two different views
    for (let r = 0; r < B; r++) {
      if (next === n) {
        shuffle(order, rand)
        next = 0
      }
      const i = order[next++]!
      const a = Math.floor(rand() * views.length)
      const b = (a + 1 + Math.floor(rand() * (views.length - 1))) % views.length
      A.set(views[a]!.data.subarray(i * d, (i + 1) * d), r * d)
      Bv.set(views[b]!.data.subarray(i * d, (i + 1) * d), r * d)
    }
    const fq = forward(q, A, B)
    const Zq = fq.Z.data
    const norms = new Float64Array(B)
    const Q = new Float32Array(B * e)
    for (let r = 0; r < B; r++) {
      let s = 0
      for (let c = 0; c < e; c++) s += Zq[r * e + c]! ** 2
      norms[r] = Math.sqrt(s) || 1
      for (let c = 0; c < e; c++) Q[r * e + c] = Zq[r * e + c]! / norms[r]!
    }
    const Kb = l2NormalizeRows(forward(k, Bv, B).Z).data
    // logits: the positive (own key), then the queue; softmax; loss = -log p(positive)
    const neg = new Float64Array(B * K)
    matmulABt(Q, B, queue, K, e, neg)
    const P = new Float32Array(B * K)
    const pPos = new Float64Array(B)
    let loss = 0
    for (let r = 0; r < B; r++) {
      let pos = 0
      for (let c = 0; c < e; c++) pos += Q[r * e + c]! * Kb[r * e + c]!
      pos /= tau
      let max = pos
      for (let j = 0; j < K; j++) max = Math.max(max, neg[r * K + j]! / tau)
      let sum = Math.exp(pos - max)
      for (let j = 0; j < K; j++) sum += Math.exp(neg[r * K + j]! / tau - max)
      pPos[r] = Math.exp(pos - max) / sum
      for (let j = 0; j < K; j++) P[r * K + j] = Math.exp(neg[r * K + j]! / tau - max) / sum
      loss -= Math.log(pPos[r]! + 1e-30) / B
    }
    o.onStep?.(step, loss)
    // dL/dq = ((p_pos - 1) k + sum_j p_j queue_j) / (tau B); through the normalisation:
    // dL/dz = (dq - q (q . dq)) / |z|
    const mix = new Float64Array(B * e)
    matmulABt(P, B, transpose(queue, K, e), e, K, mix)
    const dZ = new Float32Array(B * e)
    for (let r = 0; r < B; r++) {
      let qd = 0
      const dq = new Float64Array(e)
      for (let c = 0; c < e; c++) {
        dq[c] = ((pPos[r]! - 1) * Kb[r * e + c]! + mix[r * e + c]!) / (tau * B)
        qd += Q[r * e + c]! * dq[c]!
      }
      for (let c = 0; c < e; c++) dZ[r * e + c] = (dq[c]! - Q[r * e + c]! * qd) / norms[r]!
    }
    // backward through the two layers
    const gW2 = new Float64Array(e * h)
    matmulABt(transpose(dZ, B, e), e, transpose(fq.H, B, h), h, B, gW2)
    const gb2 = new Float64Array(e)
    for (let r = 0; r < B; r++) for (let c = 0; c < e; c++) gb2[c] = gb2[c]! + dZ[r * e + c]!
    const dHo = new Float64Array(B * h)
    matmulABt(dZ, B, transpose(q.W2, e, h), h, e, dHo)
    const dH = new Float32Array(B * h)
    const gb1 = new Float64Array(h)
    for (let r = 0; r < B; r++)
      for (let u = 0; u < h; u++) {
        const g = fq.H[r * h + u]! > 0 ? dHo[r * h + u]! : 0
        dH[r * h + u] = g
        gb1[u] = gb1[u]! + g
      }
    const gW1 = new Float64Array(h * d)
    matmulABt(transpose(dH, B, h), h, transpose(A, B, d), d, B, gW1)
    // Adam on the query encoder
    const grads = [gW1, gb1, gW2, gb2]
    const c1 = 1 - 0.9 ** step
    const c2 = 1 - 0.999 ** step
    for (let p = 0; p < params.length; p++) {
      const Pm = params[p]!
      const g = grads[p]!
      const a = m1[p]!
      const v = m2[p]!
      for (let j = 0; j < Pm.length; j++) {
        const gj = g[j]!
        a[j] = 0.9 * a[j]! + 0.1 * gj
        v[j] = 0.999 * v[j]! + 0.001 * gj * gj
        Pm[j] = Pm[j]! - (o.learningRate * (a[j]! / c1)) / (Math.sqrt(v[j]! / c2) + 1e-8)
      }
    }
    // the key encoder follows the query encoder; this batch's keys replace the queue's oldest
    for (let p = 0; p < params.length; p++) {
      const Kp = keys[p]!
      const Qp = params[p]!
      for (let j = 0; j < Kp.length; j++) Kp[j] = o.momentum * Kp[j]! + (1 - o.momentum) * Qp[j]!
    }
    for (let r = 0; r < B; r++) {
      queue.set(Kb.subarray(r * e, (r + 1) * e), head * e)
      head = (head + 1) % K
    }
  }
  return new Projection(d, h, e, q.W1, q.b1, q.W2, q.b2)
}

/** Rows of A and B side by side, each block L2-normalised and scaled by 1/sqrt(2): a unit row again. */
export function concatUnit(A: Matrix, B: Matrix): Matrix {
  if (A.rows !== B.rows) throw new Error(`concat: ${A.rows} rows against ${B.rows}`)
  const a = l2NormalizeRows(matrix(A.rows, A.cols, Float32Array.from(A.data)))
  const b = l2NormalizeRows(matrix(B.rows, B.cols, Float32Array.from(B.data)))
  const cols = A.cols + B.cols
  const out = matrix(A.rows, cols)
  const s = Math.SQRT1_2
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < A.cols; j++) out.data[i * cols + j] = a.data[i * A.cols + j]! * s
    for (let j = 0; j < B.cols; j++) out.data[i * cols + A.cols + j] = b.data[i * B.cols + j]! * s
  }
  return out
}

const trained = new WeakMap<Matrix, Map<string, { projection: Projection; Z: Matrix }>>()

/**
 * The contrastive projection of a pool X for a round, and X projected: views in embedding space
 * (until the teacher's cached views reach the round), the projection trained on them. Kept per X
 * and options: the eval runs many rounds on one X, and the projection depends only on X and the seed.
 */
export function contrastiveSpace(X: Matrix, opts: Partial<ContrastiveOptions> = {}): { projection: Projection; Z: Matrix } {
  const key = JSON.stringify({ ...opts, signal: undefined, onStep: undefined })
  let byKey = trained.get(X)
  if (!byKey) trained.set(X, (byKey = new Map()))
  const hit = byKey.get(key)
  if (hit) return hit
  const views = embeddingViews(X, 4, { seed: opts.seed ?? 0 })
  const projection = trainContrastive(views, opts)
  const out = { projection, Z: projection.apply(X) }
  byKey.set(key, out)
  return out
}

/** The inputs a head gets under RoundSettings.contrastive 'head' or 'both': X beside its projection. */
export function withProjection(X: Matrix, projection: Projection): Matrix {
  return concatUnit(X, projection.apply(X))
}
