import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import sharp from 'sharp'
import path from 'node:path'
import type { Page } from '@playwright/test'
import { ARTIFACTS, SHARED, expect, openFolder, test } from '../fixtures'

const HYMENOPTERA = path.join(SHARED, 'datasets/hymenoptera')
const EXPECTED_IMAGES = 397 // 244 pool + 153 test, per the dataset's README

/** Indices of grid cells whose thumbnail has actually been decoded by the browser. */
async function loadedThumbs(page: Page): Promise<number[]> {
  return page.$$eval('[data-testid="thumb"]', (buttons) =>
    buttons.filter((b) => {
      const img = b.querySelector('img')
      return img !== null && img.complete && img.naturalWidth > 0
    }).map((b) => Number(b.getAttribute('data-index'))),
  )
}

test('open a folder, see every image as a thumbnail, open one', async ({ studio: page }, testInfo) => {
  await openFolder(page, HYMENOPTERA)
  await expect(page.getByTestId('image-count')).toHaveText(`${EXPECTED_IMAGES} images`)
  await expect(page.getByTestId('unreadable')).toHaveCount(0) // every file of this set is a good JPEG

  // The grid is virtualised: scroll it through and collect every thumbnail that really decoded.
  const grid = page.getByRole('grid', { name: 'Images' })
  const seen = new Set<number>()
  await expect.poll(async () => (await loadedThumbs(page)).length).toBeGreaterThan(0)
  await page.screenshot({ path: path.join(ARTIFACTS, `grid-${testInfo.project.name}.png`) })
  for (let step = 0; step < 200 && seen.size < EXPECTED_IMAGES; step++) {
    // A jump of a screen draws light placeholders until the scroll settles (150 ms): wait for
    // them to give way, then for every cell on screen to show its decoded thumbnail.
    await expect.poll(async () => {
      const placeholders = await page.locator('.thumb.placeholder').count()
      const visible = await page.$$eval('[data-testid="thumb"]', (b) => b.length)
      const decoded = await loadedThumbs(page)
      decoded.forEach((i) => seen.add(i))
      return placeholders === 0 && visible > 0 && decoded.length >= visible
    }).toBe(true)
    const atEnd = await grid.evaluate((el) => {
      el.scrollTop += el.clientHeight
      return el.scrollTop + el.clientHeight >= el.scrollHeight - 1
    })
    if (atEnd && step > 0) {
      await page.waitForTimeout(100)
      ;(await loadedThumbs(page)).forEach((i) => seen.add(i))
    }
  }
  expect(seen.size).toBe(EXPECTED_IMAGES)
  expect(Math.max(...seen)).toBe(EXPECTED_IMAGES - 1)

  // Open one image in the viewer, step to the next, close with Escape.
  await grid.evaluate((el) => (el.scrollTop = 0))
  await page.getByTestId('thumb').first().click()
  const dialog = page.getByRole('dialog')
  await expect(dialog).toBeVisible()
  const viewerImage = page.getByTestId('viewer-image')
  await expect.poll(() => viewerImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
  const first = await viewerImage.getAttribute('alt')
  expect(first).toMatch(/^pool\/ants\/.+\.jpe?g$/)
  await expect(dialog).toContainText('JPEG')
  await expect(dialog).toContainText(/\d+ × \d+ px/)
  await page.screenshot({ path: path.join(ARTIFACTS, `viewer-${testInfo.project.name}.png`) })
  await page.keyboard.press('ArrowRight')
  await expect(viewerImage).not.toHaveAttribute('alt', first ?? '')
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
})

test('a folder that does not exist gives a clear error and the app keeps working', async ({ studio: page }) => {
  await openFolder(page, '/no/such/folder')
  await expect(page.getByRole('alert')).toContainText('folder not found: /no/such/folder')
  await openFolder(page, HYMENOPTERA)
  await expect(page.getByTestId('image-count')).toHaveText(`${EXPECTED_IMAGES} images`)
})

test('files that cannot be read are listed apart, each with its reason', async ({ studio: page }) => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-bad-'))
  try {
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#4a7' } }).jpeg().toFile(path.join(folder, 'good.jpg'))
    await sharp({ create: { width: 48, height: 64, channels: 3, background: '#a47' } }).png().toFile(path.join(folder, 'also-good.png'))
    await writeFile(path.join(folder, 'empty.jpg'), '')
    await writeFile(path.join(folder, 'notes.png'), 'this is text, not a PNG')
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText('2 images')
    const unreadable = page.getByTestId('unreadable')
    await expect(unreadable).toContainText('2 files could not be read')
    await unreadable.locator('summary').click()
    await expect(unreadable.getByRole('listitem').filter({ hasText: 'empty.jpg' })).toContainText('empty file')
    await expect(unreadable.getByRole('listitem').filter({ hasText: 'notes.png' })).toContainText('not an image')
    await expect(page.getByTestId('thumb')).toHaveCount(2)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})

test('the teacher embeds the project and says which provider runs it, and why', async ({ studio: page }) => {
  await openFolder(page, HYMENOPTERA)
  await expect(page.getByTestId('image-count')).toHaveText(`${EXPECTED_IMAGES} images`)
  const bar = page.getByTestId('teacher-bar')
  await expect(bar).toContainText('MobileNetV2')
  await expect(page.getByTestId('teacher-provider')).toContainText(/running on (CPU|CUDA|WebGPU|DirectML|CoreML)/)
  await expect(bar).toContainText(`${EXPECTED_IMAGES} images embedded`, { timeout: 180_000 })
  const used = (await page.getByTestId('teacher-provider').textContent()) ?? ''
  // With no GPU here, `auto` falls back to the CPU and the notice says why.
  if (used.includes('CPU')) await expect(page.getByTestId('teacher-notice')).toContainText(/cpu/i)
  await page.screenshot({ path: path.join(ARTIFACTS, `teacher-${test.info().project.name}.png`) })

  // Asking for the CPU outright: no fallback notice, and the cached embeddings are reused.
  await page.getByLabel('Execution provider').selectOption('cpu')
  await expect(bar).toContainText(`${EXPECTED_IMAGES} images embedded`)
  await expect(page.getByTestId('teacher-provider')).toContainText('running on CPU')
  await expect(page.getByTestId('teacher-notice')).toHaveCount(0)
  await page.getByLabel('Execution provider').selectOption('auto')
})
