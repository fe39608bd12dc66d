/**
 * The evaluation protocol of ../shared/baselines/README.md on precomputed embeddings: k seed labels
 * per class (trial t draws them with seed t), test accuracy on the held-out split, for
 * - seed_only: the protocol's head (logistic, C = 10) on the L2-normalised seed labels;
 * - no_review: the engine's rounds with nobody reviewing (pure self-training), after each round;
 * - review_10pct: the same rounds with a simulated reviewer whose budget is 10 % of the pool in
 *   decisions, spread evenly over the rounds, seeing each round's proposals in the studio's review
 *   order (mostInformative: where the head and label propagation disagree, then smallest margin),
 *   accepting right ones and relabelling wrong ones (both become labels of weight 1);
 * - suggested_seeds: the same rounds as no_review, but the seed labels are the k x classes images
 *   the studio suggests (seeds.ts suggestSeeds, the code the studio runs), labelled by the
 *   simulated person, instead of a per-class random draw: the suggestions must find the classes,
 *   where the draw already knows one image of each;
 * - full_pool: the protocol's head on every pool label (the ceiling for a linear head);
 * - label issues (at k = labelIssues.k): a share of the trial's seed labels moved to another class
 *   (seeded), the studio's "Possible mistakes" check (label-issues.ts) on them: precision and recall
 *   of what it flags against what was flipped, and test accuracy of seed_only and no_review on the
 *   flipped labels before and after fixing what it flags (set to its suggested class);
 * and, when the teacher has a text tower (EvalData.text, the class names' text directions):
 * - zero_shot: the class names alone, no label (softmax of scaled cosine similarities);
 * - text_prior: the protocol's head on the seed labels, pulled toward the text (zero-shot.ts),
 *   on the same L2-normalised embeddings as seed_only, so the two compare directly.
 * Nothing here knows a dataset by name.
 */
import { applyFeatures, DEFAULT_FEATURES, fitFeatures, type FeatureOptions } from './features'
import { knnGraph, type KnnGraph } from '../math/knn'
import { propagateLabels } from './propagate'
import { contrastiveSpace, withProjection } from './contrastive'
import { l2NormalizeRows, matrix, rng, rowArgmax, shuffle, takeRows, type Matrix } from '../math/linalg'
import { LogisticHead } from './logistic'
import { mostInformative, reviewQueue } from './next'
import { DEFAULT_ROUND_SETTINGS, runRound, type Labels, type RoundSettings } from './round'
import type { Head } from './head'
import { headPrior, zeroShotHead, type ClassText } from './zero-shot'
import { suggestSeeds, typicality, DEFAULT_SEED_OPTIONS, type SeedOptions } from './seeds'
import { meanOfViews } from './views'
import { labelIssues } from './label-issues'
import type { LabelIssueOptions } from './issues'

export interface EvalData {
  classes: string[]
  pool: Matrix
  poolLabels: Int32Array
  test: Matrix
  testLabels: Int32Array
  /** a text-aligned teacher's class directions (classes x dim, unit rows, in the embeddings' space) */
  text?: ClassText
  /** the teacher's augmented views (teacher/augment.ts), each aligned with `pool` / `test` */
  poolViews?: Matrix[]
  testViews?: Matrix[]
}

export interface EvalOptions {
  ks: number[]
  trials: number
  rounds: number
  reviewShare: number
  /** the studio's review order: 'proposals' (this round's selected proposals, most informative
   *  first), 'informative' (every unlabelled image's prediction, most informative first) or
   *  'diverse' (informative, spread out by k-means++) */
  reviewOrder: 'proposals' | 'informative' | 'diverse'
  /** how unreviewed pseudo-labels train while a reviewer works: a fixed weight, or 'check'
   *  (each round compares k-fold accuracy on the human labels with and without them) */
  reviewPseudoWeight: number | 'check'
  /** run the suggested_seeds method (false halves an ablation's time when only no_review is read) */
  suggested: boolean

  settings: Partial<RoundSettings>
  /** how suggested_seeds picks (seeds.ts); each trial's draw uses the trial as seed */
  seeds: Partial<Omit<SeedOptions, 'seed'>>
  features: FeatureOptions
  /** the flipped-label measurement: at this k (none when it is not in ks), this share of the seeds flipped */
  labelIssues: { k: number; share: number; options: Partial<LabelIssueOptions> }
  signal?: AbortSignal
  onTrial?: (msg: string) => void
}

