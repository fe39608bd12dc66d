/**
 * `eval <folder> [--json FILE] [--png FILE] [--k 1,4,25] [--trials 5] [--rounds 5] [--strategy S] [--no-peers]`
 * The self-training evaluation of ../shared/baselines/README.md on <folder>/pool/<class>/* and
 * <folder>/test/<class>/*: prints a Markdown table, writes a PNG chart of accuracy per round and,
 * with --json, {dataset, classes, pool, test, results: [{k, method, round, accuracy_mean, accuracy_std}],
 * suggested_classes: {k: classes the suggested seeds covered, per trial}, label_issues: the flipped-label
 * measurement at k = 25 averaged over trials, null when 25 is not among --k (evaluate.ts)}.
 * Peers (scikit-learn) run on the same embeddings and seeds when /usr/bin/python3 has it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, writeFile, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { evalEmbeddings } from '../engine/selftrain/eval-embed'
import { drawSeeds, evaluate, imbalancedSubset, summarise, summariseLabelIssues, DEFAULT_EVAL, type EvalOptions, type EvalRow } from '../engine/selftrain/evaluate'
import { DEFAULT_LABEL_ISSUE_OPTIONS, LABEL_ISSUE_RULES, type LabelIssueOptions, type LabelIssueRule } from '../engine/selftrain/issues'
import { DEFAULT_FEATURES, type FeatureOptions } from '../engine/selftrain/features'
import { DEFAULT_ROUND_SETTINGS, type RoundSettings } from '../engine/selftrain/round'
import { DEFAULT_SEED_OPTIONS } from '../engine/selftrain/seeds'
import { matrix, takeRows } from '../engine/math/linalg'
import { defaultModelSearchDirs } from '../engine/teacher/manifest'
import { classTextFor } from '../engine/teacher/text'
import { defaultAppDataDir } from '../engine/project/locations'
import type { ClassText } from '../engine/selftrain/zero-shot'
import { DEFAULT_VIEWS, MAX_VIEWS, STRATEGY_NAMES, type StrategyName } from '../../preload/vocabulary'
import { parseArgs, UsageError } from './args'

const USAGE = `usage: npm run cli -- eval <folder> [--json FILE] [--png FILE] [--k 1,4,25] [--trials 5] [--rounds 5]
    [--strategy ${STRATEGY_NAMES.join('|')}] [--model ID] [--no-peers] [--set name=value,...] [--features POWER,CENTRE]
    [--review-order proposals|informative|diverse] [--review-share 0.1] [--review-pseudo-weight check|W] [--imbalance R] [--no-suggested]
  <folder> holds pool/<class>/* (the unlabelled folder) and test/<class>/* (held out)
  --imbalance R: keep a seeded subset of the pool whose class sizes decay geometrically from 1 to 1/R
    (the test split stays as it is)
  --no-suggested: skip the suggested_seeds method (an ablation that reads no_review only)`

const PEERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/bench/peers/peers.py')
const PYTHON = '/usr/bin/python3'

function hasSklearn(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' })
  return r.status === 0
}

interface PeerRow {
  k: number
  method: string
  trial: number
  accuracy: number
}

function runPeers(cfgFile: string, outFile: string, signal: AbortSignal): Promise<PeerRow[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEERS, cfgFile, outFile], { stdio: ['ignore', 'ignore', 'pipe'], signal })
    let err = ''
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)))
    child.on('error', reject)
    child.on('exit', async (code) => {
      if (code !== 0) return reject(new Error(`peers exited with ${code}: ${err}`))
      resolve((JSON.parse(await readFile(outFile, 'utf8')) as { results: PeerRow[] }).results)
    })
  })
}

const pct = (v: number) => (100 * v).toFixed(1)

function table(rows: EvalRow[], ks: number[], rounds: number, peerNames: string[], classesSuggested: Map<number, number[]>, C: number): string {
  const get = (k: number, method: string, round: number) => rows.find((r) => r.k === k && r.method === method && r.round === round)
  const cell = (r: EvalRow | undefined) => (r ? `${pct(r.accuracy_mean)} ± ${pct(r.accuracy_std)}` : '–')
  const head = ['k', 'seed_only', 'no_review (last round)', 'review_10pct (last round)', 'suggested_seeds (last round)', 'classes suggested', 'full_pool', ...peerNames, 'gap closed: no_review', 'gap closed: review_10pct']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const k of ks) {
    const seed = get(k, 'seed_only', 0)
    const full = get(k, 'full_pool', 0)
    const nr = get(k, 'no_review', rounds)
    const rv = get(k, 'review_10pct', rounds)
    const ss = get(k, 'suggested_seeds', rounds)
    const covered = classesSuggested.get(k) ?? []
    const classes = covered.length ? `${(covered.reduce((a, b) => a + b, 0) / covered.length).toFixed(1)} of ${C}` : '–'
    const gap = (r: EvalRow | undefined) =>
      r && seed && full && full.accuracy_mean > seed.accuracy_mean ? `${((100 * (r.accuracy_mean - seed.accuracy_mean)) / (full.accuracy_mean - seed.accuracy_mean)).toFixed(0)}%` : '–'
    lines.push(`| ${[k, cell(seed), cell(nr), cell(rv), cell(ss), classes, cell(full), ...peerNames.map((p) => cell(get(k, p, 0))), gap(nr), gap(rv)].join(' | ')} |`)
  }
  const perRound = ['', '| k | method | ' + Array.from({ length: rounds + 1 }, (_, r) => `round ${r}`).join(' | ') + ' |', '|---|---|' + Array.from({ length: rounds + 1 }, () => '---').join('|') + '|']
  for (const k of ks)
    for (const m of ['no_review', 'review_10pct', 'suggested_seeds'])
      perRound.push(`| ${k} | ${m} | ` + Array.from({ length: rounds + 1 }, (_, r) => (get(k, m, r) ? pct(get(k, m, r)!.accuracy_mean) : '–')).join(' | ') + ' |')
  return [...lines, ...perRound].join('\n')
}

/** A small line chart per k (accuracy per round), drawn as SVG and rasterised by sharp. */
function chartSvg(dataset: string, rows: EvalRow[], ks: number[], rounds: number): string {
  const W = 320
  const H = 240
  const pad = { l: 44, r: 12, t: 28, b: 34 }
  const colours: Record<string, string> = { no_review: '#1f77b4', review_10pct: '#d62728', suggested_seeds: '#ff7f0e', seed_only: '#7f7f7f', full_pool: '#2ca02c' }
  const panels = ks.map((k, p) => {
    const mine = rows.filter((r) => r.k === k)
    const vals = mine.map((r) => r.accuracy_mean)
    const lo = Math.max(0, Math.floor((Math.min(...vals) - 0.02) * 20) / 20)
    const hi = Math.min(1, Math.ceil((Math.max(...vals) + 0.02) * 20) / 20)
    const x = (r: number) => p * W + pad.l + ((W - pad.l - pad.r) * r) / Math.max(1, rounds)
    const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - (v - lo) / Math.max(1e-9, hi - lo))
    const parts: string[] = [`<text x="${p * W + W / 2}" y="16" font-size="13" text-anchor="middle" font-family="sans-serif">${dataset}, k = ${k}</text>`]
    for (let t = 0; t <= 4; t++) {
      const v = lo + ((hi - lo) * t) / 4
      parts.push(`<line x1="${p * W + pad.l}" x2="${p * W + W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`)
      parts.push(`<text x="${p * W + pad.l - 4}" y="${y(v) + 4}" font-size="10" text-anchor="end" font-family="sans-serif">${pct(v)}</text>`)
    }
    for (let r = 0; r <= rounds; r++) parts.push(`<text x="${x(r)}" y="${H - pad.b + 14}" font-size="10" text-anchor="middle" font-family="sans-serif">${r}</text>`)
    parts.push(`<text x="${p * W + W / 2}" y="${H - 4}" font-size="10" text-anchor="middle" font-family="sans-serif">round</text>`)
    for (const m of ['seed_only', 'full_pool']) {
      const r = mine.find((e) => e.method === m)
      if (r) parts.push(`<line x1="${x(0)}" x2="${x(rounds)}" y1="${y(r.accuracy_mean)}" y2="${y(r.accuracy_mean)}" stroke="${colours[m]}" stroke-dasharray="4 3"/>`)
    }
    for (const m of ['no_review', 'review_10pct', 'suggested_seeds']) {
      const pts = mine.filter((e) => e.method === m).sort((a, b) => a.round - b.round)
      if (pts.length) parts.push(`<polyline fill="none" stroke="${colours[m]}" stroke-width="2" points="${pts.map((e) => `${x(e.round)},${y(e.accuracy_mean)}`).join(' ')}"/>`)
    }
    return parts.join('')
  })
  // The legend wraps onto as many rows as the chart's width needs (one k alone is narrow).
  const perRow = Math.max(1, Math.floor((W * ks.length - 10) / 130))
  const entries = Object.entries(colours)
  const legend = entries
    .map(([m, c], i) => {
      const lx = 10 + (i % perRow) * 130
      const ly = H + 6 + Math.floor(i / perRow) * 16
      return `<rect x="${lx}" y="${ly}" width="14" height="4" fill="${c}"/><text x="${lx + 18}" y="${ly + 6}" font-size="11" font-family="sans-serif">${m}</text>`
    })
    .join('')
  const height = H + 8 + Math.ceil(entries.length / perRow) * 16
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * ks.length}" height="${height}"><rect width="100%" height="100%" fill="white"/>${panels.join('')}${legend}</svg>`
}

