/**
 * `studio`: a page showing the studio, in Chromium against the web host (project `web`) or in the
 * Electron app (project `electron`, skipped with its reason when no Electron binary is installed).
 */
import { test as base, chromium, _electron, expect, type Page } from '@playwright/test'
import { DatabaseSync } from '@photostructure/sqlite'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { ProjectPaths } from '../main/engine/project/paths'
import type { RequestInput, RequestName, RequestResults } from '../preload/contract'
import { projectDataDir } from '../main/engine/project/locations'
import { ROOT, SHARED, hymenopteraSubset } from '../test/shared'
import { CHROMIUM, CHROMIUM_ARGS } from './host'

export { ROOT, SHARED }
export const ARTIFACTS = path.join(ROOT, 'e2e/artifacts')

/** The Electron binary's path, or why there is none. */
function electronBinary(): { path: string } | { missing: string } {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown
    if (typeof p === 'string' && existsSync(p)) return { path: p }
    return { missing: 'the electron package has no binary' }
  } catch (err) {
    return { missing: `no Electron binary installed (${(err as Error).message.split('\n')[0]}); the web project covers the same specs` }
  }
}

export const test = base.extend<{ studio: Page }>({
  studio: async ({}, use, testInfo) => {
    if (testInfo.project.name === 'electron') {
      const bin = electronBinary()
      test.skip('missing' in bin, 'missing' in bin ? bin.missing : '')
      if (!('path' in bin)) return
      const app = await _electron.launch({ executablePath: bin.path, args: [path.join(ROOT, 'out/main/index.js')], cwd: ROOT })
      const page = await app.firstWindow()
      await use(page)
      await app.close()
      return
    }
    const url = process.env.STUDIO_URL
    if (!url) throw new Error('STUDIO_URL is not set: the global setup did not start the web host')
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set STUDIO_CHROMIUM)`)
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } })
    const page = await context.newPage()
    await page.goto(url)
    await use(page)
    await browser.close()
  },
})

export { expect }

/** A request of the contract, made over HTTP with the page's own session (web host only); a refusal throws its message. */
export async function callStudio<N extends RequestName>(page: Page, name: N, input: RequestInput<N>): Promise<RequestResults[N]> {
  return page.evaluate(
    async ([n, i]) => {
      const res = await fetch(`/api/call/${n}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(i) })
      const reply = (await res.json()) as { ok: boolean; value: unknown; error?: { message: string } }
      if (!reply.ok) throw new Error(reply.error?.message)
      return reply.value
    },
    [name, input] as const,
  ) as Promise<RequestResults[N]>
}

/** Creates these classes from the Classes panel, each shown with no images yet. */
export async function addClasses(page: Page, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await page.getByLabel('New class name').fill(name)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await expect(page.getByTestId(`class-count-${name}`)).toHaveText('0')
  }
}

/** Labels grid thumbnail `index` by key and waits for its badge (a key pressed while the grid re-renders the cell is pressed again). */
export async function labelThumb(page: Page, index: number, key: string, cls: string): Promise<void> {
  const thumb = page.locator(`[data-testid="thumb"][data-index="${index}"]`)
  await expect(async () => {
    await thumb.focus()
    await page.keyboard.press(key)
    await expect(thumb.getByTestId('label-badge')).toContainText(cls, { timeout: 2000 })
  }).toPass()
}

/** Real photos in a folder of their own (so a spec starts afresh): the first `perClass` ants and bees of the hymenoptera pool, or all. */
export const hymenopteraProject = (name: string, perClass = Infinity): Promise<string> => hymenopteraSubset(`studio-e2e-${name}-`, perClass)

/**
 * Seed labels by keyboard in a hymenopteraProject sorted by name (ants/* first, then bees/*): the
 * first two ants as class 1 and the first two bees as class 2.
 */
export async function labelTwoOfEach(page: Page, perClass: number): Promise<void> {
  await labelThumb(page, 0, '1', 'ants')
  await labelThumb(page, 1, '1', 'ants')
  await labelThumb(page, perClass, '2', 'bees')
  await labelThumb(page, perClass + 1, '2', 'bees')
}

/** Opens `folder` through the path field, from the picker or from an open project. */
export async function openFolder(page: Page, folder: string): Promise<void> {
  const another = page.getByRole('button', { name: 'Open another folder' })
  const field = page.getByLabel('Folder path')
  await expect(another.or(field)).toBeVisible()
  if (await another.isVisible()) await another.click()
  await field.fill(folder)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
}

/** Back to the start screen (the project picker) from wherever the shared server left the page. */
export async function toProjectPicker(page: Page): Promise<void> {
  const another = page.getByRole('button', { name: 'Open another folder' })
  const demo = page.getByRole('button', { name: 'Open the demo project' })
  await expect(another.or(demo)).toBeVisible()
  if (await another.isVisible()) await another.click()
  await expect(demo).toBeVisible()
}

/** Opens the demo project (300 Fashion-MNIST images) from the start screen. */
export async function openDemo(page: Page): Promise<void> {
  await toProjectPicker(page)
  await page.getByRole('button', { name: 'Open the demo project' }).click()
  await expect(page.getByTestId('image-count')).toHaveText('300 images')
}

/** Rows from the database of the project at `folder`, read beside the running web host (WAL lets a reader in). */
export function readDb<T>(folder: string, sql: string): T[] {
  const paths = new ProjectPaths(projectDataDir(process.env.STUDIO_E2E_DATA_DIR ?? '', folder))
  const db = new DatabaseSync(paths.database, { readOnly: true })
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
  }
}
