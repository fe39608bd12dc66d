/**
 * Settings › Import a teacher: the shipped MobileNetV2 file imported as if it had no manifest (the
 * wizard proposes its pre-classifier feature, checks it on the open project's images and saves it),
 * and a wrong guess (a tiny model's constant output) refused with a clear message. Screenshots of both.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ARTIFACTS, ROOT, callStudio, expect, hymenopteraProject, openFolder, test } from '../fixtures'
import { nhwcUint8Model } from '../../test/teacher/tiny-models'

test('import an ONNX teacher from the settings', async ({ studio: page }, testInfo) => {
  const id = `imported-mobilenet-${Date.now()}`
  // Made inside the try, so a setup step that throws leaves nothing behind.
  const temp: string[] = []
  try {
    const folder = await hymenopteraProject('import', 4)
    temp.push(folder)
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-import-model-'))
    temp.push(tmp)
    const tiny = path.join(tmp, 'tiny-nhwc.onnx')
    await writeFile(tiny, nhwcUint8Model())
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText('8 images')
    await page.getByRole('button', { name: 'Settings' }).click()
    const wizard = page.getByRole('dialog', { name: 'Settings' }).getByTestId('import-teacher')
    const note = wizard.getByTestId('import-note')

    await test.step('a wrong guess gets a clear message', async () => {
      await wizard.getByLabel('ONNX file path').fill(tiny)
      await wizard.getByRole('button', { name: 'Inspect' }).click()
      await expect(wizard.getByTestId('import-recognised')).toContainText('NHWC, 3 channels, uint8')
      await wizard.getByLabel('Embedding output').selectOption('constant')
      await wizard.getByRole('button', { name: 'Check' }).click()
      await expect(note).toContainText('embeddings are identical for every image')
      await expect(note).toHaveClass(/error-text/)
      await wizard.scrollIntoViewIfNeeded()
      await wizard.screenshot({ path: path.join(ARTIFACTS, `import-teacher-wrong-${testInfo.project.name}.png`) })
    })

    await test.step('the shipped file with no manifest: the pre-classifier feature, checked and saved', async () => {
      await wizard.getByLabel('ONNX file path').fill(path.join(ROOT, 'models/mobilenetv2-12-int8.onnx'))
      await wizard.getByRole('button', { name: 'Inspect' }).click()
      await expect(wizard.getByTestId('import-recognised')).toContainText('is a classifier\'s logits')
      await expect(wizard.getByLabel('Embedding output')).toHaveValue('464_quantized')
      await expect(wizard.getByLabel('Input size')).toHaveValue('224, 224')
      await wizard.getByRole('button', { name: 'Check' }).click()
      await expect(note).toContainText('Checked on 8 images: 1280-d embeddings')
      await wizard.getByLabel('Teacher id').fill(id)
      await wizard.getByRole('button', { name: 'Save' }).click()
      await expect(note).toContainText(/Saved as "imported-mobilenet-\d+"/)
      await wizard.scrollIntoViewIfNeeded()
      await wizard.screenshot({ path: path.join(ARTIFACTS, `import-teacher-${testInfo.project.name}.png`) })
    })
  } finally {
    // The web host's app data folder is shared by the specs: the imported teacher must not show in theirs.
    if (testInfo.project.name === 'web') await callStudio(page, 'teachers.remove', { id }).catch(() => undefined)
    for (const dir of temp) await rm(dir, { recursive: true, force: true })
  }
})
