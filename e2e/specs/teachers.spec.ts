/**
 * A fresh data folder gets a teacher from the Teachers section of Settings: the download from a
 * model server on 127.0.0.1 (started here, serving the shipped default's file slowly) shows its
 * progress bar with bytes, speed and ETA; once verified, the teacher is chosen, embeds a project and
 * a round runs on seed labels given by keyboard. The spec starts its own web host, so its data
 * folder is fresh and its STUDIO_MODELS_DIR holds the test manifest whose URL points at the server.
 */
import { chromium } from '@playwright/test'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startModelServer, writeTestManifest } from '../../test/teacher/model-server'
import { ARTIFACTS, addClasses, expect, hymenopteraProject, openFolder, test, callStudio, labelTwoOfEach } from '../fixtures'
import { CHROMIUM, CHROMIUM_ARGS, startStudioServer } from '../host'

const PER_CLASS = 10
const ID = 'e2e-teacher'

test('a fresh data folder downloads a teacher with a progress bar, then it embeds a project and a round runs', async ({}, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'starts its own web host with a fresh data folder')
  test.setTimeout(180_000)
  // Everything made for the spec is made inside the try, so a setup step that throws leaves nothing behind.
  let models: Awaited<ReturnType<typeof startModelServer>> | undefined
  let host: Awaited<ReturnType<typeof startStudioServer>> | undefined
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined
  const temp: string[] = []
  try {
    models = await startModelServer()
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-teachers-'))
    temp.push(dataDir)
    const modelsDir = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-teachers-models-'))
    temp.push(modelsDir)
    // 3.7 MB at 500 kB/s: about seven seconds of progress to see.
    await writeTestManifest(modelsDir, ID, `${models.base}/slow.onnx?bps=500000`)
    host = await startStudioServer({ dataDir, env: { STUDIO_MODELS_DIR: modelsDir, HTTP_PROXY: '', http_proxy: '' } })
    const folder = await hymenopteraProject('teachers', PER_CLASS)
    temp.push(folder)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage()
    await page.goto(host.url)
    await page.getByRole('button', { name: 'Settings' }).click()
    const section = page.getByTestId('teachers-section')
    const card = section.getByTestId(`teacher-${ID}`)
    await expect(section.getByTestId('teacher-mobilenetv2-12-int8')).toHaveAttribute('data-state', 'installed')
    await expect(card).toHaveAttribute('data-state', 'not-downloaded')
    await expect(card).toContainText('3.7 MB')
    await expect(card).toContainText('Apache-2.0')

    await card.getByRole('button', { name: 'Download' }).click()
    await expect(card.getByRole('progressbar')).toBeVisible()
    // A second or so in, so the bar, the speed and the ETA have something to show.
    await expect(card.getByTestId('download-progress')).toHaveText(/^(0\.[5-9]|[1-9])[\d.]* MB of 3\.7 MB · [\d.]+ MB\/s · \d+ s left/)
    await card.scrollIntoViewIfNeeded()
    await page.screenshot({ path: path.join(ARTIFACTS, 'teachers-web.png') })
    await expect(card).toHaveAttribute('data-state', 'installed', { timeout: 60_000 })
    expect(models.requests.filter((r) => r.url.startsWith('/slow.onnx'))).toHaveLength(1)
    expect(existsSync(path.join(dataDir, 'models', ID, `${ID}.onnx`))).toBe(true)

    // Chosen as the teacher through the Teacher setting (the card's button saves it).
    await card.getByRole('button', { name: 'Use as teacher' }).click()
    await expect(card).toContainText('In use')
    await expect(page.getByLabel('Teacher model')).toHaveValue(ID)
    await page.getByRole('button', { name: 'Close settings' }).click()

    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText(`${PER_CLASS * 2} images`)
    await addClasses(page, ['ants', 'bees'])
    await labelTwoOfEach(page, PER_CLASS)
    await expect(page.getByTestId('teacher-bar')).toContainText(`${PER_CLASS * 2} images embedded`, { timeout: 120_000 })
    expect(await callStudio(page, 'teacher.status', {})).toMatchObject({ model: ID, state: 'done', done: PER_CLASS * 2 })
    await page.getByRole('button', { name: 'Run a round' }).click()
    const rows = page.getByTestId('rounds-table').locator('tbody tr')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).not.toContainText(/running|failed|cancelled/, { timeout: 120_000 })
  } finally {
    await browser?.close()
    await host?.stop()
    await models?.close()
    for (const dir of temp) await rm(dir, { recursive: true, force: true })
  }
})
