import { rm } from 'node:fs/promises'
import path from 'node:path'
import { ARTIFACTS, expect, openFolder, test, hymenopteraProject, addClasses } from '../fixtures'

test('seed labels by keyboard in the grid and the viewer, with counts, filters, undo and history', async ({ studio: page }, testInfo) => {
  const folder = await hymenopteraProject('labels', 6)
  try {
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText('12 images')

    await addClasses(page, ['ants', 'bees'])

    // Grid: focus a thumbnail, press 1.
    const thumbs = page.getByTestId('thumb')
    await thumbs.nth(0).focus()
    await page.keyboard.press('1')
    await expect(thumbs.nth(0).getByTestId('label-badge')).toContainText('ants')
    await thumbs.nth(1).focus()
    await page.keyboard.press('1')
    await expect(page.getByTestId('class-count-ants')).toHaveText('2')

    // Viewer: each digit labels the image and moves on to the next.
    await thumbs.nth(6).click()
    const viewer = page.getByRole('dialog')
    await expect(viewer).toHaveAttribute('aria-label', /^bees\//)
    const firstBee = await viewer.getAttribute('aria-label')
    await page.keyboard.press('2')
    await expect(viewer).not.toHaveAttribute('aria-label', firstBee ?? '')
    await page.keyboard.press('2')
    await expect(page.getByTestId('class-count-bees')).toHaveText('2')
    await page.keyboard.press('ArrowLeft')
    await expect(page.getByTestId('label-history')).toContainText('labelled bees')
    await page.screenshot({ path: path.join(ARTIFACTS, `viewer-labelled-${testInfo.project.name}.png`) })
    // Tab stays inside the viewer: focus never reaches the text fields behind it.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab')
      expect(await viewer.evaluate((el) => el.contains(document.activeElement))).toBe(true)
    }
    await page.keyboard.press('Escape')

    // The store answers the filter: four images carry a person's label.
    await page.getByLabel('Filter by state').selectOption('human')
    await expect(page.getByTestId('filtered-count')).toHaveText('4 shown')
    await expect(page.getByTestId('thumb')).toHaveCount(4)

    // Undo and redo the last label from anywhere.
    await page.keyboard.press('Control+z')
    await expect(page.getByTestId('class-count-bees')).toHaveText('1')
    await expect(page.getByTestId('filtered-count')).toHaveText('3 shown')
    await page.keyboard.press('Control+Shift+z')
    await expect(page.getByTestId('class-count-bees')).toHaveText('2')
    await expect(page.getByTestId('filtered-count')).toHaveText('4 shown')

    // A class filter: only the ants.
    await page.getByLabel('Filter by state').selectOption('all')
    // The class's row (its ⋯ button, "Edit class ants", opens the class menu instead).
    await page.getByRole('complementary', { name: 'Classes' }).locator('.class-row', { hasText: 'ants' }).click()
    await expect(page.getByTestId('filtered-count')).toHaveText('2 shown')
    await page.screenshot({ path: path.join(ARTIFACTS, `labels-${testInfo.project.name}.png`) })

    // Suggestions: the eight unlabelled images, spread over the embedding space, labelled by key.
    await expect(page.getByTestId('teacher-bar')).toContainText('12 images embedded', { timeout: 120_000 })
    await page.getByRole('button', { name: 'Suggest 20 to label' }).click()
    const queue = page.getByRole('dialog', { name: 'Label suggested images' })
    await expect(queue.getByTestId('review-progress')).toHaveText('1 of 8')
    const seen = new Set<string>()
    for (let i = 0; i < 8; i++) {
      const file = (await queue.getByTestId('review-image').getAttribute('alt')) ?? ''
      seen.add(file)
      await page.keyboard.press(file.startsWith('ants/') ? '1' : '2')
    }
    expect(seen.size).toBe(8)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('class-count-ants')).toHaveText('6')
    await expect(page.getByTestId('class-count-bees')).toHaveText('6')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})