export const DEFAULT_EVAL: EvalOptions = {
  ks: [1, 4, 25],
  trials: 5,
  rounds: 5,
  reviewShare: 0.1,
  reviewOrder: 'diverse',
  reviewPseudoWeight: 'check',
  suggested: true,
  settings: {},
  seeds: {},
  features: DEFAULT_FEATURES,
  labelIssues: { k: 25, share: 0.1, options: {} },
}

/** One trial of the flipped-label measurement (see the header). */
export interface LabelIssueTrial {
  k: number
  flipped: number
  flagged: number
  /** flagged and flipped over flagged (1 when nothing is flagged: no false flag) */
  precision: number
  /** flagged and flipped over flipped */
  recall: number
  seed_only_before: number
  seed_only_after: number
  /** no_review's last round on the flipped labels, and on them once fixed */
  no_review_before: number
  no_review_after: number
}

export interface EvalRow {
  k: number
  method: string
  round: number
  accuracy_mean: number
  accuracy_std: number
}

/** Per-trial accuracies, before averaging: method -> k -> round -> one value per trial. */
export type TrialAccuracies = Map<string, Map<number, Map<number, number[]>>>

function record(acc: TrialAccuracies, method: string, k: number, round: number, value: number): void {
  let m = acc.get(method)
  if (!m) acc.set(method, (m = new Map()))
  let r = m.get(k)
  if (!r) m.set(k, (r = new Map()))
  const list = r.get(round) ?? []
  list.push(value)
  r.set(round, list)
}

export function summarise(acc: TrialAccuracies): EvalRow[] {
  const rows: EvalRow[] = []
  for (const [method, byK] of acc)
    for (const [k, byRound] of byK)
      for (const [round, values] of byRound) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length
        const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1))
        rows.push({ k, method, round, accuracy_mean: mean, accuracy_std: values.length > 1 ? sd : 0 })
      }
  return rows
}

function testAccuracy(head: Head, X: Matrix, labels: Int32Array, classes: number): number {
  const { label } = rowArgmax(head.predictProba(X), X.rows, classes)
  let r = 0
  for (let i = 0; i < labels.length; i++) if (label[i] === labels[i]) r++
  return r / Math.max(1, labels.length)
}

const unitRows = (m: Matrix) => l2NormalizeRows(matrix(m.rows, m.cols, Float32Array.from(m.data)))

/** full_pool: the protocol's head (logistic, C = 10) on every L2-normalised pool label, its test accuracy. */
export function fullPoolAccuracy(data: Pick<EvalData, 'classes' | 'pool' | 'poolLabels' | 'test' | 'testLabels'>, signal?: AbortSignal): number {
  const C = data.classes.length
  const full = new LogisticHead(C, { C: 10 }).fit(unitRows(data.pool), data.poolLabels, { ...(signal ? { signal } : {}) })
  return testAccuracy(full, unitRows(data.test), data.testLabels, C)
}

/** Trial t's seed labels: k per class, drawn with seed t. */
export function drawSeeds(labels: Int32Array, classes: number, k: number, trial: number): Int32Array {
  const rand = rng(trial)
  const out: number[] = []
  for (let c = 0; c < classes; c++) {
    const members: number[] = []
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) members.push(i)
    shuffle(members, rand)
    out.push(...members.slice(0, k))
  }
  return Int32Array.from(out)
}

/**
 * The pool rows kept for an imbalanced pool: class sizes decay geometrically from all of the
 * largest class to 1 / `ratio` of it (class at rank r of C keeps ratio^(-r / (C - 1)) of its
 * images), which class gets which rank and which images are kept drawn with `seed`. ratio 1 keeps
 * everything. Sorted, so the kept rows stay in the pool's order.
 */
