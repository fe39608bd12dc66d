/**
 * Two named reviewers on one server (`serve --reviewer alice --reviewer bob`), each in their own
 * browser: each sees whom they review as, their review queues hold different proposals (leases),
 * and a decision is recorded under the name of who made it; Backspace takes back only one's own.
 */
import { chromium, type Browser, type Page } from '@playwright/test'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { LabelEvent } from '../../preload/contract'
import { ARTIFACTS, expect, test } from '../fixtures'
import { CHROMIUM, CHROMIUM_ARGS, startStudioServer, type StudioServer } from '../host'
import { proposalsProject } from '../../test/server/proposals-fixture'

async function pageAs(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 } })
  const page = await context.newPage()
  await page.goto(url)
  return page
}

/** What the page's own session may ask (its cookie is the reviewer's token). */
async function call<T>(page: Page, name: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ([n, i]) => {
      const res = await fetch(`/api/call/${n}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(i) })
      const body = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } }
      if (!body.ok) throw new Error(body.error?.message)
      return body.value
    },
    [name, input] as const,
  ) as Promise<T>
}

async function openQueue(page: Page): Promise<{ progress: ReturnType<Page['getByTestId']>; image: () => Promise<string> }> {
  await page.getByTestId('review-button').click()
  const review = page.getByRole('dialog', { name: 'Review proposals' })
  return { progress: review.getByTestId('review-progress'), image: async () => (await review.getByTestId('review-image').getAttribute('alt')) ?? '' }
}

test('two named reviewers: own name, different proposals, decisions and undo under their names', async ({}, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'named reviewers are a web host feature')
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-reviewers-'))
  const folder = path.join(tmp, 'pool')
  const dataDir = path.join(tmp, 'data')
  let server: StudioServer | null = null
  let browser: Browser | null = null
  try {
    process.env.STUDIO_DATA_DIR = dataDir
    await proposalsProject(folder, dataDir, 60)
    server = await startStudioServer({ dataDir, folder, args: ['--reviewer', 'alice', '--reviewer', 'bob'] })
    expect(Object.keys(server.reviewers)).toEqual(['alice', 'bob'])
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    const alice = await pageAs(browser, server.reviewers.alice as string)
    const bob = await pageAs(browser, server.reviewers.bob as string)
    await expect(alice.getByTestId('reviewer-name')).toHaveText('Reviewing as alice')
    await expect(bob.getByTestId('reviewer-name')).toHaveText('Reviewing as bob')

    // Each queue holds a batch of its own: the two never show the same proposal.
    const a = await openQueue(alice)
    const b = await openQueue(bob)
    await expect(a.progress).toHaveText('1 of 25')
    await expect(b.progress).toHaveText('1 of 25')
    const aliceFirst = await a.image()
    expect(await b.image()).not.toBe(aliceFirst)

    // Alice accepts, Bob rejects; Alice's Backspace takes back her accept only.
    await alice.keyboard.press('a')
    await expect(a.progress).toHaveText('2 of 25')
    const bobFirst = await b.image()
    await bob.keyboard.press('x')
    await expect(b.progress).toHaveText('2 of 25')
    const historyOf = async (page: Page, relPath: string) => {
      const all = await call<{ images: { id: number; relPath: string }[] }>(page, 'images.page', { offset: 0, limit: 100, status: 'all', sort: 'name', descending: false })
      const image = all.images.find((i) => i.relPath === relPath)
      if (!image) throw new Error(`no image ${relPath}`)
      return call<LabelEvent[]>(page, 'images.history', { imageId: image.id })
    }
    await expect.poll(async () => (await historyOf(alice, aliceFirst)).at(-1)?.actor).toBe('alice')
    await expect.poll(async () => (await historyOf(bob, bobFirst)).at(-1)).toMatchObject({ actor: 'bob', state: 'rejected' })
    await alice.keyboard.press('Backspace')
    await expect.poll(async () => (await historyOf(alice, aliceFirst)).at(-1)?.undone).toBe(true)
    expect((await historyOf(bob, bobFirst)).at(-1)).toMatchObject({ actor: 'bob', state: 'rejected', undone: false })

    // Alice decides again; with two people deciding, the Rounds panel counts each one's decisions.
    const before = await a.progress.textContent()
    await alice.keyboard.press('a')
    await expect(a.progress).not.toHaveText(before ?? '')
    await alice.keyboard.press('Escape')
    // Cells: reviewer, seed, accepted, rejected, corrected.
    const table = alice.getByTestId('reviewer-table')
    await expect(table.getByRole('row', { name: /alice/ }).getByRole('cell')).toHaveText(['alice', '0', '1', '0', '0'])
    await expect(table.getByRole('row', { name: /bob/ }).getByRole('cell')).toHaveText(['bob', '0', '0', '1', '0'])
    await table.scrollIntoViewIfNeeded()
    await alice.screenshot({ path: path.join(ARTIFACTS, 'reviewers-web.png') })
    // Her queue closed, the proposals she held are free again though her page is open: Bob can take every one left.
    const waiting = (await call<{ total: number }>(alice, 'images.page', { offset: 0, limit: 1, status: 'proposed' })).total
    await expect.poll(async () => (await call<unknown[]>(bob, 'review.take', { count: 60 })).length).toBe(waiting)
  } finally {
    await browser?.close()
    await server?.stop()
    delete process.env.STUDIO_DATA_DIR
    await rm(tmp, { recursive: true, force: true })
  }
})
