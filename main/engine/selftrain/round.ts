/**
 * One self-training round as a pure function of (features, human labels, accepted pseudo-labels,
 * settings): train the head, calibrate it on held-out human labels, predict every image, select
 * proposals. Storage-agnostic: the caller persists the result (all or nothing: the result exists
 * only once the round has finished, so a cancelled round leaves nothing half-written).
 */
import { expectedCalibrationError, fitTemperature, softmaxWithTemperature } from './calibration'
import type { Head } from './head'
import { crossValProba, fitShare, stratifiedFolds } from './kfold'
import { knnGraph, type KnnGraph } from '../math/knn'
import { propagateLabels } from './propagate'
import { contrastiveSpace, withProjection } from './contrastive'
import { rowArgmax, takeRows, type Matrix } from '../math/linalg'
import { LogisticHead } from './logistic'
import { MlpHead } from './mlp'
import { ClassBalancedTopK, makeStrategy, type Selection } from './selection'
import { DEFAULT_STRATEGY, type HeadKind, type StrategyName } from '../../../preload/vocabulary'
import { headPrior, zeroShotHead, type ClassText, type HeadPrior } from './zero-shot'
import { meanOfViews, studentSet } from './views'
import { debiasProba, updateClassPrior } from './debias'
import { refineTransductive, relabel } from './transductive'

export interface Labels {
  index: Int32Array
  label: Int32Array
}

export interface RoundSettings {
  head: HeadKind
  /** L2: inverse strength, as scikit-learn's C */
  C: number
  strategy: StrategyName
  /** the strategy's one knob (threshold, floor or share); its default when absent */
  strategyParam?: number
  /** 1-based; schedules (class-balanced share) grow with round / rounds */
  round: number
  rounds: number
  /** weight of unreviewed pseudo-labels in training, relative to a human label */
  pseudoWeight: number
  /** folds for the out-of-sample accuracy and the temperature; 0 skips both (T = 1) */
  folds: number
  /** train on unreviewed pseudo-labels as their probability vectors (soft targets) instead of hard labels */
  soft: boolean
  /** decide per round whether unreviewed pseudo-labels help: k-fold accuracy on the human labels
   *  of heads trained with them (at pseudoWeight 1) against heads trained without them; the better
   *  one sets this round's weight (1 or 0). Pseudo-labels help when they are mostly right and hurt
   *  when a person is labelling exactly the cases the head gets wrong; this measures which. */
  pseudoCheck: boolean
  /** at most this many unreviewed pseudo-labels train the head (an even subsample beyond it):
   *  past a few thousand per class they add little and cost linear time; the k-fold heads that
   *  calibrate get a quarter of it */
  maxPseudo: number
  /** neighbours in the kNN graph (agreement, ensemble) */
  graphK: number
  /** above this many images no kNN graph is built and graph strategies fall back to
   *  class-balanced top-k on the head. Up to 4,000 the graph is exact (n^2 d products), above it
   *  approximate (PCA + inverted-file index, knn.ts), whose cost grows ~n^1.5: measured 4.3 s CPU
   *  at 20,000 x 1280 and 19.7 s at 100,000, which would take a 100,000-image round from ~17 s to
   *  ~40 s; a caller that keeps the graph (RoundInput.graph) is not limited. */
  graphLimit: number
  /** with class text directions (RoundInput.text): pull the logistic head toward them (zero-shot.ts) */
  textPrior: boolean
  /** the prior's extra weight with no label (lambda0 of zero-shot.ts priorStrength) */
  textPriorStrength: number
  /** with views (RoundInput.views): score every image on the mean of its clean and view features */
  testTimeViews: boolean
  /** with views: the final head also trains on each training image's views, with its label (views.ts) */
  studentViews: boolean
  /** dropout on the final head's input features (0: none); with studentViews, the noisy student */
  studentDropout: number
  /** class-prior debiasing of the proposals (debias.ts): tau of the logit adjustment by the running
   *  mean prediction over the pool; 0 is off */
  debias: number
  /** weight of the previous rounds' class prior in the running one (RoundInput.classPrior) */
  debiasMomentum: number
  /** refine the proposals' probabilities over the whole pool (transductive.ts): the head's
   *  probabilities propagated on the kNN graph, class totals pulled softly toward balance */
  transductive: boolean
  /** how hard (0 to 1) the transductive refinement pulls the class totals toward balance */
  transductiveBalance: number
  /** the refinement gives the picked images their classes only; which images are picked stays
   *  the strategy's on the head (and graph) view (transductive.ts relabel says why) */
  transductiveLabels: boolean
  /** an experiment (contrastive.ts): a MoCo projection trained on views of the pool, without
   *  labels, whose space builds the kNN graph ('graph'), joins the head's inputs ('head'), or both.
   *  Off: with embedding-space views no variant helped at k = 4 (test/bench/results/ablation-moco.json) */
  contrastive: 'off' | 'graph' | 'head' | 'both'
  seed: number
}