export function imbalancedSubset(labels: Int32Array, classes: number, ratio: number, seed: number): Int32Array {
  if (!(ratio >= 1)) throw new Error(`the imbalance ratio must be 1 or more (got ${ratio})`)
  const rand = rng(seed)
  const rank = Array.from({ length: classes }, (_, c) => c)
  shuffle(rank, rand)
  const keep: number[] = []
  for (let c = 0; c < classes; c++) {
    const members: number[] = []
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) members.push(i)
    shuffle(members, rand)
    const share = classes > 1 ? Math.pow(ratio, -rank.indexOf(c) / (classes - 1)) : 1
    keep.push(...members.slice(0, Math.max(1, Math.round(share * members.length))))
  }
  return Int32Array.from(keep.sort((a, b) => a - b))
}

/**
 * Runs the protocol. Returns per-trial accuracies (summarise() gives the table rows) and the seed
 * draws, so peers can be run on exactly the same seeds.
 */
export async function evaluate(
  data: EvalData,
  partial: Partial<EvalOptions> = {},
): Promise<{ acc: TrialAccuracies; seeds: Map<number, Int32Array[]>; suggestedClasses: Map<number, number[]>; labelIssueTrials: LabelIssueTrial[] }> {
  const o: EvalOptions = { ...DEFAULT_EVAL, ...partial }
  const C = data.classes.length
  const acc: TrialAccuracies = new Map()
  const seeds = new Map<number, Int32Array[]>()
  const suggestedClasses = new Map<number, number[]>()
  const P2 = unitRows(data.pool)
  const T2 = unitRows(data.test)
  const fullAcc = fullPoolAccuracy(data, o.signal)
  const labelIssueTrials: LabelIssueTrial[] = []
  // the engine's own head inputs, fitted on the pool without labels
  const ft = fitFeatures(data.pool, o.features)
  const X = applyFeatures(ft, data.pool)
  const Xv = (data.poolViews ?? []).map((V) => applyFeatures(ft, V))
  // with test-time averaging the test images are scored as the pool's are: on their views' mean
  const testTimeViews = (o.settings.testTimeViews ?? DEFAULT_ROUND_SETTINGS.testTimeViews) && Xv.length > 0
  const Xt = testTimeViews ? meanOfViews(applyFeatures(ft, data.test), (data.testViews ?? []).map((V) => applyFeatures(ft, V))) : applyFeatures(ft, data.test)
  let graph: KnnGraph | undefined
  const getGraph = () => (graph ??= knnGraph(X, o.settings.graphK ?? 10, o.signal))
  const budgetTotal = Math.round(o.reviewShare * data.pool.rows)
  let typical: Float64Array | undefined
  const getTypical = () => (typical ??= typicality(X, o.seeds.neighbours ?? DEFAULT_SEED_OPTIONS.neighbours, o.signal))
  for (const k of o.ks) {
    const draws: Int32Array[] = []
    seeds.set(k, draws)
    const covered: number[] = []
    suggestedClasses.set(k, covered)
    record(acc, 'full_pool', k, 0, fullAcc)
    if (data.text) record(acc, 'zero_shot', k, 0, testAccuracy(zeroShotHead(data.text), T2, data.testLabels, C))
    for (let t = 0; t < o.trials; t++) {
      o.signal?.throwIfAborted()
      const seedIdx = drawSeeds(data.poolLabels, C, k, t)
      draws.push(seedIdx)
      const human: Labels = { index: seedIdx, label: Int32Array.from(seedIdx, (i) => data.poolLabels[i]!) }
      const seedHead = new LogisticHead(C, { C: 10 }).fit(takeRows(P2, seedIdx), human.label)
      record(acc, 'seed_only', k, 0, testAccuracy(seedHead, T2, data.testLabels, C))
      if (data.text) {
        const prior = headPrior(data.text, new Array<number>(C).fill(k), o.settings.textPriorStrength ?? DEFAULT_ROUND_SETTINGS.textPriorStrength)
        const priorHead = new LogisticHead(C, { C: 10, prior }).fit(takeRows(P2, seedIdx), human.label)
        record(acc, 'text_prior', k, 0, testAccuracy(priorHead, T2, data.testLabels, C))
      }

      // the studio's suggestions for the same budget, labelled by the simulated person
      const picked = !o.suggested ? new Int32Array(0) : suggestSeeds(X, k * C, { ...o.seeds, seed: t, typical: getTypical(), ...(o.signal ? { signal: o.signal } : {}) })
      const suggested: Labels = { index: picked, label: Int32Array.from(picked, (i) => data.poolLabels[i]!) }
      if (o.suggested) covered.push(new Set(suggested.label).size)

      // with the contrastive space among the head's inputs, the test images get it too (the
      // projection the rounds of this trial trained on the pool)
      const contrastiveHead = o.settings.contrastive === 'head' || o.settings.contrastive === 'both'
      const XtRounds = contrastiveHead ? withProjection(Xt, contrastiveSpace(X, { seed: t }).projection) : Xt
      // the engine's rounds from these seed labels, with or without the simulated reviewer: test
      // accuracy after each round (index 0: the engine's seed-only head)
      const selfTrain = async (seedLabels: Labels, review: boolean): Promise<number[]> => {
        const perRound: number[] = []
        let labelled: Labels = seedLabels
        let accepted: Labels = { index: new Int32Array(0), label: new Int32Array(0) }
        let unreviewed: (Labels & { proba: Float32Array }) | undefined
        let previous: Head | undefined
        // the running class prior travels from round to round as the studio keeps it (debias.ts)
        let classPrior: Float64Array | undefined
        let spent = 0
        // call r trains on what round r-1 proposed (and the reviewer decided): its head is the
        // accuracy "after round r-1"; call 1 is the engine's seed-only head (round 0)
        for (let call = 1; call <= o.rounds + 1; call++) {
          const round = Math.min(call, o.rounds)
          const settings: Partial<RoundSettings> = { folds: 0, ...o.settings, ...(review ? (o.reviewPseudoWeight === 'check' ? { pseudoCheck: true } : { pseudoWeight: o.reviewPseudoWeight }) : {}), round, rounds: o.rounds, seed: t }
          const needsGraph = ['agreement', 'ensemble'].includes(settings.strategy ?? DEFAULT_ROUND_SETTINGS.strategy) || review || settings.transductive === true
          const res = await runRound(
            { X, classes: C, human: labelled, accepted, ...(unreviewed ? { unreviewed } : {}), ...(previous ? { previous } : {}), ...(needsGraph ? { graph: getGraph() } : {}), ...(Xv.length ? { views: Xv } : {}), ...(classPrior ? { classPrior } : {}) },
            settings,
            o.signal,
          )
          previous = res.head
          classPrior = res.classPrior
          const rows = new Float32Array(res.proposals.index.length * C)
          for (let j = 0; j < res.proposals.index.length; j++) rows.set(res.proba.subarray(res.proposals.index[j]! * C, (res.proposals.index[j]! + 1) * C), j * C)
          unreviewed = { index: res.proposals.index, label: res.proposals.label, proba: rows }
          perRound.push(testAccuracy(res.head, XtRounds, data.testLabels, C))
          if (call > o.rounds) break
          if (review) {
            // this round's share of the budget, on the proposals in the studio's review order
            const budget = Math.round((budgetTotal * call) / o.rounds) - spent
            const view = res.graphProba ?? propagateLabels(getGraph(), { index: Int32Array.from([...labelled.index, ...accepted.index]), label: Int32Array.from([...labelled.label, ...accepted.label]) }, C)
            const proposed = new Map<number, number>()
            for (let j = 0; j < res.proposals.index.length; j++) proposed.set(res.proposals.index[j]!, res.proposals.label[j]!)
            // the queue asks a head trained on human and accepted labels only: its doubts are
            // about what people told it, not about its own pseudo-labels (measured: a queue from
            // the pseudo-labelled head gave 49 % on cifar10-small k=4, this one 55 %)
            const queueProba = () => {
              if (res.metrics.trainedOn.unreviewed === 0) return res.proba
              const idx = Int32Array.from([...labelled.index, ...accepted.index])
              const h = new LogisticHead(C, { C: res.settings.C }).fit(takeRows(X, idx), Int32Array.from([...labelled.label, ...accepted.label]))
              return h.predictProba(X)
            }
            const known = new Uint8Array(X.rows)
            for (const i of labelled.index) known[i] = 1
            for (const i of accepted.index) known[i] = 1
            const unlabelled: number[] = []
            for (let i = 0; i < X.rows; i++) if (!known[i]) unlabelled.push(i)
            const queue =
              o.reviewOrder === 'proposals'
                ? mostInformative(res.proba, C, res.proposals.index, view).slice(0, budget)
                : reviewQueue(X, queueProba(), C, Int32Array.from(unlabelled), budget, {
                    viewProba: view,
                    labelled: Int32Array.from([...labelled.index, ...accepted.index]),
                    seed: t * 100 + call,
                    diverse: o.reviewOrder === 'diverse',
                  })
            const acceptedIdx = Array.from(accepted.index)
            const acceptedLab = Array.from(accepted.label)
            const humanIdx = Array.from(labelled.index)
            const humanLab = Array.from(labelled.label)
            for (const i of queue) {
              const truth = data.poolLabels[i]!
              if (proposed.get(i) === truth) {
                acceptedIdx.push(i)
                acceptedLab.push(truth)
              } else {
                humanIdx.push(i)
                humanLab.push(truth)
              }
            }
            spent += queue.length
            accepted = { index: Int32Array.from(acceptedIdx), label: Int32Array.from(acceptedLab) }
            labelled = { index: Int32Array.from(humanIdx), label: Int32Array.from(humanLab) }
          }
        }
        return perRound
      }
      const tracks = [
        { method: 'no_review', seedLabels: human, review: false },
        ...(o.reviewShare > 0 ? [{ method: 'review_10pct', seedLabels: human, review: true }] : []),
        ...(o.suggested ? [{ method: 'suggested_seeds', seedLabels: suggested, review: false }] : []),
      ]
      for (const { method, seedLabels, review } of tracks) (await selfTrain(seedLabels, review)).forEach((a, round) => record(acc, method, k, round, a))

      if (k === o.labelIssues.k) {
        // a person's slips: a share of the seeds moved to a random other class (seeded per trial)
        const rand = rng(1000 + t)
        const order = Array.from(human.index.keys())
        shuffle(order, rand)
        const flipped = new Set(order.slice(0, Math.round(o.labelIssues.share * order.length)))
        const given = Int32Array.from(human.label)
        for (const i of flipped) given[i] = (given[i]! + 1 + Math.floor(rand() * (C - 1))) % C
        const found = labelIssues(takeRows(X, seedIdx), given, C, { ...o.labelIssues.options, seed: t, ...(o.signal ? { signal: o.signal } : {}) })
        const hit = found.issues.filter((f) => flipped.has(f.row)).length
        const fixed = Int32Array.from(given)
        for (const f of found.issues) fixed[f.row] = f.suggested
        const seedOnly = (labels: Int32Array) => testAccuracy(new LogisticHead(C, { C: 10 }).fit(takeRows(P2, seedIdx), labels), T2, data.testLabels, C)
        const noReview = async (labels: Int32Array) => (await selfTrain({ index: seedIdx, label: labels }, false)).at(-1)!
        labelIssueTrials.push({
          k,
          flipped: flipped.size,
          flagged: found.issues.length,
          precision: found.issues.length ? hit / found.issues.length : 1,
          recall: hit / Math.max(1, flipped.size),
          seed_only_before: seedOnly(given),
          seed_only_after: seedOnly(fixed),
          no_review_before: await noReview(given),
          no_review_after: await noReview(fixed),
        })
      }
      o.onTrial?.(`k=${k} trial ${t + 1}/${o.trials}`)
    }
  }
  return { acc, seeds, suggestedClasses, labelIssueTrials }
}

/** The flipped-label trials averaged (null when none ran). */
export function summariseLabelIssues(trials: LabelIssueTrial[]): (LabelIssueTrial & { trials: number }) | null {
  if (trials.length === 0) return null
  const mean = (key: keyof LabelIssueTrial) => trials.reduce((a, t) => a + t[key], 0) / trials.length
  return {
    k: trials[0]!.k,
    trials: trials.length,
    flipped: mean('flipped'),
    flagged: mean('flagged'),
    precision: mean('precision'),
    recall: mean('recall'),
    seed_only_before: mean('seed_only_before'),
    seed_only_after: mean('seed_only_after'),
    no_review_before: mean('no_review_before'),
    no_review_after: mean('no_review_after'),
  }
}
