/**
 * `npm run bench -- ui [--images N] [--dir PATH] [--data PATH] [--keys K] [--fast-px P] [--profile DIR] [--regenerate]`
 *
 * The studio in Debian's Chromium (headless, the e2e flags) against the web host serving a folder
 * of N images (default 100,000; the library bench's synthetic folder, generated once and shared):
 * - cold start: a new browser context opens the URL; time to the first grid cell, to the first
 *   thumbnail painted, and to interactive (a real ArrowRight moved focus to the next cell);
 * - scroll: the grid scrolled by a fixed step in every animation frame: at wheel speed for 600
 *   frames, at just under a row a frame (--fast-px, 160) for 300, then from top to bottom in about 1,800 frames (the
 *   speed of dragging the scroll bar);
 *   frames per second, p95 frame time, long tasks (PerformanceObserver 'longtask'), and the CPU
 *   time per frame of the renderer's threads, which a busy machine inflates far less than frame
 *   times: on a loaded machine that is the figure to compare before and after a change;
 * - review: K presses of `a` in the review queue, each timed from the keydown event to the
 *   presentation of the frame that shows the next image (Element Timing).
 * The project's data lives in --data (a STUDIO_DATA_DIR), indexed once with ten classes, 1% seed
 * labels and proposals for 60% of the images, and reused; thumbnails are cleared on every run so
 * that each run starts as a first opening does. --profile DIR writes CPU profiles of the page
 * (wheel, sweep, review .cpuprofile) and prints the functions with the most self time.
 * - select all: Ctrl+A in the grid until the selection bar counts every image; accept all above:
 *   the review queue's button at its default threshold until the queue says what it accepted (then
 *   undone, so that runs find the same proposals).
 * Writes test/bench/results/ui.json (ui-1m.json at --images 1000000).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { availableParallelism, loadavg } from 'node:os'
import { chromium, type Browser, type CDPSession, type Page, type Request } from 'playwright-core'
import { Project } from '../../main/engine/project/project'
import { projectDataDir } from '../../main/engine/project/locations'
import { CHROMIUM, CHROMIUM_ARGS, startStudioServer, type StudioServer } from '../../e2e/host'
import { benchFolder, labelAsAfterRounds, resultName } from './library'

const here = path.dirname(fileURLToPath(import.meta.url))
const PROBE = path.join(here, 'ui/probe.js')
const VIEWPORT = { width: 1280, height: 820 }
const TARGETS = { scroll_fps_min: 55, long_task_max_ms: 100, review_p95_ms: 50, cold_start_interactive_ms: 3000, select_all_ms: 1000, accept_above_ms: 1000 }
const SWEEP_FRAMES = 1800 // top to bottom in about 30 s at 60 frames per second
const WHEEL_PX_PER_FRAME = 40 // about three screens a second: reading speed with a wheel
const FAST_PX_PER_FRAME = 160 // just under a row (172 px) a frame: the fastest the grid still draws thumbnails at
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
  const { roundId } = labelAsAfterRounds(p, 11)
  p.store.rounds.finish(roundId, 'done')
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
  settleMs: number | null
}

/** Chromium's own counters of main-thread work (CDP Performance.getMetrics), in ms or counts. */
const WORK = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount'] as const
type Work = Record<(typeof WORK)[number], number>

async function work(cdp: CDPSession): Promise<Work> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
  // Durations come in seconds.
  return Object.fromEntries(WORK.map((k) => [k, k.endsWith('Duration') ? get(k) * 1000 : get(k)])) as Work
}

/**
 * CPU time (ms) the browser's processes have used so far, read from /proc: the renderer's main
 * thread (where React, style and layout run), the whole renderer (with its raster and compositor
 * threads) and the GPU process (software compositing under --disable-gpu). Unlike frame times,
 * CPU time per frame hardly changes with the machine's load. Null where /proc is missing.
 */
