import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from '@playwright/test'
import { ARTIFACTS, expect, openFolder, test, hymenopteraProject, readDb, addClasses } from '../fixtures'

const CELL = 172

/** Scrolls the grid so that image `index` is in the top row. */
async function scrollTo(page: Page, index: number): Promise<void> {
  await page.getByRole('grid', { name: 'Images' }).evaluate((el, idx) => {
    const cols = Math.max(1, Math.floor(el.clientWidth / 172))
    el.scrollTop = Math.floor(idx / cols) * 172
  }, index)
  await expect(page.locator(`[data-testid="thumb"][data-index="${index}"]`)).toBeVisible()
}

const thumb = (page: Page, index: number) => page.locator(`[data-testid="thumb"][data-index="${index}"]`)

test('select by shift-click and rubber band, label by digit, more like this, zoom, accept all above a threshold', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'reads the database beside the web host')
  test.setTimeout(300_000)
  const folder = await hymenopteraProject('selection')
  const ants = (await readdir(path.join(folder, 'ants'))).length
  const images = ants + (await readdir(path.join(folder, 'bees'))).length
  try {
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText(`${images} images`)
    await addClasses(page, ['ants', 'bees'])
    const count = page.getByTestId('selection-count')

    // Ctrl-click one, shift-click another: the five between are selected; one digit labels them all.
    await thumb(page, 0).click({ modifiers: ['ControlOrMeta'] })
    await expect(count).toHaveText('1 selected')
    await thumb(page, 4).click({ modifiers: ['Shift'] })
    await expect(count).toHaveText('5 selected')
    for (let i = 0; i < 5; i++) await expect(thumb(page, i)).toHaveAttribute('data-selected', 'true')
    await expect(thumb(page, 5)).not.toHaveAttribute('data-selected', 'true')
    await page.screenshot({ path: path.join(ARTIFACTS, `selection-web.png`) })
    await page.keyboard.press('1')
    await expect(page.getByTestId('class-count-ants')).toHaveText('5')
    for (let i = 0; i < 5; i++) await expect(thumb(page, i).getByTestId('label-badge')).toContainText('ants')
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('selection-bar')).toHaveCount(0)
    // The five labels were one action: one undo takes them back, one redo gives them again.
    await page.keyboard.press('Control+z')
    await expect(page.getByTestId('class-count-ants')).toHaveText('0')
    await page.keyboard.press('Control+Shift+z')
    await expect(page.getByTestId('class-count-ants')).toHaveText('5')

    // Rubber band over the first bees: a drag from the gap left of the first bee's row across three
    // columns and two rows selects those six, and the selection bar labels them.
    await scrollTo(page, ants)
    const grid = page.getByRole('grid', { name: 'Images' })
    const columns = await grid.evaluate((el) => Math.max(1, Math.floor(el.clientWidth / 172)))
    const firstBeeRow = Math.floor(ants / columns)
    const bandStart = firstBeeRow * columns + columns // the row after the first bee, so it holds only bees
    // Its row second from the top: a band near the grid's edge would scroll it.
    await scrollTo(page, bandStart - columns)
    const box = (await thumb(page, bandStart).boundingBox())!
    await page.mouse.move(box.x - 4, box.y - 4)
    await page.mouse.down()
    await page.mouse.move(box.x + CELL, box.y + CELL / 2, { steps: 4 })
    await page.mouse.move(box.x + CELL * 2 + 40, box.y + CELL + 40, { steps: 4 })
    await expect(page.getByTestId('rubber-band')).toBeVisible()
    await expect(count).toHaveText('6 selected')
    await page.screenshot({ path: path.join(ARTIFACTS, `rubber-band-web.png`) })
    await page.mouse.up()
    await expect(page.getByTestId('rubber-band')).toHaveCount(0)
    await expect(count).toHaveText('6 selected')
    for (const i of [0, 1, 2, columns, columns + 1, columns + 2]) await expect(thumb(page, bandStart + i)).toHaveAttribute('data-selected', 'true')
    await page.getByRole('button', { name: 'Label the selected images bees' }).click()
    await expect(page.getByTestId('class-count-bees')).toHaveText('6')
    // Held at the grid's bottom edge, a band scrolls the grid and takes in the rows it reaches.
    await scrollTo(page, 0)
    const gridBox = (await grid.boundingBox())!
    const top = (await thumb(page, 0).boundingBox())!
    await page.mouse.move(top.x - 4, top.y - 4)
    await page.mouse.down()
    await page.mouse.move(top.x + 40, top.y + 100, { steps: 3 })
    await page.mouse.move(top.x + 40, gridBox.y + gridBox.height - 6, { steps: 3 })
    await expect.poll(() => grid.evaluate((el) => el.scrollTop)).toBeGreaterThan(2 * CELL)
    await page.mouse.up()
    const reached = await grid.evaluate((el) => Math.floor((el.scrollTop + el.clientHeight) / 172))
    // Column 0 of every row from the first to the last one on screen.
    await expect.poll(async () => Number((await count.textContent())?.replace(/\D/g, ''))).toBeGreaterThanOrEqual(reached - 1)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('selection-bar')).toHaveCount(0)

    // Ctrl+A: every image of the filter, loaded or not. The thumbnail focused keeps the focus while
    // the browser jumps the grid to it (a jump of rows shows light placeholders for the others).
    await grid.evaluate((el) => (el.scrollTop = 2.5 * 172))
    await thumb(page, 0).focus()
    await page.waitForTimeout(300)
    await expect(thumb(page, 0)).toBeFocused()
    await page.keyboard.press('ControlOrMeta+a')
    await expect(count).toHaveText(`${images} selected`)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('selection-bar')).toHaveCount(0)

    // More like this, from the grid's context menu: the image first, then its neighbours.
    await expect(page.getByTestId('teacher-bar')).toContainText(`${images} images embedded`, { timeout: 180_000 })
    await scrollTo(page, 0)
    const query = (await thumb(page, 7).getAttribute('title')) ?? ''
    await thumb(page, 7).click({ button: 'right' })
    await page.getByRole('menuitem', { name: /More like this/ }).click()
    const chip = page.getByTestId('list-chip')
    await expect(chip).toContainText(`Like ${query.split('/').pop()}`)
    await expect(page.getByTestId('filtered-count')).toHaveText('201 shown')
    await expect(thumb(page, 0)).toHaveAttribute('title', query)
    await expect(thumb(page, 1)).toContainText('% alike')
    // Most of an ant's nearest neighbours in the teacher's space are ants.
    const near = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => thumb(page, i).getAttribute('title')))
    expect(near.filter((t) => t?.startsWith('ants/')).length).toBeGreaterThanOrEqual(6)
    await page.screenshot({ path: path.join(ARTIFACTS, `similar-web.png`) })
    await chip.getByRole('button').click()
    await expect(chip).toHaveCount(0)
    await expect(page.getByTestId('filtered-count')).toHaveText(`${images} shown`)

    // A round: its probabilities show in the viewer, its proposals in the review queue.
    await page.getByRole('button', { name: 'Run a round' }).click()
    const roundsTable = page.getByTestId('rounds-table')
    await expect(roundsTable.locator('tbody tr').first()).not.toContainText(/running|failed/, { timeout: 120_000 })

    // The viewer zooms with + and the wheel, pans by dragging, and a double-click fits again.
    await thumb(page, 2).click()
    const viewerImage = page.getByTestId('viewer-image')
    await expect.poll(() => viewerImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
    const level = page.getByTestId('zoom-level')
    await expect(level).toContainText('fit')
    const fitScale = Number(await viewerImage.getAttribute('data-scale'))
    // The last round's five most probable classes (two here), the image's own label first.
    const probabilities = page.getByTestId('probabilities')
    await expect(probabilities.getByRole('listitem')).toHaveCount(2)
    await expect(probabilities.getByRole('listitem').first()).toContainText('ants')
    await page.keyboard.press('+')
    await page.keyboard.press('+')
    await expect(level).not.toContainText('fit')
    expect(Number(await viewerImage.getAttribute('data-scale'))).toBeCloseTo(fitScale * 1.5625, 2)
    const frame = (await page.getByTestId('viewer-frame').boundingBox())!
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2)
    await page.mouse.wheel(0, -300)
    await expect.poll(async () => Number(await viewerImage.getAttribute('data-scale'))).toBeGreaterThan(fitScale * 1.6)
    const before = await viewerImage.evaluate((img) => img.style.transform)
    await page.mouse.down()
    await page.mouse.move(frame.x + frame.width / 2 + 120, frame.y + frame.height / 2 + 80, { steps: 5 })
    await page.mouse.up()
    await expect.poll(() => viewerImage.evaluate((img) => img.style.transform)).not.toBe(before)
    await page.screenshot({ path: path.join(ARTIFACTS, `viewer-zoom-web.png`) })
    await page.getByTestId('viewer-frame').dblclick()
    await expect(level).toContainText('fit')
    await page.keyboard.press('Escape')

    // The review queue: the threshold slider counts the proposals above it per class,
    // live, and one button accepts them all, in one action that one Ctrl+Z takes back.
    await page.getByTestId('review-button').click()
    const review = page.getByRole('dialog', { name: 'Review proposals' })
    await expect(review.getByTestId('review-progress')).toHaveText(/^1 of \d+/)
    const confidences = readDb<{ confidence: number }>(folder, "SELECT confidence FROM images WHERE status = 'proposed' ORDER BY confidence").map((r) => r.confidence)
    expect(confidences.length).toBeGreaterThan(4)
    const perClass = (t: number) =>
      Object.fromEntries(
        ['ants', 'bees'].map((name) => [
          name,
          readDb<{ n: number }>(folder, `SELECT count(*) AS n FROM images i JOIN classes c ON c.id = i.class_id WHERE i.status = 'proposed' AND i.confidence >= ${t} AND c.name = '${name}'`)[0]!.n,
        ]),
      )
    const slider = review.getByLabel('Confidence threshold')
    for (const t of [0.99, Math.floor(confidences[Math.floor(confidences.length / 2)]! * 100) / 100]) {
      await slider.fill(String(t))
      await expect(review.getByTestId('threshold-value')).toHaveText(`${Math.round(t * 100)}%`)
      const want = perClass(t)
      await expect(review.getByTestId('above-ants')).toHaveText(String(want.ants))
      await expect(review.getByTestId('above-bees')).toHaveText(String(want.bees))
    }
    const threshold = Number(await slider.inputValue())
    const above = confidences.filter((c) => c >= threshold).length
    expect(above).toBeGreaterThan(0)
    await expect(review.getByTestId('accept-above')).toHaveText(`Accept all ${above} at ≥ ${Math.round(threshold * 100)}%`)
    await page.screenshot({ path: path.join(ARTIFACTS, `review-threshold-web.png`) })
    await review.getByTestId('accept-above').click()
    await expect(review.getByTestId('review-notice')).toContainText(`Accepted ${above} proposals`)
    await expect.poll(() => readDb<{ n: number }>(folder, "SELECT count(*) AS n FROM images WHERE status = 'accepted'")[0]?.n).toBe(above)
    await expect(review.getByTestId('accept-above')).toBeDisabled()
    await page.keyboard.press('Control+z')
    await expect.poll(() => readDb<{ n: number }>(folder, "SELECT count(*) AS n FROM images WHERE status = 'accepted'")[0]?.n).toBe(0)
    await page.keyboard.press('Escape')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})
