/**
 * Possible mistakes: every image of a small ants-and-bees folder labelled through the contract,
 * two of them on purpose with the wrong class. The queue (Classes panel) runs the check with a
 * progress bar, lists the wrong ones first with the class given, the class suggested and both
 * probabilities; f fixes one to the suggested class, k keeps another (a check event, undoable),
 * and neither is listed again when the queue is opened anew.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { ARTIFACTS, expect, openFolder, test, hymenopteraProject, addClasses, callStudio, readDb } from '../fixtures'

const PER_CLASS = 15

test('possible mistakes: the wrong labels first, f fixes one, k keeps one', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'labels the images through the web host')
  test.setTimeout(240_000)
  const folder = await hymenopteraProject('mistakes', PER_CLASS)
  try {
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText(`${PER_CLASS * 2} images`)
    await addClasses(page, ['ants', 'bees'])
    const classes = await callStudio(page, 'classes.list', {})
    const id = (name: string) => classes.find((c) => c.name === name)!.id
    const all = (await callStudio(page, 'images.page', { offset: 0, limit: 100, status: 'all', sort: 'name', descending: false })).images
    const ants = all.filter((i) => i.relPath.startsWith('ants/'))
    const bees = all.filter((i) => i.relPath.startsWith('bees/'))
    // the deliberate mistakes (as in test/api/label-issues.test.ts): the last ant labelled bees, the first bee labelled ants
    const wrong = [ants.at(-1)!, bees[0]!]
    await callStudio(page, 'labels.set', { imageIds: [...ants.slice(0, -1), bees[0]!].map((i) => i.id), classId: id('ants') })
    await callStudio(page, 'labels.set', { imageIds: [...bees.slice(1), ants.at(-1)!].map((i) => i.id), classId: id('bees') })
    await expect(page.getByTestId('teacher-bar')).toContainText(`${PER_CLASS * 2} images embedded`, { timeout: 120_000 })

    await page.getByRole('button', { name: 'Possible mistakes' }).click()
    const queue = page.getByRole('dialog', { name: 'Possible mistakes' })
    const progress = queue.getByTestId('review-progress')
    await expect(queue.getByTestId('review-image')).toBeVisible({ timeout: 60_000 })
    const size = Number(/of (\d+)/.exec((await progress.textContent()) ?? '')?.[1])
    expect(size).toBeGreaterThanOrEqual(2)
    // The two deliberate mistakes are the most suspect, in some order.
    const first = (await queue.getByTestId('review-image').getAttribute('alt')) ?? ''
    expect(wrong.map((i) => i.relPath)).toContain(first)
    const firstGiven = first.startsWith('ants/') ? 'bees' : 'ants'
    const firstTrue = first.startsWith('ants/') ? 'ants' : 'bees'
    await expect(queue.getByTestId('mistake-given')).toHaveText(firstGiven)
    await expect(queue.getByTestId('mistake-suggested')).toHaveText(firstTrue)
    await expect(queue).toContainText(/Labelled \w+ \(p \d+%\)/)
    await expect(queue).toContainText(/suggests \w+ \(p \d+%\)/)
    await page.screenshot({ path: path.join(ARTIFACTS, 'mistakes.png') })

    // f: fixed to the suggested class; the queue moves on.
    await page.keyboard.press('f')
    await expect(progress).toHaveText(`2 of ${size}`)
    const second = (await queue.getByTestId('review-image').getAttribute('alt')) ?? ''
    expect(wrong.map((i) => i.relPath)).toContain(second)
    // k: kept as it is (say the person knows better); back to it, the queue says so.
    await page.keyboard.press('k')
    await expect(progress).toHaveText(`${Math.min(3, size)} of ${size}`)
    await page.keyboard.press('ArrowLeft')
    await expect(queue.getByTestId('mistake-state')).toHaveText(/^Kept as /)
    await page.keyboard.press('Escape')
    await expect(queue).toHaveCount(0)

    const byPath = new Map((await callStudio(page, 'images.page', { offset: 0, limit: 100, status: 'all', sort: 'name', descending: false })).images.map((i) => [i.relPath, i]))
    expect(byPath.get(first)!.classId).toBe(id(firstTrue))
    const secondGiven = second.startsWith('ants/') ? 'bees' : 'ants'
    expect(byPath.get(second)!.classId).toBe(id(secondGiven))
    const checks = readDb<{ image_id: number }>(folder, "SELECT e.image_id FROM label_events e JOIN actions a ON a.id = e.action_id WHERE a.kind = 'check' AND a.undone = 0")
    expect(checks.map((c) => c.image_id)).toEqual([byPath.get(second)!.id])

    // Opened anew: neither the fixed nor the kept label is listed.
    await page.getByRole('button', { name: 'Possible mistakes' }).click()
    await expect(queue).toBeVisible()
    await expect(queue.getByTestId('mistakes-checking')).toHaveCount(0, { timeout: 60_000 })
    const listed = await callStudio(page, 'labels.issues', {})
    expect(listed.map((i) => i.image.relPath)).not.toContain(first)
    expect(listed.map((i) => i.image.relPath)).not.toContain(second)
    await page.keyboard.press('Escape')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})
