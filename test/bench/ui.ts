/**
 * `npm run bench -- ui [--images N] [--dir PATH] [--data PATH] [--keys K] [--regenerate]`
 *
 * The studio in Debian's Chromium (headless, the e2e flags) against the web host serving a folder
 * of N images (default 100,000; the library bench's synthetic folder, generated once and shared):
 * - cold start: a new browser context opens the URL; time to the first grid cell, to the first
 *   thumbnail painted, and to interactive (a real ArrowRight moved focus to the next cell);
 * - scroll: the grid scrolled by a fixed step in every animation frame, at wheel speed for ten
 *   seconds and then from top to bottom in about 30 s (the speed of dragging the scroll bar);
 *   frames per second, p95 frame time, long tasks (PerformanceObserver 'longtask');
 * - review: K presses of `a` in the review queue, each timed from the keydown event to the frame
 *   after the next image was decoded and painted.
 * The project's data lives in --data (a STUDIO_DATA_DIR), indexed once with ten classes, 1% seed
 * labels and proposals for 60% of the images, and reused; thumbnails are cleared on every run so
 * that each run starts as a first opening does. Writes test/bench/results/ui.json.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { availableParallelism, loadavg } from 'node:os'
import { chromium, type Browser, type Page } from 'playwright-core'
import { Project } from '../../main/engine/library/project'
import { projectDataDir } from '../../main/api'
import { CHROMIUM, CHROMIUM_ARGS, startStudioServer, type StudioServer } from '../../e2e/host'
import { benchFolder, rng } from './library'

const here = path.dirname(fileURLToPath(import.meta.url))
const PROBE = path.join(here, 'ui/probe.js')
const VIEWPORT = { width: 1280, height: 820 }
const TARGETS = { scroll_fps_min: 55, long_task_max_ms: 100, review_p95_ms: 50, cold_start_interactive_ms: 3000 }
const SWEEP_FRAMES = 1800 // top to bottom in about 30 s at 60 frames per second
const WHEEL_PX_PER_FRAME = 40 // about three screens a second: reading speed with a wheel
const COLD_STARTS = 3

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? 0
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const load1 = () => round(loadavg()[0] ?? 0, 2)

/** Indexes the folder into `dataDir` once, with classes, seed labels and a round's proposals. */
async function prepare(folder: string, dataDir: string, n: number): Promise<number | null> {
  const marker = path.join(dataDir, '.ui-bench-ready')
  const key = `${n} ${folder}`
  const options = { dataDir: projectDataDir(dataDir, folder) }
  if (existsSync(marker) && readFileSync(marker, 'utf8') === key) {
    const p = await Project.open(folder, options)
    await p.clearThumbnails() // every run starts with no thumbnails, as a first opening does
    await p.close()
    console.log(`reusing the indexed project in ${dataDir} (thumbnails cleared)`)
    return null
  }
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const t = performance.now()
  const p = await Project.open(folder, options)
  const report = await p.index()
  const indexS = (performance.now() - t) / 1000
  console.log(`indexed ${report.seen} files in ${indexS.toFixed(1)} s`)
  const classes = Array.from({ length: 10 }, (_, k) => p.ensureClass(`class ${k}`))
  const ids = (p.store.db.prepare('SELECT id FROM images WHERE avail = 1 ORDER BY id').all() as { id: number }[]).map((r) => r.id)
  const rand = rng(11)
  const cls = () => classes[Math.floor(rand() * classes.length)] as number
  p.store.addLabelEvents(ids.filter((_, i) => i % 100 === 0).map((imageId) => ({ imageId, classId: cls(), source: 'human' as const, state: 'accepted' as const })), { actor: 'bench' })
  const roundId = p.store.startRound()
  p.propose(roundId, ids.filter((_, i) => i % 100 !== 0 && rand() < 0.6).map((imageId) => ({ imageId, classId: cls(), confidence: rand() })))
  p.store.finishRound(roundId, 'done')
  await p.close()
  writeFileSync(marker, key)
  return round(indexS)
}

interface ScrollRun {
  frames: number[]
  scrolledPx: number
  scrollHeight: number
  placeholderShare: number
  longTasks: { start: number; duration: number }[]
}

function scrollFigures(r: ScrollRun, pxPerFrame: number) {
  const seconds = r.frames.reduce((a, b) => a + b, 0) / 1000
  const longest = Math.max(0, ...r.longTasks.map((t) => t.duration))
  return {
    px_per_frame: pxPerFrame,
    scrolled_px: Math.round(r.scrolledPx),
    seconds: round(seconds, 2),
    frames: r.frames.length,
    fps: round(r.frames.length / seconds),
    frame_p50_ms: round(quantile(r.frames, 0.5)),
    frame_p95_ms: round(quantile(r.frames, 0.95)),
    frame_max_ms: round(Math.max(...r.frames)),
    frames_over_25ms: r.frames.filter((f) => f > 25).length,
    long_tasks: r.longTasks.length,
    long_task_max_ms: round(longest),
    placeholder_share: round(r.placeholderShare, 3),
  }
}