export const DEFAULT_ROUND_SETTINGS: RoundSettings = {
  head: 'logistic',
  C: 10,
  strategy: DEFAULT_STRATEGY,
  round: 1,
  rounds: 5,
  pseudoWeight: 1,
  soft: false,
  pseudoCheck: false,
  maxPseudo: 20000,
  folds: 5,
  graphK: 10,
  graphLimit: 50000,
  textPrior: true,
  textPriorStrength: 1,
  testTimeViews: false,
  studentViews: false,
  studentDropout: 0,
  // off: in the eval (no review, 5 trials, k = 4; test/bench/results/ablation-debias.json) neither
  // debiasing nor the transductive refinement helped on any shared dataset, balanced or 10:1
  // imbalanced; the ensemble's class-balanced quota and label-propagation view already do most of it
  debias: 0,
  debiasMomentum: 0.5,
  transductive: false,
  transductiveBalance: 0.5,
  transductiveLabels: false,
  contrastive: 'off',
  seed: 0,
}

export interface RoundInput {
  /** head inputs for every image (see features.ts), n x d */
  X: Matrix
  classes: number
  /** human labels (seed labels, relabels, accepted audit items) */
  human: Labels
  /** pseudo-labels a person accepted: trained on with full weight */
  accepted?: Labels
  /** last round's proposals nobody reviewed: trained on with settings.pseudoWeight; `proba`
   *  (rows x classes, in the same order) gives their soft targets when settings.soft is on */
  unreviewed?: Labels & { proba?: Float32Array }
  /** images never to propose (rejected proposals); human and accepted ones are excluded anyway */
  exclude?: Int32Array
  /** the kNN graph over X, when the caller keeps it between rounds (it does not change) */
  graph?: KnnGraph
  /** the previous round's head: the new one starts from its weights (same optimum, fewer steps) */
  previous?: Head
  /** a text-aligned teacher's class directions, in X's space (X: the L2-normalised embeddings,
   *  untransformed; zero-shot.ts says why): with no label at all the round is zero-shot, with
   *  labels they are the head's prior (settings.textPrior) */
  text?: ClassText
  /** the teacher's augmented views as head inputs, each aligned with X (views.ts) */
  views?: Matrix[]
  /** the previous round's RoundResult.classPrior: the running class prior that debiasing divides out */
  classPrior?: Float64Array
}

export interface RoundMetrics {
  /** k-fold out-of-sample accuracy on the human labels (NaN when too few to fold) */
  kfoldAccuracy: number
  /** expected calibration error of the out-of-sample predictions, after / before temperature */
  ece: number
  eceUncalibrated: number
  temperature: number
  proposalsPerClass: number[]
  /** k-fold accuracy on human labels with and without unreviewed pseudo-labels (pseudoCheck) */
  pseudoChecked?: { with: number; without: number }
  /** the strategy that selected (differs from the settings' when the graph was over its limit) */
  strategy: string
  /** how the probabilities were made: a head on the labels, the same with the text prior, or the
   *  class names alone (zero-shot: no held-out labels, so the softmax is not calibrated, T = 1) */
  method: 'head' | 'text-prior' | 'zero-shot'
  trainedOn: { human: number; accepted: number; unreviewed: number }
  seconds: number
}

