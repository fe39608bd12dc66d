import { gaussian, rng, shuffle, softmaxRows, takeRows, type Matrix } from '../math/linalg'
import { matmulABt } from '../math/products'
import { expandTargets, type FitOptions, type Head, type Targets } from './head'

export interface MlpOptions {
  hidden?: number
  epochs?: number
  batch?: number
  learningRate?: number
  /** L2 on the weights (decoupled weight decay, AdamW) */
  weightDecay?: number
  /** dropout on the input features: the "noise" of a noisy student */
  inputDropout?: number
  /** dropout on the hidden units */
  dropout?: number
  seed?: number
}

/**
 * One hidden layer (ReLU) with dropout, trained by AdamW on mini-batches; deterministic for a seed.
 * The noisy-student option: train the student with dropout on pseudo-labels of an un-noised teacher.
 */
export class MlpHead implements Head {
  readonly classes: number
  readonly hidden: number
  readonly epochs: number
  readonly batch: number
  readonly learningRate: number
  readonly weightDecay: number
  readonly inputDropout: number
  readonly dropout: number
  readonly seed: number
  W1 = new Float32Array(0)
  b1 = new Float32Array(0)
  W2 = new Float32Array(0)
  b2 = new Float32Array(0)
  dim = 0

  constructor(classes: number, opts: MlpOptions = {}) {
    this.classes = classes
    this.hidden = opts.hidden ?? 256
    this.epochs = opts.epochs ?? 60
    this.batch = opts.batch ?? 64
    this.learningRate = opts.learningRate ?? 2e-3
    this.weightDecay = opts.weightDecay ?? 1e-4
    this.inputDropout = opts.inputDropout ?? 0.2
    this.dropout = opts.dropout ?? 0.3
    this.seed = opts.seed ?? 0
  }