/** A new browser context (empty cache) opening the studio; milliseconds since navigation start. */
async function coldStart(browser: Browser, url: string): Promise<{ page: Page; figures: Record<string, number> }> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  await context.addInitScript({ path: PROBE })
  const page = await context.newPage()
  await page.goto(url)
  await page.waitForFunction(() => (window as unknown as BenchWindow).__bench.firstThumbAt !== null, null, { timeout: 60_000 })
  // Interactive: a real key press on the first cell is handled (focus moves to the second).
  await page.locator('[data-index="0"]').focus()
  await page.keyboard.press('ArrowRight')
  await page.waitForFunction(() => (window as unknown as BenchWindow).__bench.focusMovedAt !== null, null, { timeout: 30_000 })
  const f = await page.evaluate(() => {
    const b = (window as unknown as BenchWindow).__bench
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
    return {
      dom_content_loaded_ms: nav?.domContentLoadedEventEnd ?? -1,
      first_cell_ms: b.firstCellAt ?? -1,
      first_thumb_painted_ms: b.firstThumbAt ?? -1,
      interactive_ms: b.focusMovedAt ?? -1,
      long_task_max_ms: Math.max(0, ...b.longTasks.map((t) => t.duration)),
    }
  })
  return { page, figures: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, round(v)])) }
}

interface BenchWindow {
  __bench: {
    firstCellAt: number | null
    firstThumbAt: number | null
    focusMovedAt: number | null
    longTasks: { start: number; duration: number }[]
    keys: { key: string; ms: number | null; why?: string }[]
    scroll(o: { pxPerFrame: number; from?: number; to?: number; maxFrames?: number }): Promise<ScrollRun>
  }
}

