import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from '@playwright/test'
import type { MapPoints } from '../../preload/contract'
import { ARTIFACTS, SHARED, expect, openFolder, test, addClasses } from '../fixtures'

/** The map the page shows, asked of the server with the page's own session. */
async function mapPoints(page: Page): Promise<MapPoints> {
  return page.evaluate(async () => {
    const res = await fetch('/api/call/map.get', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    const reply = (await res.json()) as { ok: boolean; value: MapPoints }
    return reply.value
  })
}

/** Where map point (x, y) is drawn on the page, before any pan or zoom. */
function toPage(box: { x: number; y: number; width: number; height: number }, x: number, y: number) {
  const base = Math.min(box.width, box.height) * 0.92
  return { x: box.x + box.width / 2 + (x - 0.5) * base, y: box.y + box.height / 2 + (y - 0.5) * base }
}

/** Shift+drags a rectangle around the map's band x0 < x < x1 (all of its height). */
async function lassoBand(page: Page, box: { x: number; y: number; width: number; height: number }, x0: number, x1: number): Promise<void> {
  const a = toPage(box, x0, 0)
  const b = toPage(box, x1, 1)
  const corners = [
    { x: Math.max(box.x + 2, a.x), y: a.y - 4 },
    { x: Math.min(box.x + box.width - 2, b.x), y: a.y - 4 },
    { x: Math.min(box.x + box.width - 2, b.x), y: b.y + 4 },
    { x: Math.max(box.x + 2, a.x), y: b.y + 4 },
  ]
  await page.keyboard.down('Shift')
  await page.mouse.move(corners[0]!.x, corners[0]!.y)
  await page.mouse.down()
  for (const c of [...corners.slice(1), corners[0]!]) await page.mouse.move(c.x, c.y, { steps: 12 })
  await page.mouse.up()
  await page.keyboard.up('Shift')
}

test('the map: ants and bees drawn apart, hover shows the image, a lasso labels a cluster at once', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'asks the web host for the map to aim the mouse')
  test.setTimeout(300_000)
  // The hymenoptera pool (123 ants, 121 bees), copied so the project starts without labels.
  const folder = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-map-'))
  await cp(path.join(SHARED, 'datasets/hymenoptera/pool'), folder, { recursive: true })
  try {
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText('244 images')
    await addClasses(page, ['ants', 'bees'])

    // Switch to the map by keyboard; it is drawn once the teacher has embedded every image.
    await page.getByRole('tab', { name: 'Grid' }).focus()
    await page.keyboard.press('ArrowRight')
    await expect(page.getByRole('tab', { name: 'Map' })).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByTestId('teacher-bar')).toContainText('244 images embedded', { timeout: 240_000 })
    await expect(page.getByTestId('map-count')).toHaveText('244 points', { timeout: 120_000 })
    const canvas = page.getByTestId('map-canvas')
    const box = (await canvas.boundingBox())!
    const drawn = await canvas.evaluate((el: HTMLCanvasElement) => {
      const d = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data
      let painted = 0
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++
      return painted
    })
    expect(drawn).toBeGreaterThan(244 * 4)

    // The teacher sees ants and bees as different: most points' nearest neighbour on the map is
    // of their own folder.
    const map = await mapPoints(page)
    expect(map.ids).toHaveLength(244)
    const cls = map.relPaths.map((p) => p.split('/')[0])
    let same = 0
    for (let i = 0; i < map.ids.length; i++) {
      let best = -1
      let bestD = Infinity
      for (let j = 0; j < map.ids.length; j++) {
        const d = (map.x[i]! - map.x[j]!) ** 2 + (map.y[i]! - map.y[j]!) ** 2
        if (j !== i && d < bestD) [best, bestD] = [j, d]
      }
      if (cls[best] === cls[i]) same++
    }
    expect(same / map.ids.length).toBeGreaterThan(0.8)

    // Hover: the thumbnail and the file name of the point under the mouse.
    // The point farthest from any other, so the mouse cannot land on a neighbour.
    const gap = map.ids.map((_, i) => Math.min(...map.ids.map((__, j) => (j === i ? Infinity : (map.x[i]! - map.x[j]!) ** 2 + (map.y[i]! - map.y[j]!) ** 2))))
    const loneliest = gap.indexOf(Math.max(...gap))
    const at = toPage(box, map.x[loneliest]!, map.y[loneliest]!)
    await page.mouse.move(at.x, at.y)
    const hover = page.getByTestId('map-hover')
    await expect(hover).toContainText(map.relPaths[loneliest]!.split('/').pop()!)
    await expect(hover.locator('img')).toHaveJSProperty('complete', true)
    expect(await hover.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)

    // Lasso (shift+drag) the left part of the map: exactly the points inside are selected.
    const xs = [...map.x].sort((a, b) => a - b)
    const cut = (xs[59]! + xs[60]!) / 2
    const expected = map.x.filter((x) => x < cut).length
    await lassoBand(page, box, -1, cut)
    await expect(page.getByTestId('map-selection')).toHaveText(`${expected} images selected`)

    // A reviewer who looks at the cluster labels it with its majority folder: ants is 1, bees 2.
    const majority = (inside: (i: number) => boolean) => {
      const ants = cls.filter((c, i) => inside(i) && c === 'ants').length
      const bees = cls.filter((c, i) => inside(i) && c === 'bees').length
      return ants >= bees ? 'ants' : 'bees'
    }
    const digit = (name: string) => (name === 'ants' ? '1' : '2')
    const leftClass = majority((i) => map.x[i]! < cut)

    // One key labels the whole selection; the class counts follow, and one Ctrl+Z takes it back.
    await canvas.focus()
    await page.keyboard.press(digit(leftClass))
    await expect(page.getByTestId(`class-count-${leftClass}`)).toHaveText(String(expected))
    await page.keyboard.press('Control+z')
    await expect(page.getByTestId(`class-count-${leftClass}`)).toHaveText('0')
    await page.getByRole('button', { name: `Label the selected images ${leftClass}` }).click()
    await expect(page.getByTestId(`class-count-${leftClass}`)).toHaveText(String(expected))

    // The right part, by the Lasso button this time.
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('map-selection')).toHaveCount(0)
    const cut2 = (xs[xs.length - 61]! + xs[xs.length - 60]!) / 2
    const expected2 = map.x.filter((x) => x > cut2).length
    await page.getByRole('button', { name: 'Lasso' }).click()
    await expect(page.getByRole('button', { name: 'Lasso' })).toHaveAttribute('aria-pressed', 'true')
    await lassoBand(page, box, cut2, 2)
    await expect(page.getByTestId('map-selection')).toHaveText(`${expected2} images selected`)
    const rightClass = majority((i) => map.x[i]! > cut2)
    await canvas.focus()
    await page.keyboard.press(digit(rightClass))
    await expect(page.getByTestId(`class-count-${rightClass}`)).toHaveText(String(expected2 + (rightClass === leftClass ? expected : 0)))

    await page.getByLabel('Colour the map by').selectOption('class')
    await page.mouse.move(at.x, at.y)
    await expect(hover).toBeVisible()
    await page.screenshot({ path: path.join(ARTIFACTS, `map-${testInfo.project.name}.png`) })

    // Back to the grid by its tab: the labels made on the map are there.
    await page.getByRole('tab', { name: 'Grid' }).click()
    await page.getByLabel('Filter by state').selectOption('human')
    await expect(page.getByTestId('filtered-count')).toHaveText(`${expected + expected2} shown`)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})
