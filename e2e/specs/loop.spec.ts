import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from '@playwright/test'
import { ARTIFACTS, SHARED, expect, openFolder, test, readDb } from '../fixtures'

const HYMENOPTERA = path.join(SHARED, 'datasets/hymenoptera')

/** Scrolls the virtualised grid to image `index` and focuses its thumbnail. */
async function focusThumb(page: Page, index: number): Promise<void> {
  const thumb = page.locator(`[data-testid="thumb"][data-index="${index}"]`)
  for (let i = 0; i < 50 && !(await thumb.count()); i++) {
    await page.getByRole('grid', { name: 'Images' }).evaluate((el, idx) => {
      const cols = Math.max(1, Math.floor(el.clientWidth / 172))
      el.scrollTop = Math.floor(idx / cols) * 172
    }, index)
    await page.waitForTimeout(100)
  }
  await thumb.focus()
}

test('the loop: seed labels, a round, twenty reviews by keyboard, a second round', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'reads the database beside the web host')
  await openFolder(page, HYMENOPTERA)
  await expect(page.getByTestId('image-count')).toHaveText('397 images')
  for (const name of ['ants', 'bees']) {
    await page.getByLabel('New class name').fill(name)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await expect(page.getByTestId(`class-count-${name}`)).toBeVisible()
  }
  // Sorted by name, pool/ants/* (123 images) come first, then pool/bees/*.
  for (const [index, key] of [[0, '1'], [1, '1'], [123, '2'], [124, '2']] as const) {
    await focusThumb(page, index)
    await page.keyboard.press(key)
  }
  await expect(page.getByTestId('class-count-ants')).toHaveText('2')
  await expect(page.getByTestId('class-count-bees')).toHaveText('2')
  await expect(page.getByTestId('teacher-bar')).toContainText('397 images embedded', { timeout: 180_000 })

  await page.getByRole('button', { name: 'Run a round' }).click()
  const roundsTable = page.getByTestId('rounds-table')
  await expect(roundsTable.locator('tbody tr')).toHaveCount(1)
  await expect(roundsTable.locator('tbody tr').first()).not.toContainText(/running|failed/, { timeout: 120_000 })
  const review = page.getByTestId('review-button')
  await expect(review).toBeEnabled()
  const proposed = Number((await review.textContent())?.replace(/\D/g, ''))
  expect(proposed).toBeGreaterThan(20)
  await page.screenshot({ path: path.join(ARTIFACTS, `round-${testInfo.project.name}.png`) })

  // Twenty decisions, one key each: a simulated reviewer who knows the folder names.
  await review.click()
  let accepted = 0
  let relabelled = 0
  for (let i = 0; i < 20; i++) {
    await expect(page.getByTestId('review-progress')).toHaveText(new RegExp(`^${i + 1} of `))
    const truth = (await page.getByTestId('review-image').getAttribute('alt'))?.split('/')[1]
    const proposal = await page.getByTestId('review-class').textContent()
    if (i === 5) await page.screenshot({ path: path.join(ARTIFACTS, `review-${testInfo.project.name}.png`) })
    if (proposal === truth) {
      await page.keyboard.press('a')
      accepted++
    } else {
      await page.keyboard.press(truth === 'ants' ? '1' : '2')
      relabelled++
    }
  }
  await expect(page.getByTestId('review-progress')).toHaveText(/^21 of /)
  await page.keyboard.press('Escape')

  // What the person decided is in the database, as label events and current labels.
  await expect
    .poll(() => readDb<{ n: number }>(HYMENOPTERA, "SELECT count(*) AS n FROM images WHERE status = 'accepted'")[0]?.n)
    .toBe(accepted)
  const people = readDb<{ n: number }>(HYMENOPTERA, "SELECT count(*) AS n FROM label_events WHERE actor = 'user' AND state IN ('accepted', 'relabelled') AND round_id IS NOT NULL")[0]?.n
  expect(people).toBe(20)
  expect(accepted + relabelled).toBe(20)

  // The second round trains on the seed labels and the twenty reviewed ones.
  await page.getByRole('button', { name: 'Run a round' }).click()
  await expect(roundsTable.locator('tbody tr')).toHaveCount(2)
  await expect(roundsTable.locator('tbody tr').nth(1)).not.toContainText(/running|failed/, { timeout: 120_000 })
  const rounds = readDb<{ status: string; summary: string }>(HYMENOPTERA, 'SELECT status, summary FROM rounds ORDER BY id')
  expect(rounds.map((r) => r.status)).toEqual(['done', 'done'])
  expect(JSON.parse(rounds[1]?.summary ?? '{}').trainedOn.human).toBe(4 + relabelled)
  await page.screenshot({ path: path.join(ARTIFACTS, `rounds-${testInfo.project.name}.png`) })

  // Export: the CSV carries every label a person stands behind, and the browser downloads it.
  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Labels as CSV' }).click()
  const file = await download
  expect(file.suggestedFilename()).toMatch(/^labels-.*\.csv$/)
  const csv = (await readFile(await file.path(), 'utf8')).trim().split('\r\n')
  expect(csv[0]).toBe('path,class,status,confidence,round,sha256,decided_by')
  const rows = csv.slice(1).map((line) => line.split(','))
  expect(rows).toHaveLength(4 + 20)
  expect(rows.filter((r) => r[2] === 'accepted')).toHaveLength(accepted)
  // Every exported label is right: the seed labels and the reviewer's decisions came from the folder names.
  for (const r of rows) expect(r[0]?.split('/')[1]).toBe(r[1])
  await expect(page.getByTestId('export-message')).toContainText('24 labels written')

  // Spot-check: ten random proposals per class, judged by key; the panel estimates each class's precision.
  await page.getByRole('button', { name: 'Spot-check 10 per class' }).click()
  const audit = page.getByRole('dialog', { name: 'Spot-check proposals' })
  const size = Number(/of (\d+)/.exec((await audit.getByTestId('review-progress').textContent()) ?? '')?.[1])
  expect(size).toBe(20)
  const right: Record<string, number> = { ants: 0, bees: 0 }
  for (let i = 0; i < size; i++) {
    const truth = (await audit.getByTestId('review-image').getAttribute('alt'))?.split('/')[1] ?? ''
    const proposal = (await audit.getByTestId('review-class').textContent()) ?? ''
    if (proposal === truth) right[proposal] = (right[proposal] ?? 0) + 1
    await page.keyboard.press(proposal === truth ? 'a' : truth === 'ants' ? '1' : '2')
    await expect(audit.getByTestId('review-progress')).toHaveText(new RegExp(`^${Math.min(i + 2, size)} of `))
  }
  await page.keyboard.press('Escape')
  const table = page.getByTestId('audit-table')
  for (const cls of ['ants', 'bees']) {
    await expect(table.getByRole('row').filter({ hasText: cls })).toContainText(`10/10`)
    await expect(table.getByRole('row').filter({ hasText: cls })).toContainText(`${Math.round(((right[cls] ?? 0) / 10) * 100)}% (`)
  }
  await page.screenshot({ path: path.join(ARTIFACTS, `audit-${testInfo.project.name}.png`) })
})
