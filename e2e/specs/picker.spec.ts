import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { ARTIFACTS, ROOT, expect, openDemo, openFolder, test, toProjectPicker } from '../fixtures'

test('the demo project from the picker, class-folder export, and recent projects', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'checks files beside the web host')
  await openDemo(page)
  await expect(page.locator('.project-name')).toHaveText('fashion-mnist')
  // The demo's data goes to the app's data folder: the repository stays clean.
  expect(existsSync(path.join(ROOT, 'demo/fashion-mnist/.pseudolabel'))).toBe(false)

  // Two seed labels, then the class-folder export of them.
  for (const name of ['ankle boot', 'top']) {
    await page.getByLabel('New class name').fill(name)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await expect(page.getByTestId(`class-count-${name}`)).toBeVisible()
  }
  for (const [index, key] of [[0, '1'], [1, '2']] as const) {
    await page.locator(`[data-testid="thumb"][data-index="${index}"]`).focus()
    await page.keyboard.press(key)
  }
  await expect(page.getByTestId('class-count-ankle boot')).toHaveText('1')
  await page.getByRole('button', { name: 'Class folders' }).click()
  const message = page.getByTestId('export-message')
  await expect(message).toContainText('2 labels written to')
  const written = /written to (\S+?-folders)/.exec((await message.textContent()) ?? '')?.[1] ?? ''
  expect((await readdir(written, { recursive: true })).sort()).toEqual(['ankle boot', 'ankle boot/train_00000.png', 'top', 'top/train_00001.png'])
  await page.screenshot({ path: path.join(ARTIFACTS, 'export-web.png') })

  // A second folder, which then disappears from disk.
  const gone = await mkdtemp(path.join(os.tmpdir(), 'studio-gone-'))
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a7' } }).png().toFile(path.join(gone, 'one.png'))
  await openFolder(page, gone)
  await expect(page.getByTestId('image-count')).toHaveText('1 images')
  await rm(gone, { recursive: true, force: true })

  await toProjectPicker(page)
  const recent = page.getByTestId('recent-projects')
  // Newest first: the vanished folder (shown missing, not openable), then the demo.
  const goneName = path.basename(gone)
  await expect(recent.locator('li').nth(0)).toContainText(goneName)
  await expect(recent.locator('li').nth(0)).toContainText('missing')
  await expect(page.getByRole('button', { name: `Open ${goneName} (missing)` })).toBeDisabled()
  await expect(recent.locator('li').nth(1)).toContainText('Demo: Fashion-MNIST')
  await page.screenshot({ path: path.join(ARTIFACTS, 'picker-web.png') })

  await page.getByRole('button', { name: `Remove ${goneName} from recent projects` }).click()
  await expect(recent).not.toContainText(goneName)
  await page.getByRole('button', { name: 'Open Demo: Fashion-MNIST' }).click()
  await expect(page.getByTestId('image-count')).toHaveText('300 images')
  await expect(page.getByTestId('class-count-ankle boot')).toHaveText('1')
})
