/**
 * Limited-memory BFGS (Nocedal & Wright, algorithm 7.4) with a backtracking Armijo line search.
 * Deterministic: the same start and the same function give the same iterates.
 */

export interface LbfgsOptions {
  maxIter?: number
  /** stop when the largest gradient component falls below this */
  gtol?: number
  /** stop when the relative decrease of f over one iteration falls below this */
  ftol?: number
  memory?: number
  signal?: AbortSignal
  /** called after each iteration with the largest gradient component: progress reports */
  onIteration?: (iteration: number, gradMax: number) => void
}

export interface LbfgsResult {
  x: Float64Array
  f: number
  iterations: number
  evaluations: number
  converged: boolean
}

/** `fg(x, grad)` writes the gradient into `grad` and returns f(x). */
export type Objective = (x: Float64Array, grad: Float64Array) => number

function vdot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function maxAbs(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!)
    if (v > m) m = v
  }
  return m
}

export function minimizeLbfgs(fg: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const maxIter = opts.maxIter ?? 500
  const gtol = opts.gtol ?? 1e-6
  const ftol = opts.ftol ?? 1e-10
  const m = opts.memory ?? 10
  const n = x0.length
  const x = Float64Array.from(x0)
  const g = new Float64Array(n)
  let f = fg(x, g)
  let evaluations = 1
  const S: Float64Array[] = []
  const Y: Float64Array[] = []
  const rho: number[] = []
  const d = new Float64Array(n)
  const xNew = new Float64Array(n)
  const gNew = new Float64Array(n)
  const alpha = new Float64Array(m)
  let iter = 0
  let converged = maxAbs(g) <= gtol
  while (!converged && iter < maxIter) {
    opts.signal?.throwIfAborted()
    // two-loop recursion: d = -H g
    for (let i = 0; i < n; i++) d[i] = -g[i]!
    for (let j = S.length - 1; j >= 0; j--) {
      const a = rho[j]! * vdot(S[j]!, d)
      alpha[j] = a
      const y = Y[j]!
      for (let i = 0; i < n; i++) d[i] = d[i]! - a * y[i]!
    }
    if (S.length > 0) {
      const last = S.length - 1
      const gamma = vdot(S[last]!, Y[last]!) / vdot(Y[last]!, Y[last]!)
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma
    }
    for (let j = 0; j < S.length; j++) {
      const b = rho[j]! * vdot(Y[j]!, d)
      const s = S[j]!
      const a = alpha[j]!
      for (let i = 0; i < n; i++) d[i] = d[i]! + (a - b) * s[i]!
    }
    let slope = vdot(g, d)
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = 0
      Y.length = 0
      rho.length = 0
      for (let i = 0; i < n; i++) d[i] = -g[i]!
      slope = vdot(g, d)
    }
    let step = S.length === 0 ? Math.min(1, 1 / Math.sqrt(vdot(g, g))) : 1
    let fNew = Infinity
    let ok = false
    for (let ls = 0; ls < 30; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!
      fNew = fg(xNew, gNew)
      evaluations++
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        ok = true
        break
      }
      step *= 0.5
    }
    iter++
    if (!ok) break
    const s = new Float64Array(n)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!
      y[i] = gNew[i]! - g[i]!
    }
    const sy = vdot(s, y)
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift()
        Y.shift()
        rho.shift()
      }
      S.push(s)
      Y.push(y)
      rho.push(1 / sy)
    }
    const fPrev = f
    x.set(xNew)
    g.set(gNew)
    f = fNew
    const gradMax = maxAbs(g)
    if (gradMax <= gtol || (fPrev - f) / Math.max(Math.abs(f), Math.abs(fPrev), 1e-12) < ftol) converged = true
    opts.onIteration?.(iter, gradMax)
  }
  return { x, f, iterations: iter, evaluations, converged }
}