async function cpu(browser: CDPSession): Promise<{ main: number; renderer: number; gpu: number; threads: Map<string, number> } | null> {
  if (!existsSync('/proc/self/task')) return null
  const { processInfo } = (await browser.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }
  const ticksMs = 10 // USER_HZ is 100 on Linux
  const out = { main: 0, renderer: 0, gpu: 0, threads: new Map<string, number>() }
  for (const proc of processInfo) {
    if (proc.type !== 'renderer' && proc.type !== 'GPU') continue
    let tids: string[] = []
    try {
      tids = readdirSync(`/proc/${proc.id}/task`)
    } catch {
      continue // exited meanwhile
    }
    for (const tid of tids) {
      let stat: string
      try {
        stat = readFileSync(`/proc/${proc.id}/task/${tid}/stat`, 'utf8')
      } catch {
        continue
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ms = (Number(fields[11]) + Number(fields[12])) * ticksMs // utime + stime
      const thread = `${proc.type} ${tid === String(proc.id) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`
      out.threads.set(thread, (out.threads.get(thread) ?? 0) + ms)
      if (proc.type === 'GPU') out.gpu += ms
      else {
        out.renderer += ms
        if (tid === String(proc.id)) out.main += ms // the process's first thread is the renderer's main thread
      }
    }
  }
  return out
}

/**
 * Runs one scroll phase, with the main thread's work per frame (where the time goes, which a busy
 * machine inflates less than it inflates frame times) and the thumbnails asked for meanwhile.
 */
async function scrollPhase(page: Page, cdp: CDPSession, browserCdp: CDPSession, pxPerFrame: number, maxFrames = Infinity, profile: string | null = null) {
  let thumbs = 0
  let aborted = 0
  const count = (r: Request) => void (r.url().includes('/media/thumb/') && thumbs++)
  const failed = (r: Request) => void (r.url().includes('/media/thumb/') && aborted++)
  page.on('request', count)
  page.on('requestfailed', failed)
  const before = await work(cdp)
  const cpuBefore = await cpu(browserCdp)
  const r = await profiled(cdp, profile, () => page.evaluate(([px, max]) => (window as unknown as BenchWindow).__bench.scroll({ pxPerFrame: px, maxFrames: max }), [pxPerFrame, maxFrames === Infinity ? 1e9 : maxFrames] as const))
  const after = await work(cdp)
  const cpuAfter = await cpu(browserCdp)
  page.off('request', count)
  page.off('requestfailed', failed)
  const n = Math.max(1, r.frames.length)
  if (cpuBefore && cpuAfter) {
    const busiest = [...cpuAfter.threads].map(([t, ms]) => [t, (ms - (cpuBefore.threads.get(t) ?? 0)) / n] as const).sort((a, b) => b[1] - a[1])
    console.log(`CPU ms per frame by thread: ${busiest.slice(0, 8).map(([t, ms]) => `${t} ${ms.toFixed(2)}`).join(', ')}`)
  }
  const perFrame = (k: keyof Work) => round((after[k] - before[k]) / n, 2)
  return {
    ...scrollFigures(r, pxPerFrame),
    main_thread_ms_per_frame: { task: perFrame('TaskDuration'), script: perFrame('ScriptDuration'), layout: perFrame('LayoutDuration'), style: perFrame('RecalcStyleDuration') },
    layouts_per_frame: perFrame('LayoutCount'),
    cpu_ms_per_frame:
      cpuBefore && cpuAfter
        ? { renderer_main_thread: round((cpuAfter.main - cpuBefore.main) / n, 2), renderer_all_threads: round((cpuAfter.renderer - cpuBefore.renderer) / n, 2), gpu_process: round((cpuAfter.gpu - cpuBefore.gpu) / n, 2) }
        : null,
    thumbnails_requested: thumbs,
    thumbnail_requests_failed_or_cancelled: aborted,
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[]
  samples?: number[]
  timeDeltas?: number[]
}

/** Runs `fn` under the page's CPU profiler when `file` is set, writing the profile there. */
async function profiled<T>(cdp: CDPSession, file: string | null, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn()
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.start')
  const result = await fn()
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile }
  writeFileSync(file, JSON.stringify(profile))
  console.log(`CPU profile in ${file}; most self time:\n${topFunctions(profile, 15)}`)
  return result
}

/** The functions with the most self time in a CPU profile, one line each. */
function topFunctions(p: CpuProfile, k: number): string {
  const self = new Map<string, number>()
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const samples = p.samples ?? []
  samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame
    if (!f) return
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`
    self.set(name, (self.get(name) ?? 0) + (p.timeDeltas?.[i] ?? 0) / 1000)
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n')
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
    /** From the last frame to every cell on screen showing its thumbnail (null: not within 30 s). */
    thumbnails_shown_after_stop_ms: r.settleMs === null ? null : round(r.settleMs),
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
    keys: { key: string; start: number; painted: number | null; decoded: number | null; why: string | null }[]
    scroll(o: { pxPerFrame: number; from?: number; to?: number; maxFrames?: number }): Promise<ScrollRun>
  }
}

/** The number in a text such as "1,000,000 selected" or "Accept all 59,381 at ≥ 90%". */
const countIn = (text: string | null) => Number(/([\d,]+)/.exec(text ?? '')?.[1]?.replace(/,/g, '') ?? NaN)

/**
 * "Select all": Ctrl+A in the grid, timed from the key press to the selection bar counting every
 * image of the filter (driver round trips included, about a frame); then Esc clears it.
 */
async function selectAllFigures(page: Page) {
  await page.locator('.grid-scroller').focus()
  const t = performance.now()
  await page.keyboard.press('Control+a')
  await page.getByTestId('selection-count').waitFor({ timeout: 30_000 })
  const selectAllMs = performance.now() - t
  const selected = countIn(await page.getByTestId('selection-count').textContent())
  const c = performance.now()
  await page.keyboard.press('Escape')
  await page.getByTestId('selection-count').waitFor({ state: 'detached', timeout: 30_000 })
  return { selected, ms: round(selectAllMs), clear_ms: round(performance.now() - c) }
}

/**
 * "Accept all above" the review queue's default threshold: from the click to the queue saying what
 * it accepted (the write of every label and the queue taken again included); then Ctrl+Z undoes it,
 * so that the next run finds the same proposals.
 */
async function acceptAboveFigures(page: Page) {
  const button = page.getByTestId('accept-above')
  const before = countIn(await button.textContent())
  const t = performance.now()
  await button.click()
  await page.getByTestId('review-notice').filter({ hasText: 'Accepted' }).waitFor({ timeout: 60_000 })
  const ms = performance.now() - t
  const accepted = countIn(await page.getByTestId('review-notice').textContent())
  const u = performance.now()
  await page.keyboard.press('Control+z')
  await page.waitForFunction((n) => (document.querySelector('[data-testid="accept-above"]')?.textContent ?? '').replace(/,/g, '').includes(`all ${n} at`), before, { timeout: 120_000 })
  return { accepted, ms: round(ms), undo_ms: round(performance.now() - u) }
}

async function measure(server: StudioServer, keys: number, fastPx: number, profile: string | null) {
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
      return new Set(cells.map((c) => c.offsetLeft)).size
    })
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const browserCdp = await browser.newBrowserCDPSession()
    const profileTo = (name: string) => (profile ? path.join(profile, `${name}.cpuprofile`) : null)
    if (profile) mkdirSync(profile, { recursive: true })
    const wheelFigures = await scrollPhase(page, cdp, browserCdp, WHEEL_PX_PER_FRAME, 600, profileTo('wheel'))
    console.log(`wheel-speed scroll: ${JSON.stringify(wheelFigures)}`)
    // With --profile, a Chromium trace of this phase too (chrome://tracing or Perfetto opens it).
    if (profile) await browser.startTracing(page, { path: path.join(profile, 'fast.trace.json'), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'loading'] })
    const fastFigures = await scrollPhase(page, cdp, browserCdp, fastPx, 300, null)
    if (profile) await browser.stopTracing()
    console.log(`fast scroll: ${JSON.stringify(fastFigures)}`)
    const height = await page.evaluate(() => document.querySelector('.grid-scroller')?.scrollHeight ?? 0)
    const sweepPx = Math.ceil(height / SWEEP_FRAMES)
    const sweepFigures = await scrollPhase(page, cdp, browserCdp, sweepPx, Infinity, profileTo('sweep'))
    console.log(`top-to-bottom scroll: ${JSON.stringify(sweepFigures)}`)

    const selectAll = await selectAllFigures(page)
    console.log(`select all: ${JSON.stringify(selectAll)}`)

    await page.getByTestId('review-button').click()
    await page.getByTestId('review-image').waitFor()
    await page.waitForFunction(() => (document.querySelector('[data-testid="review-image"]') as HTMLImageElement | null)?.complete === true)
    await profiled(cdp, profileTo('review'), async () => {
      for (let i = 0; i < keys; i++) {
        await page.keyboard.press('a')
        await page.waitForFunction((k) => {
          const entry = (window as unknown as BenchWindow).__bench.keys[k]
          return entry !== undefined && (entry.decoded !== null || entry.why !== null)
        }, i, { timeout: 15_000 })
        await page.waitForTimeout(150) // a fast reviewer's pace
      }
    })
    await page.waitForTimeout(300) // the last long-task entries arrive a little late
    const { decisions, longTasks } = await page.evaluate(() => ({ decisions: (window as unknown as BenchWindow).__bench.keys, longTasks: (window as unknown as BenchWindow).__bench.longTasks }))
    // Which long tasks held up the slow decisions (a diagnosis printed, not a figure).
    for (const d of decisions.filter((d) => (d.painted ?? d.decoded ?? 0) > TARGETS.review_p95_ms)) {
      const end = d.start + (d.painted ?? d.decoded ?? 0)
      const tasks = longTasks.filter((t) => t.start < end && t.start + t.duration > d.start - 50)
      console.log(`slow decision: ${Math.round(d.painted ?? d.decoded ?? 0)} ms; long tasks around it: ${tasks.map((t) => `${Math.round(t.duration)} ms at ${Math.round(t.start - d.start)}`).join(', ') || 'none'}`)
    }
    const failed = decisions.filter((d) => d.decoded === null)
    if (failed.length) throw new Error(`review: ${failed.length} key presses showed no next image (${failed[0]?.why})`)
    // Element Timing where the browser reported every paint; the decode-based clock otherwise.
    const elementTiming = decisions.every((d) => d.painted !== null)
    const ms = decisions.map((d) => (elementTiming ? d.painted : d.decoded) as number)
    const decoded = decisions.map((d) => d.decoded as number)
    const review = {
      keys: ms.length,
      clock: elementTiming ? 'Element Timing renderTime of the next image minus the keydown timestamp' : 'next image decoded, then the task after the following frame, minus the keydown timestamp',
      p50_ms: round(quantile(ms, 0.5)),
      p95_ms: round(quantile(ms, 0.95)),
      max_ms: round(Math.max(...ms)),
      decoded_then_next_frame_p50_ms: round(quantile(decoded, 0.5)),
      decoded_then_next_frame_p95_ms: round(quantile(decoded, 0.95)),
    }
    console.log(`review: ${JSON.stringify(review)}`)
    const acceptAbove = await acceptAboveFigures(page)
    console.log(`accept all above: ${JSON.stringify(acceptAbove)}`)
    return { chromium: browser.version(), columns, grid_height_px: height, cold, wheelFigures, fastFigures, sweepFigures, review, selectAll, acceptAbove }
  } finally {
    await browser.close()
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, '--images') ?? 100_000)
  if (!Number.isInteger(n) || n < 1000) throw new Error('--images must be an integer of at least 1000')
  const keys = Number(arg(args, '--keys') ?? 50)
  if (!Number.isInteger(keys) || keys < 1 || keys > 1000) throw new Error('--keys must be an integer from 1 to 1000')
  const fastPx = Number(arg(args, '--fast-px') ?? FAST_PX_PER_FRAME)
  if (!Number.isInteger(fastPx) || fastPx < 1) throw new Error('--fast-px must be a whole number of pixels a frame')
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
    const profile = arg(args, '--profile')
    figures = await measure(server, keys, fastPx, profile ? path.resolve(profile) : null)
  } finally {
    await server.stop()
  }

  const coldMedian = (k: string) => round(quantile(figures.cold.map((c) => c[k] ?? 0), 0.5))
  const phases = [figures.wheelFigures, figures.fastFigures, figures.sweepFigures]
  const scrollFps = Math.min(...phases.map((p) => p.fps))
  const longest = Math.max(...phases.map((p) => p.long_task_max_ms))
  const measured = {
    scroll_fps_min: scrollFps,
    long_task_max_ms: longest,
    review_p95_ms: figures.review.p95_ms,
    cold_start_interactive_ms: coldMedian('interactive_ms'),
    select_all_ms: figures.selectAll.ms,
    accept_above_ms: figures.acceptAbove.ms,
  }
  const pass = {
    scroll_fps_min: scrollFps >= TARGETS.scroll_fps_min,
    long_task_max_ms: longest <= TARGETS.long_task_max_ms,
    review_p95_ms: figures.review.p95_ms <= TARGETS.review_p95_ms,
    cold_start_interactive_ms: measured.cold_start_interactive_ms <= TARGETS.cold_start_interactive_ms,
    select_all_ms: measured.select_all_ms <= TARGETS.select_all_ms,
    accept_above_ms: measured.accept_above_ms <= TARGETS.accept_above_ms,
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
    scroll_fast: figures.fastFigures,
    scroll_top_to_bottom: figures.sweepFigures,
    scroll_note:
      'fps and long tasks are judged on all three phases. More than a screen per frame (the top-to-bottom phase) the grid draws light placeholders until the scroll settles, by design (placeholder_share 1): no thumbnail would stay on screen for a frame. cpu_ms_per_frame is CPU time from /proc, the figure to compare across runs on a busy machine.',
    review_keystroke_to_next_image_painted: figures.review,
    select_all: figures.selectAll,
    accept_all_above: figures.acceptAbove,
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
    busy_machine_note:
      Math.max(loadAtStart, load1()) > availableParallelism()
        ? 'the load average was above the number of CPUs: frame rates and latencies are inflated by other work; compare cpu_ms_per_frame, and take final figures on a quiet machine'
        : null,
  }
  mkdirSync(path.join(here, 'results'), { recursive: true })
  writeFileSync(path.join(here, 'results', resultName('ui', n)), JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))
}
