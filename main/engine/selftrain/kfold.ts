import { rng, shuffle, takeRows, type Matrix } from '../math/linalg'
import type { FitOptions, HeadFactory } from './head'

/** Stratified folds: each class's rows dealt round-robin over the folds after a seeded shuffle. */
export function stratifiedFolds(labels: Int32Array, folds: number, seed = 0): Int32Array {
  const fold = new Int32Array(labels.length)
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!
    let list = byClass.get(c)
    if (!list) byClass.set(c, (list = []))
    list.push(i)
  }
  const rand = rng(seed)
  let offset = 0
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(c)!
    shuffle(list, rand)
    // keep small classes spread: continue the deal where the previous class stopped
    for (let j = 0; j < list.length; j++) fold[list[j]!] = (offset + j) % folds
    offset = (offset + list.length) % folds
  }
  return fold
}

/**
 * A fit's share done while it runs: the head's own estimate (fits by L-BFGS judge by their gradient,
 * which lags early on), or the time spent over `expectedMs`, what a like fit took earlier in this
 * round, whichever is further; below 1 until the fit ends. Both only grow, so their larger does.
 */
export function fitShare(own: number, elapsedMs: number, expectedMs: number | null): number {
  return Math.max(own, expectedMs && expectedMs > 0 ? Math.min(0.99, elapsedMs / expectedMs) : 0)
}

export interface OutOfSample {
  /** n x k probabilities, each row predicted by a head that did not see it */
  proba: Float32Array
  /** n x k logits from the same heads (for temperature fitting) */
  logits: Float64Array
  accuracy: number
}

/**
 * k-fold out-of-sample predictions for labelled rows (X, labels): what the head would say about
 * each labelled image had it not been told. Used for accuracy, calibration and label issues.
 * Extra rows (`extra`: e.g. pseudo-labels) join every training fold and are never predicted.
 */
export function crossValProba(
  makeHead: HeadFactory,
  X: Matrix,
  labels: Int32Array,
  k: number,
  opts: {
    folds?: number
    seed?: number
    extra?: { X: Matrix; labels: Int32Array; weight?: Float32Array }
    fit?: FitOptions
    /** folds done (fractional: the running fold's fit counts by its own estimate) of the folds */
    onProgress?: (done: number, total: number) => void
  } = {},
): OutOfSample {
  const n = X.rows
  const folds = Math.max(2, Math.min(opts.folds ?? 5, n))
  const fold = stratifiedFolds(labels, folds, opts.seed ?? 0)
  const proba = new Float32Array(n * k)
  const logits = new Float64Array(n * k)
  let right = 0
  const foldMs: number[] = []
  for (let f = 0; f < folds; f++) {
    const trainIdx: number[] = []
    const testIdx: number[] = []
    for (let i = 0; i < n; i++) (fold[i] === f ? testIdx : trainIdx).push(i)
    if (testIdx.length === 0 || trainIdx.length === 0) continue
    let Xtr = takeRows(X, trainIdx)
    let ytr = Int32Array.from(trainIdx, (i) => labels[i]!)
    let w: Float32Array | undefined
    if (opts.extra && opts.extra.labels.length > 0) {
      const e = opts.extra
      const data = new Float32Array((Xtr.rows + e.X.rows) * X.cols)
      data.set(Xtr.data)
      data.set(e.X.data, Xtr.data.length)
      w = new Float32Array(Xtr.rows + e.X.rows).fill(1)
      if (e.weight) w.set(e.weight, Xtr.rows)
      ytr = Int32Array.from([...ytr, ...e.labels])
      Xtr = { rows: Xtr.rows + e.X.rows, cols: X.cols, data }
    }
    const onProgress = opts.onProgress
    // after the first fold, the next ones are timed by it: like fits on as many rows
    const started = performance.now()
    const expected = foldMs.length ? foldMs.reduce((a, b) => a + b, 0) / foldMs.length : null
    const progress = onProgress ? { onProgress: (p: number) => onProgress(f + fitShare(p, performance.now() - started, expected), folds) } : {}
    const head = makeHead().fit(Xtr, ytr, { ...opts.fit, ...(w ? { sampleWeight: w } : {}), ...progress })
    foldMs.push(performance.now() - started)
    const Xte = takeRows(X, testIdx)
    const z = head.decision(Xte)
    const p = head.predictProba(Xte)
    for (let r = 0; r < testIdx.length; r++) {
      const i = testIdx[r]!
      let best = 0
      for (let c = 0; c < k; c++) {
        proba[i * k + c] = p[r * k + c]!
        logits[i * k + c] = z[r * k + c]!
        if (p[r * k + c]! > p[r * k + best]!) best = c
      }
      if (best === labels[i]) right++
    }
  }
  opts.onProgress?.(folds, folds)
  return { proba, logits, accuracy: right / Math.max(1, n) }
}