  fit(X: Matrix, y: Targets, opts: FitOptions = {}): this {
    const n = X.rows
    const d = X.cols
    const k = this.classes
    const h = this.hidden
    const { T, w } = expandTargets(y, n, k, opts)
    let wMean = 0
    for (let i = 0; i < n; i++) wMean += w[i]! / n
    const rand = rng(this.seed + 1)
    // He initialisation
    this.W1 = Float32Array.from({ length: h * d }, () => gaussian(rand) * Math.sqrt(2 / d))
    this.b1 = new Float32Array(h)
    this.W2 = Float32Array.from({ length: k * h }, () => gaussian(rand) * Math.sqrt(1 / h))
    this.b2 = new Float32Array(k)
    this.dim = d
    const params = [this.W1, this.b1, this.W2, this.b2]
    const m1 = params.map((p) => new Float32Array(p.length))
    const m2 = params.map((p) => new Float32Array(p.length))
    const grads = params.map((p) => new Float32Array(p.length))
    const beta1 = 0.9
    const beta2 = 0.999
    let step = 0
    const order = Int32Array.from({ length: n }, (_, i) => i)
    const B = this.batch
    const Hpre = new Float64Array(B * h)
    const H = new Float32Array(B * h)
    const O = new Float64Array(B * k)
    const dO = new Float32Array(B * k)
    const dH = new Float32Array(B * h)
    const dHt = new Float32Array(h * B)
    const XbT = new Float32Array(d * B)
    const gW1 = new Float64Array(h * d)
    const keepIn = 1 - this.inputDropout
    const keepH = 1 - this.dropout
    for (let epoch = 0; epoch < this.epochs; epoch++) {
      opts.signal?.throwIfAborted()
      // a fixed number of epochs: the share done is exact
      opts.onProgress?.(epoch / this.epochs)
      shuffle(order, rand)
      for (let s0 = 0; s0 < n; s0 += B) {
        const bs = Math.min(B, n - s0)
        const idx = order.subarray(s0, s0 + bs)
        const Xb = takeRows(X, idx)
        if (this.inputDropout > 0) for (let j = 0; j < Xb.data.length; j++) Xb.data[j] = rand() < keepIn ? Xb.data[j]! / keepIn : 0
        matmulABt(Xb.data, bs, this.W1, h, d, Hpre)
        for (let r = 0; r < bs; r++)
          for (let u = 0; u < h; u++) {
            const v = Hpre[r * h + u]! + this.b1[u]!
            H[r * h + u] = v > 0 && (this.dropout === 0 || rand() < keepH) ? v / keepH : 0
          }
        matmulABt(H, bs, this.W2, k, h, O)
        for (let r = 0; r < bs; r++) for (let c = 0; c < k; c++) O[r * k + c] = O[r * k + c]! + this.b2[c]!
        softmaxRows(O, bs, k)
        for (const g of grads) g.fill(0)
        const [gW1f, gb1, gW2, gb2] = grads as [Float32Array, Float32Array, Float32Array, Float32Array]
        for (let r = 0; r < bs; r++) {
          const i = idx[r]!
          const wi = w[i]! / (bs * wMean)
          for (let c = 0; c < k; c++) {
            const g = wi * (O[r * k + c]! - T[i * k + c]!)
            dO[r * k + c] = g
            gb2[c] = gb2[c]! + g
          }
        }
        // gW2 = dO^T H ; dH = dO W2, masked by ReLU/dropout (H == 0)
        for (let r = 0; r < bs; r++)
          for (let c = 0; c < k; c++) {
            const g = dO[r * k + c]!
            if (g === 0) continue
            for (let u = 0; u < h; u++) gW2[c * h + u] = gW2[c * h + u]! + g * H[r * h + u]!
          }
        for (let r = 0; r < bs; r++)
          for (let u = 0; u < h; u++) {
            if (H[r * h + u] === 0) {
              dH[r * h + u] = 0
              continue
            }
            let s = 0
            for (let c = 0; c < k; c++) s += dO[r * k + c]! * this.W2[c * h + u]!
            dH[r * h + u] = s / keepH
            gb1[u] = gb1[u]! + s / keepH
          }
        // gW1 = dH^T Xb  (h x d) as one A*B^T product of transposes
        for (let r = 0; r < bs; r++) for (let u = 0; u < h; u++) dHt[u * B + r] = dH[r * h + u]!
        for (let r = 0; r < bs; r++) for (let j = 0; j < d; j++) XbT[j * B + r] = Xb.data[r * d + j]!
        if (bs < B) {
          for (let u = 0; u < h; u++) dHt.fill(0, u * B + bs, (u + 1) * B)
          for (let j = 0; j < d; j++) XbT.fill(0, j * B + bs, (j + 1) * B)
        }
        matmulABt(dHt, h, XbT, d, B, gW1)
        for (let j = 0; j < gW1f.length; j++) gW1f[j] = gW1[j]!
        step++
        const lr = this.learningRate
        const c1 = 1 - Math.pow(beta1, step)
        const c2 = 1 - Math.pow(beta2, step)
        for (let p = 0; p < params.length; p++) {
          const P = params[p]!
          const g = grads[p]!
          const a = m1[p]!
          const v = m2[p]!
          const decay = p === 0 || p === 2 ? this.weightDecay : 0
          for (let j = 0; j < P.length; j++) {
            const gj = g[j]!
            a[j] = beta1 * a[j]! + (1 - beta1) * gj
            v[j] = beta2 * v[j]! + (1 - beta2) * gj * gj
            P[j] = P[j]! - lr * ((a[j]! / c1) / (Math.sqrt(v[j]! / c2) + 1e-8) + decay * P[j]!)
          }
        }
      }
    }
    opts.onProgress?.(1)
    return this
  }

  decision(X: Matrix): Float64Array {
    if (X.cols !== this.dim) throw new Error(`mlp: fitted on ${this.dim} columns, got ${X.cols}`)
    const n = X.rows
    const h = this.hidden
    const k = this.classes
    const Hpre = new Float64Array(n * h)
    matmulABt(X.data, n, this.W1, h, X.cols, Hpre)
    const H = new Float32Array(n * h)
    for (let r = 0; r < n; r++) for (let u = 0; u < h; u++) H[r * h + u] = Math.max(0, Hpre[r * h + u]! + this.b1[u]!)
    const O = new Float64Array(n * k)
    matmulABt(H, n, this.W2, k, h, O)
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) O[r * k + c] = O[r * k + c]! + this.b2[c]!
    return O
  }

  predictProba(X: Matrix): Float32Array {
    const O = this.decision(X)
    softmaxRows(O, X.rows, this.classes)
    return Float32Array.from(O)
  }
}