export interface RoundResult {
  settings: RoundSettings
  /** n x classes calibrated probabilities for every image */
  proba: Float32Array
  predicted: Int32Array
  confidence: Float32Array
  /** selected proposals, most confident first */
  proposals: Selection
  /** label propagation's n x classes view, when the strategy used the graph */
  graphProba?: Float32Array
  graph?: KnnGraph
  head: Head
  /** the running class prior after this round (the head's mean probabilities over the unlabelled
   *  images, blended with RoundInput.classPrior): the next round's classPrior */
  classPrior: Float64Array
  metrics: RoundMetrics
}

/**
 * How far a round has come: the stage it is in and its work done of the work to do, in the
 * stage's own unit (folds, L-BFGS progress, rows, iterations). Called often (every iteration of
 * every fit): a caller that sends it on throttles it (worker.ts).
 */
export type RoundProgress = (stage: RoundStageName, done: number, total: number) => void

/** The stages of a round in the worker, in their order; each reports its own progress. */
export const ROUND_STAGES = ['checking pseudo-labels', 'cross-validating', 'fitting the head', 'scoring images', 'building the kNN graph', 'propagating labels', 'selecting proposals'] as const
export type RoundStageName = (typeof ROUND_STAGES)[number]

/** Yields to the event loop so an abort can land between the heavy steps. */
const tick = () => new Promise<void>((r) => setImmediate(r))

function makeHead(s: RoundSettings, classes: number, previous?: Head, prior?: HeadPrior): Head {
  if (s.head === 'mlp') return new MlpHead(classes, { seed: s.seed })
  const init = previous instanceof LogisticHead && previous.W.length > 0 ? { W: previous.W, b: previous.b } : undefined
  return new LogisticHead(classes, { C: s.C, ...(init ? { init } : {}), ...(prior ? { prior } : {}) })
}

/** The text prior of this round, when it has class directions, the setting is on and the head is logistic. */
function priorFor(input: RoundInput, s: RoundSettings): HeadPrior | undefined {
  if (!input.text || !s.textPrior || s.head !== 'logistic') return undefined
  const counts = new Float64Array(input.classes)
  for (const c of input.human.label) counts[c] = counts[c]! + 1
  for (const c of input.accepted?.label ?? []) counts[c] = counts[c]! + 1
  return headPrior(input.text, counts, s.textPriorStrength)
}

