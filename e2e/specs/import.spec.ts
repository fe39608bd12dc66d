import { readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ARTIFACTS, addClasses, expect, hymenopteraProject, labelThumb, openFolder, readDb, test } from '../fixtures'

test('import a CSV: the report before anything is written, then the labels, and one Ctrl+Z undoes it', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'writes the CSV beside the web host')
  const folder = await hymenopteraProject('import', 4)
  try {
    await openFolder(page, folder)
    await expect(page.getByTestId('image-count')).toHaveText('8 images')
    // One label given by hand, which the CSV contradicts: a conflict, kept.
    await addClasses(page, ['ants'])
    await labelThumb(page, 0, '1', 'ants')

    const ants = (await readdir(path.join(folder, 'ants'))).sort()
    const bees = (await readdir(path.join(folder, 'bees'))).sort()
    const csv = path.join(folder, '..', `${path.basename(folder)}-labels.csv`)
    const rows = [`ants/${ants[0]},bees`, `ants/${ants[1]},ants`, `ants/${ants[2]},ants`, `bees/${bees[0]},bees`, `bees/${bees[1]},bees`, 'elsewhere/nowhere.jpg,ants']
    await writeFile(csv, ['path,class', ...rows].join('\n') + '\n')

    const panel = page.getByRole('region', { name: 'Import' })
    await panel.getByLabel('Import format').selectOption('csv')
    await panel.getByLabel('Path of the file or folder to import').fill(csv)
    await panel.getByRole('button', { name: 'Check' }).click()
    const report = page.getByTestId('import-report')
    await expect(report.getByTestId('import-matched')).toContainText('Matched: 5 of 6 rows (5 by path, 0 by file name, 0 by content)')
    await expect(report.getByTestId('import-unmatched')).toContainText('elsewhere/nowhere.jpg (line 7)')
    await expect(report.getByTestId('import-new-classes')).toHaveText('New classes: bees')
    await expect(report.getByTestId('import-conflicts')).toContainText(`ants/${ants[0]}: ants → bees`)
    await expect(report.getByTestId('import-to-write')).toHaveText('Import 4 labels as your labels?')
    // The dry run wrote nothing.
    await expect(page.getByTestId('class-count-ants')).toHaveText('1')
    await report.scrollIntoViewIfNeeded()
    await page.screenshot({ path: path.join(ARTIFACTS, 'import-report.png') })

    await report.getByRole('button', { name: 'Import' }).click()
    await expect(page.getByTestId('import-message')).toContainText('Imported 4 labels')
    await expect(page.getByTestId('class-count-ants')).toHaveText('3')
    await expect(page.getByTestId('class-count-bees')).toHaveText('2')
    const actions = readDb<{ kind: string; origin: string | null }>(folder, "SELECT kind, origin FROM actions WHERE kind = 'import'")
    expect(actions).toEqual([{ kind: 'import', origin: csv }])

    // One Ctrl+Z takes the whole import back, the class it created too.
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('Control+z')
    await expect(page.getByTestId('class-count-ants')).toHaveText('1')
    await expect(page.getByTestId('class-count-bees')).toHaveCount(0)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
})