/** The class names' text directions when the teacher has a text tower ("sea_lion" reads "sea lion"). */
async function classText(model: string, classes: string[]): Promise<ClassText | undefined> {
  const text = await classTextFor(model, classes.map((c) => c.replaceAll('_', ' ')), null, { searchDirs: defaultModelSearchDirs(defaultAppDataDir()) })
  return text ?? undefined
}

export async function run(args: string[]): Promise<number> {
  let folder: string
  let opts: {
    json?: string
    png?: string
    ks: number[]
    trials: number
    rounds: number
    strategy?: StrategyName
    model?: string
    peers: boolean
    settings: Partial<RoundSettings>
    seeds: EvalOptions['seeds']
    issues: Partial<LabelIssueOptions>
    features: FeatureOptions
    reviewOrder: EvalOptions['reviewOrder']
    reviewShare: number
    reviewPseudoWeight: number | 'check'
    views: number
    imbalance: number
    suggested: boolean
  }
  try {
    const { positional, options } = parseArgs(args, ['json', 'png', 'k', 'trials', 'rounds', 'strategy', 'model', 'set', 'features', 'review-order', 'review-share', 'review-pseudo-weight', 'imbalance'])
    if (options.has('help')) {
      console.log(USAGE)
      return 0
    }
    if (positional.length !== 1) throw new UsageError('eval needs one folder')
    folder = path.resolve(positional[0]!)
    const str = (name: string) => {
      const v = options.get(name)
      if (v === true) throw new UsageError(`--${name} needs a value`)
      return v
    }
    const int = (name: string, dflt: number) => {
      const v = str(name)
      const n = v === undefined ? dflt : Number(v)
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number above 0`)
      return n
    }
    const ks = (str('k') ?? DEFAULT_EVAL.ks.join(',')).split(',').map(Number)
    if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new UsageError('--k takes whole numbers, e.g. 1,4,25')
    const strategy = str('strategy') as StrategyName | undefined
    if (strategy && !STRATEGY_NAMES.includes(strategy)) throw new UsageError(`--strategy is one of ${STRATEGY_NAMES.join(', ')}`)
    // --set name=value,...: round settings, seed suggestion options (seeds.ts) and label issue
    // options (issues.ts: rule=offclass|confident, inClassShare) for experiments (numbers,
    // true/false, or a word)
    const settings: Record<string, unknown> = {}
    const seeds: Record<string, unknown> = {}
    const issues: Record<string, unknown> = {}
    const seedNames = Object.keys(DEFAULT_SEED_OPTIONS).filter((n) => n !== 'seed')
    // views=K: the teacher's augmented views per image (0: none), for testTimeViews and studentViews
    let views = DEFAULT_VIEWS
    const issueNames = Object.keys(DEFAULT_LABEL_ISSUE_OPTIONS)
    for (const pair of (str('set') ?? '').split(',').filter(Boolean)) {
      const [name, value] = pair.split('=') as [string, string | undefined]
      if (name === 'views') {
        views = Number(value)
        if (!Number.isInteger(views) || views < 0 || views > MAX_VIEWS) throw new UsageError(`--set views= takes a whole number from 0 to ${MAX_VIEWS}, got "${value}"`)
        continue
      }
      if (!name || value === undefined || !(name in DEFAULT_ROUND_SETTINGS || seedNames.includes(name) || issueNames.includes(name)))
        throw new UsageError(`--set takes name=value with a name from: views, ${[...Object.keys(DEFAULT_ROUND_SETTINGS), ...seedNames, ...issueNames].join(', ')}`)
      ;(seedNames.includes(name) ? seeds : issueNames.includes(name) ? issues : settings)[name] = value === 'true' ? true : value === 'false' ? false : Number.isFinite(Number(value)) ? Number(value) : value
    }
    if (issues.rule !== undefined && !LABEL_ISSUE_RULES.includes(issues.rule as LabelIssueRule)) throw new UsageError(`--set rule= is one of ${LABEL_ISSUE_RULES.join(', ')}`)
    // --features power,centre e.g. 0.5,1 (default) or 1,0 (plain L2)
    const f = str('features')
    const features: FeatureOptions = f ? { power: Number(f.split(',')[0]), centre: f.split(',')[1] === '1' } : DEFAULT_FEATURES
    const reviewOrder = (str('review-order') ?? DEFAULT_EVAL.reviewOrder) as EvalOptions['reviewOrder']
    if (!['proposals', 'informative', 'diverse'].includes(reviewOrder)) throw new UsageError('--review-order is proposals, informative or diverse')
    const imbalance = Number(str('imbalance') ?? 1)
    if (!(imbalance >= 1)) throw new UsageError('--imbalance is a ratio of 1 or more, e.g. 10 (the largest class ten times the smallest)')
    opts = { views, imbalance, suggested: !options.has('no-suggested'), ks, trials: int('trials', DEFAULT_EVAL.trials), rounds: int('rounds', DEFAULT_EVAL.rounds), peers: !options.has('no-peers'), settings: settings as Partial<RoundSettings>, seeds: seeds as EvalOptions['seeds'], issues: issues as Partial<LabelIssueOptions>, features, reviewOrder, reviewShare: Number(str('review-share') ?? DEFAULT_EVAL.reviewShare), reviewPseudoWeight: ((w) => (w === undefined || w === 'check' ? 'check' : Number(w)))(str('review-pseudo-weight')) }
    const json = str('json')
    const png = str('png')
    const model = str('model')
    if (json) opts.json = path.resolve(json)
    if (png) opts.png = path.resolve(png)
    if (strategy) opts.strategy = strategy
    if (model) opts.model = model
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const ac = new AbortController()
  const onSigint = () => ac.abort()
  process.once('SIGINT', onSigint)
  try {
    const dataset = path.basename(folder)
    const t0 = performance.now()
    const emb = await evalEmbeddings(folder, {
      ...(opts.model ? { model: opts.model } : {}),
      views: opts.views,
      signal: ac.signal,
      onProgress: (done, total) => process.stderr.write(`\rembedding ${done}/${total}`),
    })
    const embedSeconds = (performance.now() - t0) / 1000
    process.stderr.write(`\rembeddings ready (${embedSeconds.toFixed(1)} s, ${opts.views} views per image)\n`)
    const C = emb.pool.classes.length
    // an imbalanced pool keeps a subset of the rows (seeded with 0: every run sees the same pool)
    const allPool = matrix(emb.pool.labels.length, emb.pool.dim, emb.pool.data)
    const kept = opts.imbalance > 1 ? imbalancedSubset(emb.pool.labels, C, opts.imbalance, 0) : undefined
    const data = {
      classes: emb.pool.classes,
      pool: kept ? takeRows(allPool, kept) : allPool,
      poolLabels: kept ? Int32Array.from(kept, (i) => emb.pool.labels[i]!) : emb.pool.labels,
      test: matrix(emb.test.labels.length, emb.test.dim, emb.test.data),
      testLabels: emb.test.labels,
      poolViews: emb.pool.views.map((v) => {
        const V = matrix(emb.pool.labels.length, emb.pool.dim, v)
        return kept ? takeRows(V, kept) : V
      }),
      testViews: emb.test.views.map((v) => matrix(emb.test.labels.length, emb.test.dim, v)),
    }
    if (data.testLabels.length === 0) throw new Error(`${folder}/test has no images of the pool's classes`)
    // A text-aligned teacher adds zero_shot and text_prior, the dataset's folder names as class names.
    const text = await classText(emb.model, data.classes)
    const withText = text ? { ...data, text } : data
    // peers need the seeds first: draw them the same way evaluate() does, then run both side by side
    const work = path.join(os.tmpdir(), 'pseudolabel-eval', `${dataset}-${process.pid}`)
    await mkdir(work, { recursive: true })
    let peers: Promise<PeerRow[]> | undefined
    if (opts.peers && hasSklearn()) {
      await writeFile(path.join(work, 'pool.f32'), data.pool.data)
      await writeFile(path.join(work, 'test.f32'), emb.test.data)
      const trials: Record<string, number[][]> = {}
      for (const k of opts.ks) trials[k] = Array.from({ length: opts.trials }, (_, t) => Array.from(drawSeeds(data.poolLabels, C, k, t)))
      const cfg = { pool: path.join(work, 'pool.f32'), test: path.join(work, 'test.f32'), dim: emb.pool.dim, pool_labels: Array.from(data.poolLabels), test_labels: Array.from(emb.test.labels), classes: C, trials }
      await writeFile(path.join(work, 'peers-in.json'), JSON.stringify(cfg))
      peers = runPeers(path.join(work, 'peers-in.json'), path.join(work, 'peers-out.json'), ac.signal)
      peers.catch(() => undefined)
    } else if (opts.peers) {
      console.error(`peers skipped: ${PYTHON} has no scikit-learn (apt-get install -y python3-sklearn)`)
    }
    const t1 = performance.now()
    const { acc, suggestedClasses, labelIssueTrials } = await evaluate(withText, {
      ks: opts.ks,
      trials: opts.trials,
      rounds: opts.rounds,
      settings: { ...opts.settings, ...(opts.strategy ? { strategy: opts.strategy } : {}) },
      seeds: opts.seeds,
      labelIssues: { ...DEFAULT_EVAL.labelIssues, options: opts.issues },
      features: opts.features,
      reviewOrder: opts.reviewOrder,
      reviewShare: opts.reviewShare,
      reviewPseudoWeight: opts.reviewPseudoWeight,
      suggested: opts.suggested,
      signal: ac.signal,
      onTrial: (m) => process.stderr.write(`\r${m}   `),
    })
    const engineSeconds = (performance.now() - t1) / 1000
    process.stderr.write(`\rengine done (${engineSeconds.toFixed(1)} s)\n`)
    const rows = summarise(acc)
    const peerNames: string[] = []
    if (peers) {
      const pr = await peers
      const grouped = new Map<string, number[]>()
      for (const r of pr) {
        if (r.method === 'full_pool_sklearn' || r.method === 'seed_only_sklearn') continue
        const key = `${r.method}\u0000${r.k}`
        grouped.set(key, [...(grouped.get(key) ?? []), r.accuracy])
        if (!peerNames.includes(r.method)) peerNames.push(r.method)
      }
      for (const [key, v] of grouped) {
        const [method, k] = key.split('\u0000') as [string, string]
        const mean = v.reduce((a, b) => a + b, 0) / v.length
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1))
        rows.push({ k: Number(k), method, round: 0, accuracy_mean: mean, accuracy_std: v.length > 1 ? sd : 0 })
      }
    }
    console.log(`\n### ${dataset}: ${C} classes, pool ${data.pool.rows}, test ${data.test.rows} (test accuracy %, mean ± sd over ${opts.trials} trials)\n`)
    console.log(table(rows, opts.ks, opts.rounds, [...(text ? ['zero_shot', 'text_prior'] : []), ...peerNames], suggestedClasses, C))
    const png = opts.png ?? path.join(os.tmpdir(), 'pseudolabel-eval', `${dataset}-rounds.png`)
    await mkdir(path.dirname(png), { recursive: true })
    await sharp(Buffer.from(chartSvg(dataset, rows.filter((r) => !peerNames.includes(r.method)), opts.ks, opts.rounds))).png().toFile(png)
    console.log(`\nchart: ${png}`)
    const label_issues = summariseLabelIssues(labelIssueTrials)
    if (label_issues) {
      const li = label_issues
      console.log(
        `\nlabel issues at k = ${li.k} (${li.flipped.toFixed(1)} of ${li.k * C} seed labels flipped, ${li.trials} trials): ${li.flagged.toFixed(1)} flagged, precision ${li.precision.toFixed(3)}, recall ${li.recall.toFixed(3)}; ` +
          `test accuracy before -> after fixing what it flags: seed_only ${pct(li.seed_only_before)} -> ${pct(li.seed_only_after)}, no_review ${pct(li.no_review_before)} -> ${pct(li.no_review_after)}`,
      )
    }
    if (opts.json) {
      // suggested_classes: per k, how many classes the suggested seeds covered in each trial
      const suggested_classes = Object.fromEntries([...suggestedClasses].map(([k, v]) => [k, v]))
      // views, settings and seconds: what an ablation (test/bench/results/ablation-*.json) compares
      const seconds = { embedding: embedSeconds, engine: engineSeconds }
      await writeFile(opts.json, JSON.stringify({ dataset, classes: C, pool: data.pool.rows, ...(kept ? { imbalance: opts.imbalance } : {}), test: data.test.rows, views: opts.views, settings: opts.settings, seconds, results: rows, suggested_classes, label_issues }, null, 1))
      console.log(`json: ${opts.json}`)
    }
    return 0
  } catch (err) {
    if (ac.signal.aborted) {
      console.error('\ncancelled')
      return 130
    }
    throw err
  } finally {
    process.off('SIGINT', onSigint)
  }
}
