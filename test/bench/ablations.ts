/**
 * `npm run bench -- ablations` gathers the four ablation files (results/ablation-{debias,views,moco,mlp}.json,
 * each written by its own helper in its own shape) into one table and one chart: for each switch and
 * dataset at k = 4, no review, the change in no-review test accuracy against today's defaults, in
 * points, and the trials it rests on. A cell nobody measured stays "not run" (null), never 0.
 * It measures nothing itself; it writes results/ablations.json and results/ablations.png.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const results = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results')
const DATASETS = ['hymenoptera', 'fashion-mnist-small', 'cifar10-small'] as const
type Dataset = (typeof DATASETS)[number]
/** Issue 14's rule: a switch goes on by default only if it hurts nowhere by more than one point. */
const BAND_POINTS = 1

interface Cell {
  /** variant minus defaults, no-review test accuracy in points; null = not run */
  delta_points: number | null
  trials: number
}
interface Row {
  source: string
  switch: string
  /** 'balanced' or '10:1' (ablation-debias.json's --imbalance 10) */
  pool: 'balanced' | '10:1'
  /** recipe 1 of the views ablation was replaced by recipe 2 (the shipped one); kept in the JSON, not drawn */
  recipe?: 1 | 2
  cells: Record<Dataset, Cell | null>
}