export async function runRound(original: RoundInput, partial: Partial<RoundSettings> = {}, signal?: AbortSignal, onProgress: RoundProgress = () => {}): Promise<RoundResult> {
  let s: RoundSettings = { ...DEFAULT_ROUND_SETTINGS, ...partial }
  const t0 = performance.now()
  // the views live in X's space: beside a projection they would be misaligned (an experiment's
  // combination nobody has measured, so refused rather than guessed)
  if ((s.contrastive === 'head' || s.contrastive === 'both') && original.views?.length && (s.testTimeViews || s.studentViews)) throw new Error(`contrastive=${s.contrastive} cannot be combined with augmented views (testTimeViews, studentViews): use contrastive=graph or no views`)
  const space = s.contrastive === 'off' ? undefined : contrastiveSpace(original.X, { seed: s.seed, ...(signal ? { signal } : {}) })
  const Z = space?.Z
  const headSpace = s.contrastive === 'head' || s.contrastive === 'both'
  const { graph: kept, text, ...rest } = original
  // the graph a caller keeps is over X: with the contrastive space building it, it is built anew;
  // class text directions live in X's space, not in X beside its projection
  const input: RoundInput = {
    ...rest,
    ...(space && headSpace ? { X: withProjection(original.X, space.projection) } : text ? { text } : {}),
    ...(kept && !(Z && s.contrastive !== 'head') ? { graph: kept } : {}),
  }
  const { X, classes, human } = input
  const n = X.rows
  const k = classes
  // no label at all: the class names alone propose (a text-aligned teacher), else nothing can
  const zeroShot = human.index.length === 0 && (input.accepted?.index.length ?? 0) === 0
  if (zeroShot && !input.text) throw new Error('a round needs at least one human label')
  const prior = priorFor(input, s)
  signal?.throwIfAborted()

  let pseudoChecked: { with: number; without: number } | undefined
  if (s.pseudoCheck && input.unreviewed && input.unreviewed.index.length > 0 && human.index.length >= 10) {
    pseudoChecked = checkPseudo(input, s, prior, signal, (done, total) => onProgress('checking pseudo-labels', done, total))
    // ties go to the human labels alone: pseudo-labels must earn their place
    s = { ...s, pseudoWeight: pseudoChecked.with > pseudoChecked.without ? 1 : 0 }
    await tick()
  }
  // training set: human + accepted (weight 1) + unreviewed (pseudoWeight)
  const accepted = input.accepted ?? { index: new Int32Array(0), label: new Int32Array(0) }
  const unreviewed = s.pseudoWeight > 0 && input.unreviewed ? input.unreviewed : { index: new Int32Array(0), label: new Int32Array(0) }
  const taken = new Uint8Array(n)
  for (const i of human.index) taken[i] = 1
  for (const i of accepted.index) taken[i] = 1
  const unrevIdx: number[] = []
  const unrevLab: number[] = []
  const unrevRow: number[] = []
  const stride = Math.max(1, unreviewed.index.length / Math.max(1, s.maxPseudo))
  for (let q = 0; q < unreviewed.index.length; q += stride) {
    const j = Math.floor(q)
    const i = unreviewed.index[j]!
    if (taken[i]) continue
    unrevIdx.push(i)
    unrevLab.push(unreviewed.label[j]!)
    unrevRow.push(j)
  }
  const trainIdx = Int32Array.from([...human.index, ...accepted.index, ...unrevIdx])
  const trainLab = Int32Array.from([...human.label, ...accepted.label, ...unrevLab])
  const weight = new Float32Array(trainIdx.length).fill(1)
  weight.fill(s.pseudoWeight, human.index.length + accepted.index.length)

  // out-of-sample predictions for the human labels: accuracy, and the temperature
  let temperature = 1
  let msPerRow: number | null = null
  let kfoldAccuracy = NaN
  let ece = NaN
  let eceUncalibrated = NaN
  const perClass = new Int32Array(k)
  for (const c of human.label) perClass[c] = perClass[c]! + 1
  const minPerClass = Math.min(...Array.from(perClass).filter((v) => v > 0))
  const folds = human.index.length > 0 ? Math.min(s.folds, minPerClass) : 0
  if (s.folds > 0 && folds >= 2) {
    const step = Math.max(1, unrevIdx.length / Math.max(1, s.maxPseudo / 4))
    const sub: number[] = []
    for (let q = 0; q < unrevIdx.length; q += step) sub.push(Math.floor(q))
    const extraIdx = Int32Array.from([...accepted.index, ...sub.map((j) => unrevIdx[j]!)])
    const extraLab = Int32Array.from([...accepted.label, ...sub.map((j) => unrevLab[j]!)])
    const extraW = new Float32Array(extraIdx.length).fill(1).fill(s.pseudoWeight, accepted.index.length)
    const cvStarted = performance.now()
    const oos = crossValProba(() => makeHead(s, k, undefined, prior), takeRows(X, human.index), human.label, k, {
      folds,
      seed: s.seed,
      extra: { X: takeRows(X, extraIdx), labels: extraLab, weight: extraW },
      fit: { signal },
      onProgress: (done, total) => onProgress('cross-validating', done, total),
    })
    // the final fit is timed by the folds' fits: L-BFGS iterations cost in proportion to the rows
    const foldRows = (folds - 1) * human.index.length + folds * extraIdx.length
    msPerRow = (performance.now() - cvStarted) / Math.max(1, foldRows)
    kfoldAccuracy = oos.accuracy
    eceUncalibrated = expectedCalibrationError(oos.proba, human.label, k)
    temperature = fitTemperature(oos.logits, human.label, k)
    ece = expectedCalibrationError(softmaxWithTemperature(oos.logits, human.index.length, k, temperature), human.label, k)
  }
  await tick()
  signal?.throwIfAborted()

  const softProba = s.soft && 'proba' in unreviewed ? unreviewed.proba : undefined
  let targets: Int32Array | Matrix = trainLab
  if (softProba && unrevRow.length > 0) {
    const T = new Float32Array(trainIdx.length * k)
    const nHard = trainIdx.length - unrevRow.length
    for (let j = 0; j < nHard; j++) T[j * k + trainLab[j]!] = 1
    for (let j = 0; j < unrevRow.length; j++) T.set(softProba.subarray(unrevRow[j]! * k, (unrevRow[j]! + 1) * k), (nHard + j) * k)
    targets = { rows: trainIdx.length, cols: k, data: T }
  }
  onProgress('fitting the head', 0, 1)
  const fitStarted = performance.now()
  const fitExpected = msPerRow === null ? null : msPerRow * trainIdx.length
  const fitProgress = (p: number) => onProgress('fitting the head', fitShare(p, performance.now() - fitStarted, fitExpected), 1)
  // the k-fold heads above train on clean rows only: a view of a held-out image must not train its fold
  const views = input.views ?? []
  const fitSet = s.studentViews || s.studentDropout > 0 ? studentSet(X, s.studentViews ? views : [], trainIdx, targets, weight, s.studentDropout, s.seed) : { X: takeRows(X, trainIdx), targets, weight }
  const head = zeroShot ? zeroShotHead(input.text!) : makeHead(s, k, undefined, prior).fit(fitSet.X, fitSet.targets, { sampleWeight: fitSet.weight, signal, onProgress: fitProgress })
  onProgress('fitting the head', 1, 1)
  await tick()
  signal?.throwIfAborted()
  onProgress('scoring images', 0, n)
  const proba = softmaxWithTemperature(head.decision(s.testTimeViews ? meanOfViews(X, views) : X), n, k, temperature)
  const predicted = new Int32Array(n)
  const confidence = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c
    predicted[i] = best
    confidence[i] = proba[i * k + best]!
  }
  onProgress('scoring images', n, n)
  const excluded = new Uint8Array(n)
  for (const i of human.index) excluded[i] = 1
  for (const i of accepted.index) excluded[i] = 1
  if (input.exclude) for (const i of input.exclude) excluded[i] = 1
  const cand: number[] = []
  for (let i = 0; i < n; i++) if (!excluded[i]) cand.push(i)
  const candidates = Int32Array.from(cand)
  // what the proposals are chosen from: the head's probabilities, debiased and refined over the
  // pool when the settings say (zero-shot has no head bias to measure nor labels to anchor a graph)
  const classPrior = updateClassPrior(proba, k, candidates, input.classPrior, s.debiasMomentum)
  let selectProba = s.debias > 0 && !zeroShot ? debiasProba(proba, k, classPrior, s.debias) : proba
  let refined: Float32Array | undefined
  const transductive = s.transductive && !zeroShot && (input.graph !== undefined || n <= s.graphLimit)

  let strategy = makeStrategy(s.strategy, s.strategyParam)
  if (strategy.needsGraph && !input.graph && n > s.graphLimit) strategy = makeStrategy('balanced', s.strategyParam)
  // label propagation spreads labels; with none it has nothing to spread: rank the zero-shot
  // probabilities per class instead (class-balanced top-k at its own default share)
  if (strategy.needsGraph && zeroShot) strategy = makeStrategy('balanced')
  let graph = input.graph
  let graphProba: Float32Array | undefined
  if (strategy.needsGraph || transductive) {
    if (!graph) {
      onProgress('building the kNN graph', 0, n)
      graph = knnGraph(Z && s.contrastive !== 'head' ? Z : original.X, s.graphK, signal, { onProgress: (done, total) => onProgress('building the kNN graph', done, total) })
      onProgress('building the kNN graph', n, n)
    }
    await tick()
    signal?.throwIfAborted()
    const seeds = { index: Int32Array.from([...human.index, ...accepted.index]), label: Int32Array.from([...human.label, ...accepted.label]) }
    onProgress('propagating labels', 0, 1)
    if (strategy.needsGraph) graphProba = propagateLabels(graph, seeds, k, { onProgress: (done, total) => onProgress('propagating labels', done, total) })
    if (transductive) refined = refineTransductive(graph, seeds, selectProba, k, { balance: s.transductiveBalance })
    if (refined && !s.transductiveLabels) selectProba = refined
  }
  onProgress('selecting proposals', 0, 1)
  const picked = strategy.select({
    proba: selectProba,
    classes: k,
    candidates,
    round: s.round,
    rounds: s.rounds,
    ...(graphProba ? { graphProba } : {}),
  })
  const proposals = refined && s.transductiveLabels ? relabel(picked, refined, k, graphProba) : picked
  const proposalsPerClass = new Array<number>(k).fill(0)
  for (const c of proposals.label) proposalsPerClass[c] = proposalsPerClass[c]! + 1
  onProgress('selecting proposals', 1, 1)
  signal?.throwIfAborted()
  return {
    settings: s,
    proba,
    predicted,
    confidence,
    proposals,
    head,
    classPrior,
    ...(graphProba ? { graphProba } : {}),
    ...(graph ? { graph } : {}),
    metrics: {
      kfoldAccuracy,
      ece,
      eceUncalibrated,
      temperature,
      proposalsPerClass,
      strategy: strategy.name,
      method: zeroShot ? 'zero-shot' : prior ? 'text-prior' : 'head',
      ...(pseudoChecked ? { pseudoChecked } : {}),
      trainedOn: { human: human.index.length, accepted: accepted.index.length, unreviewed: unrevIdx.length },
      seconds: (performance.now() - t0) / 1000,
    },
  }
}

