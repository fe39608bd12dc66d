/**
 * The review queue follows the decisions made in it: back (←) to a proposal already accepted, the
 * queue shows it accepted, and `a` writes nothing more (a and x act on proposals only, as in the
 * grid and the viewer). Its label history, asked through the contract, holds one accept.
 */
import { rm } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import type { LabelEvent } from '../../preload/contract'
import { expect, openFolder, test, hymenopteraProject, addClasses, callStudio, labelTwoOfEach } from '../fixtures'

const PER_CLASS = 10

/** The label history of the image at `relPath`. */
async function historyOf(page: Page, relPath: string): Promise<LabelEvent[]> {
  const all = await callStudio(page, 'images.page', { offset: 0, limit: 100, status: 'all', sort: 'name', descending: false })
  const image = all.images.find((i) => i.relPath === relPath)
  if (!image) throw new Error(`no image ${relPath}`)
  return callStudio(page, 'images.history', { imageId: image.id })
}

test('back to an accepted proposal in the review queue, a writes no second accept', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'asks the web host for the label history')
  const folder = await hymenopteraProject('review', PER_CLASS)
  try {
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText(`${PER_CLASS * 2} images`)
    await addClasses(page, ['ants', 'bees'])
    await labelTwoOfEach(page, PER_CLASS)
    await expect(page.getByTestId('teacher-bar')).toContainText(`${PER_CLASS * 2} images embedded`, { timeout: 120_000 })
    await page.getByRole('button', { name: 'Run a round' }).click()
    const rows = page.getByTestId('rounds-table').locator('tbody tr')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).not.toContainText(/running|failed|cancelled/, { timeout: 120_000 })

    await page.getByTestId('review-button').click()
    const review = page.getByRole('dialog', { name: 'Review proposals' })
    const progress = review.getByTestId('review-progress')
    const size = Number(/of (\d+)/.exec((await progress.textContent()) ?? '')?.[1])
    expect(size).toBeGreaterThanOrEqual(2)
    await expect(progress).toHaveText(`1 of ${size}`)
    const first = (await review.getByTestId('review-image').getAttribute('alt')) ?? ''

    // Accept the first proposal, step back to it.
    await page.keyboard.press('a')
    await expect(progress).toHaveText(`2 of ${size}`)
    const second = (await review.getByTestId('review-image').getAttribute('alt')) ?? ''
    await page.keyboard.press('ArrowLeft')
    await expect(progress).toHaveText(`1 of ${size}`)
    await expect(review.getByTestId('review-image')).toHaveAttribute('alt', first)

    // a again: nothing to accept. Any accept it sends has landed before the history is asked for.
    const sent = page.waitForRequest('**/api/call/labels.review', { timeout: 2000 }).catch(() => null)
    await page.keyboard.press('a')
    await (await sent)?.response()
    const accepts = (await historyOf(page, first)).filter((e) => e.state === 'accepted' && e.source === 'pseudo' && !e.undone)
    expect(accepts).toHaveLength(1)
    // The queue shows it accepted and stays on it; the next proposal is still one step on.
    await expect(review.getByTestId('label-badge')).toHaveAttribute('data-status', 'accepted')
    await expect(progress).toHaveText(`1 of ${size}`)
    await page.keyboard.press('ArrowRight')
    await expect(review.getByTestId('review-image')).toHaveAttribute('alt', second)
    await page.keyboard.press('Escape')
    await expect(review).toHaveCount(0)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})