function load(name: string): any {
  const file = path.join(results, name)
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: cannot read it as JSON (${(err as Error).message}); run that ablation first`)
  }
}
const round2 = (v: number) => Math.round(v * 100) / 100
const byDataset = (f: (d: Dataset) => Cell | null) => Object.fromEntries(DATASETS.map((d) => [d, f(d)])) as Record<Dataset, Cell | null>

/** ablation-debias.json: rows of {dataset, k, imbalance, switches, vs_defaults (fraction)}; the trials are in its protocol line. */
function debiasRows(): Row[] {
  const src = load('ablation-debias.json')
  const trials = Number(/(\d+) trials/.exec(String(src.protocol))?.[1])
  if (!Number.isFinite(trials)) throw new Error('ablation-debias.json: its protocol does not say "<n> trials"')
  const variants: [string, Record<string, unknown>][] = [
    ['debias = 1', { debias: 1 }],
    ['transductive', { transductive: true }],
    ['debias + transductive', { debias: 1, transductive: true }],
    ['transductive, labels only', { transductive: true, transductiveLabels: true }],
  ]
  const same = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())
  return (['balanced', '10:1'] as const).flatMap((pool) =>
    variants.map(([name, switches]) => ({
      source: 'ablation-debias.json',
      switch: name,
      pool,
      cells: byDataset((d) => {
        const r = src.rows.find((r: any) => r.dataset === d && r.k === 4 && r.imbalance === (pool === 'balanced' ? 1 : 10) && same(r.switches, switches))
        return r ? { delta_points: round2(100 * r.vs_defaults), trials } : null
      }),
    })),
  )
}

/** ablation-views.json: per dataset and config, no_review {mean, sd} in percent and its trials; 'base' is the defaults. */
function viewsRows(): Row[] {
  const src = load('ablation-views.json')
  const configs: [string, string, 1 | 2][] = [
    ['lighttta', 'test-time views', 2],
    ['lightstudent', 'noisy student', 2],
    ['lightboth', 'both views switches', 2],
    ['tta', 'test-time views', 1],
    ['student', 'noisy student', 1],
    ['both', 'both views switches', 1],
  ]
  return configs.map(([key, name, recipe]) => ({
    source: 'ablation-views.json',
    switch: `${name} (recipe ${recipe})`,
    pool: 'balanced',
    recipe,
    cells: byDataset((d) => {
      const base = src.results[d]?.base
      const v = src.results[d]?.[key]
      return base && v ? { delta_points: round2(v.no_review.mean - base.no_review.mean), trials: Math.min(base.trials, v.trials) } : null
    }),
  }))
}

/** ablation-moco.json / ablation-mlp.json: per dataset, paired differences against the base in points, one per finished trial. */
function pairedRows(file: string, key: string, variants: [string, string][]): Row[] {
  const src = load(file)
  return variants.map(([variant, name]) => ({
    source: file,
    switch: name,
    pool: 'balanced',
    cells: byDataset((d) => {
      const p = src.results[d]?.[key]?.[variant]
      return p ? { delta_points: round2(p.mean_points), trials: p.points_per_trial.length } : null
    }),
  }))
}

function gather(): Row[] {
  return [
    ...debiasRows(),
    ...viewsRows(),
    ...pairedRows('ablation-moco.json', 'paired_difference_vs_base', [
      ['moco-graph', 'MoCo graph'],
      ['moco-head', 'MoCo head'],
      ['moco-both', 'MoCo graph + head'],
    ]),
    ...pairedRows('ablation-mlp.json', 'paired_difference_vs_logistic', [['mlp', 'MLP head']]),
  ]
}

/** Same look as main/cli/eval.ts's chartSvg: white ground, sans-serif, light grid, its palette. */
function chartSvg(panels: { title: string; rows: Row[] }[]): string {
  const labelW = 210
  const colW = 230
  const rowH = 22
  const top = 46
  const panelHead = 40
  const W = labelW + colW * DATASETS.length + 10
  const cells = panels.flatMap((p) => p.rows.flatMap((r) => DATASETS.map((d) => r.cells[d]?.delta_points ?? 0)))
  const lo = Math.min(-2, Math.floor(Math.min(...cells)) - 0.5)
  const hi = Math.max(2, Math.ceil(Math.max(...cells)) + 0.5)
  const inner = { l: 14, r: 52 }
  const x = (c: number, v: number) => labelW + c * colW + inner.l + ((colW - inner.l - inner.r) * (v - lo)) / (hi - lo)
  const text = (tx: number, ty: number, s: string, attrs = '') => `<text x="${tx}" y="${ty}" font-family="sans-serif" ${attrs}>${s}</text>`
  const parts: string[] = [text(W / 2, 22, "k = 4, no review, 5 trials; change against today's defaults", 'font-size="15" text-anchor="middle" font-weight="bold"')]
  let y = top
  for (const panel of panels) {
    parts.push(text(10, y + 14, panel.title, 'font-size="13" font-weight="bold"'))
    DATASETS.forEach((d, c) => parts.push(text(labelW + c * colW + colW / 2, y + 32, d, 'font-size="12" text-anchor="middle"')))
    const y0 = y + panelHead
    const y1 = y0 + rowH * panel.rows.length
    DATASETS.forEach((_, c) => {
      parts.push(`<rect x="${x(c, -BAND_POINTS)}" y="${y0}" width="${x(c, BAND_POINTS) - x(c, -BAND_POINTS)}" height="${y1 - y0}" fill="#eee"/>`)
      for (let t = Math.ceil(lo); t <= Math.floor(hi); t++) {
        if (t !== 0) parts.push(`<line x1="${x(c, t)}" x2="${x(c, t)}" y1="${y0}" y2="${y1}" stroke="#ddd" stroke-width="0.5"/>`)
        parts.push(text(x(c, t), y1 + 12, t > 0 ? `+${t}` : `${t}`, 'font-size="10" text-anchor="middle"'))
      }
      parts.push(`<line x1="${x(c, 0)}" x2="${x(c, 0)}" y1="${y0 - 2}" y2="${y1 + 2}" stroke="#333"/>`)
    })
    panel.rows.forEach((r, i) => {
      const ry = y0 + i * rowH
      // a thin rule where the ablation file (the family of switches) changes
      if (i > 0 && panel.rows[i - 1]!.source !== r.source) parts.push(`<line x1="10" x2="${W - 10}" y1="${ry}" y2="${ry}" stroke="#bbb"/>`)
      parts.push(text(labelW - 8, ry + rowH / 2 + 4, r.switch, 'font-size="11" text-anchor="end"'))
      DATASETS.forEach((d, c) => {
        const cell = r.cells[d]
        if (!cell || cell.delta_points === null) {
          parts.push(text(x(c, 0) + 6, ry + rowH / 2 + 4, 'not run', 'font-size="10" fill="#999" font-style="italic"'))
          return
        }
        const v = cell.delta_points
        // red: hurts by more than the band; green: helps by more than it; grey: within noise
        const fill = v < -BAND_POINTS ? '#d62728' : v > BAND_POINTS ? '#2ca02c' : '#7f7f7f'
        const bx = Math.min(x(c, 0), x(c, v))
        parts.push(`<rect x="${bx}" y="${ry + 4}" width="${Math.max(1, Math.abs(x(c, v) - x(c, 0)))}" height="${rowH - 8}" fill="${fill}"/>`)
        const label = `${v > 0 ? '+' : ''}${v.toFixed(2)} (${cell.trials})`
        const right = v >= 0
        parts.push(text(right ? x(c, v) + 4 : x(c, v) - 4, ry + rowH / 2 + 4, label, `font-size="10" text-anchor="${right ? 'start' : 'end'}"`))
      })
    })
    y = y1 + 30
  }
  parts.push(text(10, y, `Bars: no-review test accuracy with the switch on minus with the defaults, in points; (n) = trials (fewer than 5 where a run stopped at its deadline).`, 'font-size="10"'))
  parts.push(text(10, y + 14, `Shaded: ±${BAND_POINTS} point, issue 14's rule (on by default only if it helps on all three and hurts nowhere by more); red / green: hurts / helps by more, grey: within it.`, 'font-size="10"'))
  parts.push(text(10, y + 28, 'Views: recipe 2 of ablation-views.json (the shipped augmentation); its recipe 1 rows are in ablations.json, not drawn.', 'font-size="10"'))
  const H = y + 38
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`
}

export async function run(args: string[]): Promise<void> {
  if (args.length) throw new Error('ablations takes no arguments: it reads test/bench/results/ablation-*.json')
  const rows = gather()
  const drawn = rows.filter((r) => r.recipe !== 1)
  const json = path.join(results, 'ablations.json')
  const png = path.join(results, 'ablations.png')
  writeFileSync(
    json,
    JSON.stringify(
      {
        what: "change in no-review test accuracy (points) against today's defaults at k = 4, no review; per switch and dataset, with the trials it rests on; null = not run",
        sources: ['ablation-debias.json', 'ablation-views.json', 'ablation-moco.json', 'ablation-mlp.json'],
        band_points: BAND_POINTS,
        rows,
      },
      null,
      1,
    ),
  )
  const svg = chartSvg([
    { title: 'Balanced pools', rows: drawn.filter((r) => r.pool === 'balanced') },
    { title: 'Imbalanced pools (10:1, ablation-debias.json)', rows: drawn.filter((r) => r.pool === '10:1') },
  ])
  // twice the SVG's size, so the small labels stay sharp when the PNG is shown in a README or an issue
  await sharp(Buffer.from(svg), { density: 144 }).png().toFile(png)
  const cell = (c: Cell | null) => (c && c.delta_points !== null ? `${c.delta_points > 0 ? '+' : ''}${c.delta_points.toFixed(2)} (${c.trials})` : 'not run').padStart(14)
  console.log(`${'switch'.padEnd(48)}${DATASETS.map((d) => d.padStart(20)).join('')}`)
  for (const r of rows) console.log(`${`${r.switch}${r.pool === '10:1' ? ', 10:1' : ''}`.padEnd(48)}${DATASETS.map((d) => cell(r.cells[d]).padStart(20)).join('')}`)
  console.log(`\njson: ${json}\nchart: ${png}`)
}
