/**
 * `npm run bench -- map-ui [--points N]`: the Map view in Debian's Chromium (the e2e flags) with N
 * points (default 100,000). The page's map.get and map.labels requests are answered with a
 * synthetic map (20 clusters, mixed states and classes), since no teacher pass over 100,000 real
 * images fits here; everything else is the real studio on a small real project.
 * Measures: Map tab click to the points drawn; frame times while zooming by wheel and panning by
 * drag (one step per frame); long tasks (PerformanceObserver 'longtask') while loading and while in use; a lasso around a quarter
 * of the map, pointer up to the selection shown. Needs `npx electron-vite build` first.
 * Writes test/bench/results/map-ui.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import sharp from 'sharp'
import type { MapPoints } from '../../preload/contract'
import { CHROMIUM, CHROMIUM_ARGS, startStudioServer } from '../../e2e/host'
import { gaussian, rng } from '../../main/engine/math/linalg'

const here = path.dirname(fileURLToPath(import.meta.url))

function syntheticMap(n: number): MapPoints {
  const r = rng(3)
  const centres = Array.from({ length: 20 }, () => [0.15 + 0.7 * r(), 0.15 + 0.7 * r()] as const)
  const states = ['unlabelled', 'unlabelled', 'proposed', 'proposed', 'accepted', 'human', 'rejected'] as const
  const m: MapPoints = { ids: [], status: [], classId: [], confidence: [], relPaths: [], x: [], y: [], landmarks: Math.min(n, 8000) }
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * centres.length)
    const status = states[Math.floor(r() * states.length)]!
    m.ids.push(i + 1)
    m.relPaths.push(`cluster-${c}/image-${i}.jpg`)
    m.x.push(Math.min(1, Math.max(0, centres[c]![0] + 0.04 * gaussian(r))))
    m.y.push(Math.min(1, Math.max(0, centres[c]![1] + 0.04 * gaussian(r))))
    m.status.push(status)
    m.classId.push(status === 'unlabelled' ? null : (c % 2) + 1)
    m.confidence.push(status === 'proposed' || status === 'accepted' ? r() : null)
  }
  return m
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0
const round = (x: number) => Math.round(x * 10) / 10

export async function run(args: string[]): Promise<void> {
  const i = args.indexOf('--points')
  const n = i >= 0 ? Number(args[i + 1]) : 100_000
  const work = await mkdtemp(path.join(os.tmpdir(), 'studio-bench-map-ui-'))
  const folder = path.join(work, 'images')
  await mkdir(folder)
  for (const [k, colour] of ['#a33', '#3a3', '#33a', '#aa3'].entries()) await sharp({ create: { width: 32, height: 32, channels: 3, background: colour } }).png().toFile(path.join(folder, `${k}.png`))
  const server = await startStudioServer({ dataDir: path.join(work, 'data'), folder })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const points = syntheticMap(n)
    const body = JSON.stringify({ ok: true, value: points })
    const labels = JSON.stringify({ ok: true, value: { ids: points.ids, status: points.status, classId: points.classId, confidence: points.confidence } })
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } })
    await page.route('**/api/call/map.get', (route) => route.fulfill({ contentType: 'application/json', body }))
    await page.route('**/api/call/map.labels', (route) => route.fulfill({ contentType: 'application/json', body: labels }))
    await page.goto(server.url)
    await page.getByRole('tab', { name: 'Map' }).waitFor()
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] }
      w.longTasks = []
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false })
    })

    let t = performance.now()
    await page.getByRole('tab', { name: 'Map' }).click()
    await page.getByTestId('map-count').filter({ hasText: `${n.toLocaleString('en-US')} points` }).waitFor({ timeout: 60_000 })
    // The first frame with points on the canvas.
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLCanvasElement>('[data-testid="map-canvas"]')
      const ctx = el?.getContext('2d')
      if (!el || !ctx || el.width === 0) return false
      const d = ctx.getImageData(0, 0, el.width, el.height).data
      for (let k = 3; k < d.length; k += 64) if (d[k]! > 0) return true
      return false
    })
    const shownMs = performance.now() - t
    // Long tasks of the first drawing (the 100,000 points' JSON, typed arrays, colours) apart from
    // those while the map is used.
    const loadTasks = await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] }
      return w.longTasks.splice(0)
    })

    const box = (await page.getByTestId('map-canvas').boundingBox())!
    const cx = box.x + box.width / 2
    const cy = box.y + box.height / 2
    // Frame times while zooming in and out and panning, one input per animation frame.
    // A string, not a function: tsx would wrap a named inner function in a helper the page lacks.
    await page.evaluate(`(() => {
      window.mapFrames = []
      window.recording = true
      let last = performance.now()
      const tick = (now) => {
        window.mapFrames.push(now - last)
        last = now
        if (window.recording) requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })()`)
    await page.mouse.move(cx, cy)
    for (let k = 0; k < 40; k++) await page.mouse.wheel(0, k < 20 ? -120 : 120)
    await page.mouse.down()
    for (let k = 0; k < 40; k++) await page.mouse.move(cx + 4 * k, cy + 2 * k)
    await page.mouse.up()
    const frames = await page.evaluate(() => {
      const w = window as unknown as { mapFrames: number[]; recording: boolean }
      w.recording = false
      return w.mapFrames.slice(1)
    })

    // A lasso around the upper-left quarter.
    const poly = [
      [box.x + 4, box.y + 4],
      [cx, box.y + 4],
      [cx, cy],
      [box.x + 4, cy],
      [box.x + 4, box.y + 4],
    ] as const
    await page.keyboard.press('Home')
    await page.keyboard.down('Shift')
    await page.mouse.move(poly[0][0], poly[0][1])
    await page.mouse.down()
    for (const [x, y] of poly.slice(1)) await page.mouse.move(x, y, { steps: 10 })
    t = performance.now()
    await page.mouse.up()
    await page.keyboard.up('Shift')
    await page.getByTestId('map-selection').waitFor()
    const lassoMs = performance.now() - t
    const selected = await page.getByTestId('map-selection').textContent()
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks)

    const result = {
      date: new Date().toISOString(),
      loadAverage: os.loadavg()[0],
      points: n,
      tabToDrawnMs: round(shownMs),
      interaction: { frames: frames.length, fps: round(1000 / (frames.reduce((a, b) => a + b, 0) / Math.max(1, frames.length))), p95FrameMs: round(quantile(frames, 0.95)), maxFrameMs: round(Math.max(...frames)) },
      longTasksLoading: { count: loadTasks.length, maxMs: round(Math.max(0, ...loadTasks)) },
      longTasksInUse: { count: longTasks.length, maxMs: round(Math.max(0, ...longTasks)) },
      lasso: { pointerUpToShownMs: round(lassoMs), selected },
    }
    console.log(JSON.stringify(result, null, 2))
    await writeFile(path.join(here, 'results', 'map-ui.json'), JSON.stringify(result, null, 2) + '\n')
  } finally {
    await browser.close()
    await server.stop()
    await rm(work, { recursive: true, force: true })
  }
}
