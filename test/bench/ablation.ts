/**
 * A lean ablation of round settings: the eval's no_review track alone (evaluate.ts: trial t's
 * k seeds per class drawn with seed t, then rounds with nobody reviewing, the test accuracy of the
 * last round's head), for one dataset and one settings variant, writing its per-trial accuracies
 * after every trial (so a run stopped early keeps what it measured). The full eval runs the
 * suggested_seeds track beside it at the same cost; this halves the time of a settings sweep.
 *
 *   npx tsx test/bench/ablation.ts <dataset folder> <name> '<settings json>' <trials> <out.json> [k]
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { evalEmbeddings } from '../../main/engine/selftrain/eval-embed'
import { drawSeeds } from '../../main/engine/selftrain/evaluate'
import { applyFeatures, fitFeatures } from '../../main/engine/selftrain/features'
import { contrastiveSpace, withProjection } from '../../main/engine/selftrain/contrastive'
import { knnGraph, type KnnGraph } from '../../main/engine/math/knn'
import { matrix, rowArgmax } from '../../main/engine/math/linalg'
import { runRound, type Labels, type RoundSettings } from '../../main/engine/selftrain/round'
import type { Head } from '../../main/engine/selftrain/head'

const [folder, name, json, trialsArg, out, kArg] = process.argv.slice(2)
if (!folder || !name || !json || !trialsArg || !out) throw new Error('usage: ablation.ts <folder> <name> <settings json> <trials> <out.json> [k]')
const settings = JSON.parse(json) as Partial<RoundSettings>
const trials = Number(trialsArg)
const k = Number(kArg ?? 4)
const ROUNDS = 5

const emb = await evalEmbeddings(folder, {})
const C = emb.pool.classes.length
const pool = matrix(emb.pool.labels.length, emb.pool.dim, emb.pool.data)
const test = matrix(emb.test.labels.length, emb.test.dim, emb.test.data)
const ft = fitFeatures(pool)
const X = applyFeatures(ft, pool)
const Xt = applyFeatures(ft, test)
let graph: KnnGraph | undefined
const accuracies: number[] = []
const seconds: number[] = []
const contrastiveSeconds: number[] = []
for (let t = 0; t < trials; t++) {
  const started = performance.now()
  let Xtest = Xt
  if (settings.contrastive && settings.contrastive !== 'off') {
    const c0 = performance.now()
    const { projection } = contrastiveSpace(X, { seed: t })
    contrastiveSeconds.push((performance.now() - c0) / 1000)
    if (settings.contrastive === 'head' || settings.contrastive === 'both') Xtest = withProjection(Xt, projection)
  }
  const seedIdx = drawSeeds(emb.pool.labels, C, k, t)
  const human: Labels = { index: seedIdx, label: Int32Array.from(seedIdx, (i) => emb.pool.labels[i]!) }
  let unreviewed: (Labels & { proba: Float32Array }) | undefined
  let previous: Head | undefined
  let last = NaN
  for (let call = 1; call <= ROUNDS + 1; call++) {
    const round = Math.min(call, ROUNDS)
    const s: Partial<RoundSettings> = { folds: 0, ...settings, round, rounds: ROUNDS, seed: t }
    graph ??= knnGraph(X, s.graphK ?? 10)
    const res = await runRound({ X, classes: C, human, ...(unreviewed ? { unreviewed } : {}), ...(previous ? { previous } : {}), graph }, s)
    previous = res.head
    const rows = new Float32Array(res.proposals.index.length * C)
    for (let j = 0; j < res.proposals.index.length; j++) rows.set(res.proba.subarray(res.proposals.index[j]! * C, (res.proposals.index[j]! + 1) * C), j * C)
    unreviewed = { index: res.proposals.index, label: res.proposals.label, proba: rows }
    const pred = rowArgmax(res.head.predictProba(Xtest), Xtest.rows, C).label
    let right = 0
    for (let i = 0; i < pred.length; i++) if (pred[i] === emb.test.labels[i]) right++
    last = right / pred.length
  }
  accuracies.push(last)
  seconds.push((performance.now() - started) / 1000)
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length
  await writeFile(out, JSON.stringify({ dataset: path.basename(folder), name, settings, k, rounds: ROUNDS, trials: accuracies.length, accuracies, mean, seconds, contrastiveSeconds }, null, 1))
  process.stderr.write(`${path.basename(folder)} ${name} trial ${t + 1}: ${(100 * last).toFixed(1)} (mean ${(100 * mean).toFixed(1)})\n`)
}
