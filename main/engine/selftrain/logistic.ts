import { softmaxRows, type Matrix } from '../math/linalg'
import { matmulABt } from '../math/products'
import { pooledLinearProducts } from '../math/products-pool'
import { minimizeLbfgs } from '../math/lbfgs'
import { expandTargets, type FitOptions, type Head, type Targets } from './head'

export interface LogisticOptions {
  /** inverse L2 strength, as scikit-learn's C (objective: C * sum(loss) + |W|^2 / 2) */
  C?: number
  maxIter?: number
  gtol?: number
  ftol?: number
  /** start from these weights (e.g. the previous round's head): far fewer iterations */
  init?: { W: Float32Array; b: Float64Array }
  /** penalise strength_c * |W_c - M_c|^2 instead of |W_c|^2: a prior the weights are pulled
   *  toward (the class text directions of a text-aligned teacher, zero-shot.ts) */
  prior?: { M: Float32Array; strength: Float64Array }
  /** threads for the products (default: all the pool has when the problem is big enough) */
  threads?: number
}

/**
 * Multinomial logistic regression with an L2 penalty on the weights (not the biases), fitted by
 * L-BFGS. Hard or soft targets, sample and class weights.
 */
export class LogisticHead implements Head {
  readonly classes: number
  readonly C: number
  readonly maxIter: number
  readonly gtol: number
  readonly ftol: number
  readonly init: { W: Float32Array; b: Float64Array } | undefined
  readonly prior: { M: Float32Array; strength: Float64Array } | undefined
  readonly threads: number | undefined
  /** k x d weights */
  W: Float32Array = new Float32Array(0)
  b: Float64Array = new Float64Array(0)
  dim = 0
  iterations = 0

  constructor(classes: number, opts: LogisticOptions = {}) {
    this.classes = classes
    this.C = opts.C ?? 10
    this.maxIter = opts.maxIter ?? 300
    this.gtol = opts.gtol ?? 1e-5
    this.ftol = opts.ftol ?? 1e-9
    this.init = opts.init
    this.prior = opts.prior
    this.threads = opts.threads
  }

  fit(X: Matrix, y: Targets, opts: FitOptions = {}): this {
    const n = X.rows
    const d = X.cols
    const k = this.classes
    const { T, w } = expandTargets(y, n, k, opts)
    let S = 0
    for (let i = 0; i < n; i++) S += w[i]!
    if (!(S > 0)) throw new Error('logistic: all sample weights are zero')
    // the mean-scaled objective has the same optimum as scikit-learn's C * sum + |W|^2 / 2
    const lambda = 1 / (this.C * S)
    const nW = k * d
    const Z = new Float64Array(n * k)
    const R = new Float64Array(n * k)
    const G = new Float64Array(nW)
    const prior = this.prior
    if (prior && (prior.M.length !== nW || prior.strength.length !== k)) throw new Error(`logistic: a prior of ${prior.M.length} weights for ${k}x${d}`)
    // the X W^T and R^T X of every step are the fit's cost: shared among the cores (created last:
    // from here on only the try below may throw, and its finally ends the helpers' fit)
    const products = pooledLinearProducts(X, k, this.threads ? { threads: this.threads } : {})
    const fg = (x: Float64Array, grad: Float64Array): number => {
      products.forward(x, Z)
      let loss = 0
      for (let i = 0; i < n; i++) {
        const o = i * k
        let m = -Infinity
        for (let c = 0; c < k; c++) {
          const z = Z[o + c]! + x[nW + c]!
          Z[o + c] = z
          if (z > m) m = z
        }
        let se = 0
        for (let c = 0; c < k; c++) se += Math.exp(Z[o + c]! - m)
        const lse = m + Math.log(se)
        const wi = w[i]! / S
        let tz = 0
        for (let c = 0; c < k; c++) {
          const t = T[o + c]!
          tz += t * Z[o + c]!
          R[o + c] = wi * (Math.exp(Z[o + c]! - lse) - t)
        }
        loss += wi * (lse - tz)
      }
      products.backward(R, G)
      let reg = 0
      for (let i = 0; i < nW; i++) {
        const v = prior ? x[i]! - prior.M[i]! : x[i]!
        const st = prior ? prior.strength[Math.floor(i / d)]! : 1
        reg += st * v * v
        grad[i] = G[i]! + lambda * st * v
      }
      for (let c = 0; c < k; c++) {
        let s = 0
        for (let i = 0; i < n; i++) s += R[i * k + c]!
        grad[nW + c] = s
        // with a prior the biases are held to its (zero) biases too: free biases fitted to one
        // label per class would undo the prior's ranking between classes
        if (prior) {
          const st = prior.strength[c]! - 1
          reg += st * x[nW + c]! ** 2
          grad[nW + c] = s + lambda * st * x[nW + c]!
        }
      }
      return loss + 0.5 * lambda * reg
    }
    const x0 = new Float64Array(nW + k)
    // with a prior, start at it: the optimum is near it when labels are few
    if (prior) for (let i = 0; i < nW; i++) x0[i] = prior.M[i]!
    if (this.init && this.init.W.length === nW && this.init.b.length === k) {
      for (let i = 0; i < nW; i++) x0[i] = this.init.W[i]!
      for (let c = 0; c < k; c++) x0[nW + c] = this.init.b[c]!
    }
    let res: ReturnType<typeof minimizeLbfgs>
    try {
      res = minimizeLbfgs(fg, x0, { maxIter: this.maxIter, gtol: this.gtol, ftol: this.ftol, signal: opts.signal, ...(opts.onProgress ? { onIteration: lbfgsProgress(this.maxIter, this.gtol, opts.onProgress) } : {}) })
    } finally {
      products.close()
    }
    opts.onProgress?.(1)
    this.W = Float32Array.from(res.x.subarray(0, nW))
    this.b = Float64Array.from(res.x.subarray(nW))
    this.dim = d
    this.iterations = res.iterations
    return this
  }

  decision(X: Matrix): Float64Array {
    if (X.cols !== this.dim) throw new Error(`logistic: fitted on ${this.dim} columns, got ${X.cols}`)
    const k = this.classes
    const Z = new Float64Array(X.rows * k)
    matmulABt(X.data, X.rows, this.W, k, X.cols, Z)
    for (let i = 0; i < X.rows; i++) for (let c = 0; c < k; c++) Z[i * k + c] = Z[i * k + c]! + this.b[c]!
    return Z
  }

  predictProba(X: Matrix): Float32Array {
    const Z = this.decision(X)
    softmaxRows(Z, X.rows, this.classes)
    return Float32Array.from(Z)
  }
}

/**
 * A monotone estimate of how far an L-BFGS fit has come, from its iterations: the larger of the
 * share of maxIter spent and the share of the way, in orders of magnitude, from the first
 * iteration's gradient to gtol (fits mostly stop well before maxIter, and the gradient falls
 * roughly geometrically). Held below 1: only the end of the fit says it is done.
 */
function lbfgsProgress(maxIter: number, gtol: number, report: (fraction: number) => void): (iteration: number, gradMax: number) => void {
  let first = 0
  let shown = 0
  return (iteration, gradMax) => {
    if (iteration === 1) first = gradMax
    const orders = first > gtol && gradMax > 0 ? Math.log(first / Math.max(gradMax, gtol)) / Math.log(first / gtol) : 0
    shown = Math.max(shown, Math.min(0.99, Math.max(iteration / maxIter, orders)))
    report(shown)
  }
}