async function measure(server: StudioServer, keys: number) {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set STUDIO_CHROMIUM)`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const cold: Record<string, number>[] = []
    let page: Page | null = null
    for (let i = 0; i < COLD_STARTS; i++) {
      if (page) await page.context().close()
      const started = await coldStart(browser, server.url)
      cold.push(started.figures)
      page = started.page
      console.log(`cold start ${i + 1}: ${JSON.stringify(started.figures)}`)
    }
    if (!page) throw new Error('no cold start ran')

    const columns = await page.evaluate(() => {
      const cells = [...document.querySelectorAll<HTMLElement>('.grid-canvas .cell')]
      return new Set(cells.map((c) => c.style.transform.split(',')[0])).size
    })
    const wheel = await page.evaluate((px) => (window as unknown as BenchWindow).__bench.scroll({ pxPerFrame: px, maxFrames: 600 }), WHEEL_PX_PER_FRAME)
    const wheelFigures = scrollFigures(wheel, WHEEL_PX_PER_FRAME)
    console.log(`wheel-speed scroll: ${JSON.stringify(wheelFigures)}`)
    const height = await page.evaluate(() => document.querySelector('.grid-scroller')?.scrollHeight ?? 0)
    const sweepPx = Math.ceil(height / SWEEP_FRAMES)
    const sweep = await page.evaluate((px) => (window as unknown as BenchWindow).__bench.scroll({ pxPerFrame: px }), sweepPx)
    const sweepFigures = scrollFigures(sweep, sweepPx)
    console.log(`top-to-bottom scroll: ${JSON.stringify(sweepFigures)}`)

    await page.getByTestId('review-button').click()
    await page.getByTestId('review-image').waitFor()
    await page.waitForFunction(() => (document.querySelector('[data-testid="review-image"]') as HTMLImageElement | null)?.complete === true)
    for (let i = 0; i < keys; i++) {
      await page.keyboard.press('a')
      await page.waitForFunction((k) => (window as unknown as BenchWindow).__bench.keys.length >= k, i + 1, { timeout: 15_000 })
      await page.waitForTimeout(150) // a fast reviewer's pace
    }
    const decisions = await page.evaluate(() => (window as unknown as BenchWindow).__bench.keys)
    const failed = decisions.filter((d) => d.ms === null)
    if (failed.length) throw new Error(`review: ${failed.length} key presses showed no next image (${failed[0]?.why})`)
    const ms = decisions.map((d) => d.ms as number)
    const review = { keys: ms.length, p50_ms: round(quantile(ms, 0.5)), p95_ms: round(quantile(ms, 0.95)), max_ms: round(Math.max(...ms)) }
    console.log(`review: ${JSON.stringify(review)}`)
    return { chromium: browser.version(), columns, grid_height_px: height, cold, wheelFigures, sweepFigures, review }
  } finally {
    await browser.close()
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, '--images') ?? 100_000)
  if (!Number.isInteger(n) || n < 1000) throw new Error('--images must be an integer of at least 1000')
  const keys = Number(arg(args, '--keys') ?? 50)
  if (!Number.isInteger(keys) || keys < 1 || keys > 1000) throw new Error('--keys must be an integer from 1 to 1000')
  const root = path.resolve(here, '../..')
  const folder = path.resolve(arg(args, '--dir') ?? `/tmp/pls-bench-${n}`)
  const dataDir = path.resolve(arg(args, '--data') ?? `/tmp/pls-bench-ui-data-${n}`)
  for (const d of [folder, dataDir]) if (d.startsWith(root + path.sep)) throw new Error(`put ${d} outside the repository`)
  if (!existsSync(path.join(root, 'out/renderer/index.html'))) throw new Error('no built renderer in out/renderer: run `npx electron-vite build` first')

  const loadAtStart = load1()
  await benchFolder(folder, n, args.includes('--regenerate'))
  const firstIndexS = await prepare(folder, dataDir, n)

  const t = performance.now()
  const server = await startStudioServer({ dataDir, folder, timeoutMs: 300_000 })
  const serverStartS = round((performance.now() - t) / 1000, 2)
  let figures: Awaited<ReturnType<typeof measure>>
  try {
    // The teacher starts embedding all N images on opening; on this machine it would take the CPU
    // the browser is being measured on. The bench measures the UI, so it stops the teacher.
    const cancel = await fetch(new URL('/api/call/jobs.cancel', server.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ job: 'embed' }),
    })
    if (!cancel.ok) throw new Error(`could not stop the teacher: HTTP ${cancel.status} ${await cancel.text()}`)
    figures = await measure(server, keys)
  } finally {
    await server.stop()
  }

  const coldMedian = (k: string) => round(quantile(figures.cold.map((c) => c[k] ?? 0), 0.5))
  const scrollFps = Math.min(figures.wheelFigures.fps, figures.sweepFigures.fps)
  const longest = Math.max(figures.wheelFigures.long_task_max_ms, figures.sweepFigures.long_task_max_ms)
  const measured = {
    scroll_fps_min: scrollFps,
    long_task_max_ms: longest,
    review_p95_ms: figures.review.p95_ms,
    cold_start_interactive_ms: coldMedian('interactive_ms'),
  }
  const pass = {
    scroll_fps_min: scrollFps >= TARGETS.scroll_fps_min,
    long_task_max_ms: longest <= TARGETS.long_task_max_ms,
    review_p95_ms: figures.review.p95_ms <= TARGETS.review_p95_ms,
    cold_start_interactive_ms: measured.cold_start_interactive_ms <= TARGETS.cold_start_interactive_ms,
  }
  const result = {
    images: n,
    measured,
    targets: TARGETS,
    pass,
    missed: Object.entries(pass)
      .filter(([, ok]) => !ok)
      .map(([k]) => `${k}: ${measured[k as keyof typeof measured]} vs ${TARGETS[k as keyof typeof TARGETS]}`),
    scroll_wheel_speed: figures.wheelFigures,
    scroll_top_to_bottom: figures.sweepFigures,
    review_keystroke_to_next_image_painted: figures.review,
    cold_start: {
      runs: figures.cold,
      first_thumb_painted_ms_median: coldMedian('first_thumb_painted_ms'),
      interactive_ms_median: coldMedian('interactive_ms'),
      note: 'ms since navigation start, new browser context each run; interactive = a real ArrowRight on the first cell moved focus (includes the driver round trips)',
    },
    grid: { columns: figures.columns, height_px: figures.grid_height_px, viewport: VIEWPORT },
    server_start_s: serverStartS,
    first_index_s: firstIndexS,
    browser: `Chromium ${figures.chromium} ${CHROMIUM_ARGS.join(' ')}`,
    machine: `${process.platform} ${process.arch}, ${availableParallelism()} cpus, node ${process.version}`,
    // Other work on the machine slows every figure; the load average says how busy it was.
    load_avg_1m_at_start: loadAtStart,
    load_avg_1m_at_end: load1(),
  }
  mkdirSync(path.join(here, 'results'), { recursive: true })
  writeFileSync(path.join(here, 'results/ui.json'), JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))
}