/**
 * k-fold accuracy on the human labels of heads trained with and without pseudo-labels. The
 * pseudo-labels are re-made inside each fold (head on the fold's labels, class-balanced top-k at
 * this round's quota): last round's proposals came from a head that saw the held-out labels, and
 * scoring them on those labels would favour them unfairly.
 */
function checkPseudo(input: RoundInput, s: RoundSettings, prior: HeadPrior | undefined, signal: AbortSignal | undefined, onProgress: (done: number, total: number) => void): { with: number; without: number } {
  const { X, classes: k, human } = input
  const accepted = input.accepted ?? { index: new Int32Array(0), label: new Int32Array(0) }
  const n = X.rows
  const known = new Uint8Array(n)
  for (const i of human.index) known[i] = 1
  for (const i of accepted.index) known[i] = 1
  const cand: number[] = []
  for (let i = 0; i < n; i++) if (!known[i]) cand.push(i)
  const step = Math.max(1, cand.length / Math.max(1, s.maxPseudo / 4))
  const candidates: number[] = []
  for (let q = 0; q < cand.length; q += step) candidates.push(cand[Math.floor(q)]!)
  const Xc = takeRows(X, candidates)
  const folds = Math.min(5, human.index.length)
  const fold = stratifiedFolds(human.label, folds, s.seed)
  let rightWith = 0
  let rightWithout = 0
  const fitOpts = signal ? { signal } : {}
  for (let f = 0; f < folds; f++) {
    // two fits a fold; the first half of a fold's share is the head without pseudo-labels
    onProgress(f, folds)
    const tr: number[] = []
    const te: number[] = []
    for (let j = 0; j < human.index.length; j++) (fold[j] === f ? te : tr).push(j)
    if (tr.length === 0 || te.length === 0) continue
    const baseIdx = [...tr.map((j) => human.index[j]!), ...accepted.index]
    const baseLab = [...tr.map((j) => human.label[j]!), ...accepted.label]
    const without = makeHead(s, k, undefined, prior).fit(takeRows(X, baseIdx), Int32Array.from(baseLab), { ...fitOpts, onProgress: (p: number) => onProgress(f + p / 2, folds) })
    const Xte = takeRows(X, te.map((j) => human.index[j]!))
    const pc = without.predictProba(Xc)
    const sel = new ClassBalancedTopK(1).select({ proba: pc, classes: k, candidates: Int32Array.from(candidates, (_, r) => r), round: s.round, rounds: s.rounds })
    // warm start from the previous round's head, which trained on much the same images: the same
    // optimum in a fraction of the iterations (these five fits are most of a checked round's cost)
    const withHead = makeHead(s, k, input.previous, prior).fit(
      takeRows(X, [...baseIdx, ...Array.from(sel.index, (r) => candidates[r]!)]),
      Int32Array.from([...baseLab, ...sel.label]),
      { ...fitOpts, onProgress: (p: number) => onProgress(f + 0.5 + p / 2, folds) },
    )
    const a = rowArgmax(withHead.predictProba(Xte), te.length, k).label
    const b = rowArgmax(without.predictProba(Xte), te.length, k).label
    te.forEach((j, r) => {
      if (a[r] === human.label[j]) rightWith++
      if (b[r] === human.label[j]) rightWithout++
    })
  }
  onProgress(folds, folds)
  return { with: rightWith / human.index.length, without: rightWithout / human.index.length }
}
