/**
 * Named reviewers on the web host, against a real server on loopback and a real project database:
 * one token and URL per reviewer, the name on every label event, undo and redo of one's own
 * actions only, review leases that are exclusive, refused to others and expiring, and a retried
 * decision (same Idempotency-Key) applied once, also after a restart.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { request } from 'node:http'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DatabaseSync } from '@photostructure/sqlite'
import { StudioApi } from '../../main/app/studio'
import { Project } from '../../main/engine/project/project'
import { projectOpenOptions } from '../../main/engine/project/locations'
import { LEASE_GRACE_MS, LEASE_TTL_MS } from '../../main/engine/store'
import { parseReviewersFile, ReviewerError, reviewersOf, type Reviewer } from '../../main/server/reviewers'
import { startWebHost, type WebHost } from '../../main/server/webhost'
import type { ImageInfo, LabelEvent, LabelResult } from '../../preload/contract'
import { proposalsProject } from './proposals-fixture'

let tmp: string
let folder: string
let appData: string
let staticDir: string
let api: StudioApi
let web: WebHost
let reviewers: Reviewer[]
let classes: number[]

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

const portOf = () => (web.server.address() as { port: number }).port

function send(method: string, urlPath: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: portOf(), method, path: urlPath, headers: { Host: `127.0.0.1:${portOf()}`, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

const tokenOf = (name: string) => (reviewers.find((r) => r.name === name) as Reviewer).token

/** One request as `name` (a reviewer, or a raw token); `key` is sent as the Idempotency-Key. */
async function callAs(name: string, method: string, input: unknown, key?: string): Promise<{ status: number; ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  const token = reviewers.some((r) => r.name === name) ? tokenOf(name) : name
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) }
  const a = await send('POST', `/api/call/${method}`, headers, JSON.stringify(input))
  return { status: a.status, ...(JSON.parse(a.body) as { ok: boolean }) }
}

async function valueAs<T>(name: string, method: string, input: unknown, key?: string): Promise<T> {
  const r = await callAs(name, method, input, key)
  if (!r.ok) throw new Error(`${method} as ${name}: ${r.status} ${r.error?.message}`)
  return r.value as T
}

const take = (name: string, count: number) => valueAs<ImageInfo[]>(name, 'review.take', { count })
const historyOf = (imageId: number) => valueAs<LabelEvent[]>('alice', 'images.history', { imageId })
const statusOf = async (imageId: number) => (await valueAs<ImageInfo[]>('alice', 'images.byIds', { imageIds: [imageId] }))[0]?.status

/** Reads (or writes) the project database beside the studio, through a second connection. */
function withDb<T>(fn: (db: InstanceType<typeof DatabaseSync>) => T): T {
  const dataDir = api.info().project?.dataDir as string
  const db = new DatabaseSync(path.join(dataDir, 'project.db'))
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

async function startStudio(): Promise<void> {
  api = new StudioApi({ host: 'web', appDataDir: appData })
  const opened = await api.handle('project.open', { folder })
  expect(opened.ok).toBe(true)
  web = await startWebHost({ api, staticDir, port: 0, reviewers })
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'studio-reviewers-'))
  folder = path.join(tmp, 'project')
  appData = path.join(tmp, 'appdata')
  await mkdir(appData, { recursive: true })
  // No teacher pass: these tests are about deciding, and the proposals are written directly.
  await writeFile(path.join(appData, 'settings.json'), JSON.stringify({ teacher: 'no-teacher-in-these-tests' }))
  staticDir = path.join(tmp, 'static')
  await mkdir(staticDir)
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>')
  ;({ classes } = await proposalsProject(folder, appData, 40))
  reviewers = reviewersOf([
    { name: 'alice', where: 'test' },
    { name: 'bob', where: 'test' },
  ])
  await startStudio()
})

afterAll(async () => {
  await web?.close()
  await api?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('reviewers file and names', () => {
  it('reads one name per line (an optional token last) or a JSON list, keeps given tokens and makes the others', () => {
    const fixed = 'A'.repeat(24)
    const lines = parseReviewersFile(`# the team\nalice\n\nMary Ann ${fixed}\n`, 'team.txt')
    expect(lines.map((r) => r.name)).toEqual(['alice', 'Mary Ann'])
    expect(lines[1]?.token).toBe(fixed)
    expect(lines[0]?.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    const json = parseReviewersFile(JSON.stringify(['alice', { name: 'bob', token: fixed }]), 'team.json')
    expect(json.map((r) => [r.name, r.token === fixed])).toEqual([
      ['alice', false],
      ['bob', true],
    ])
    // Random tokens differ at every start.
    expect(parseReviewersFile('alice', 'f')[0]?.token).not.toBe(parseReviewersFile('alice', 'f')[0]?.token)
  })

  it('refuses an empty name, a name twice (any case), a reserved name, a short token and a file without names, saying where', () => {
    const refused = (text: string) => {
      try {
        parseReviewersFile(text, 'team.txt')
      } catch (err) {
        expect(err).toBeInstanceOf(ReviewerError)
        return (err as Error).message
      }
      throw new Error(`accepted: ${text}`)
    }
    expect(refused('["alice", ""]')).toMatch(/entry 2: a reviewer needs a name/)
    expect(refused('alice\nbob\nAlice')).toMatch(/line 3: reviewer "Alice" is named twice \(also team.txt: line 1\)/)
    expect(refused('user')).toMatch(/line 1: "user" is a name the studio uses itself/)
    expect(refused('["bob", {"name": "eve", "token": "short"}]')).toMatch(/entry 2: a reviewer's token must be 20 to 200 characters/)
    expect(refused('# nobody\n\n')).toMatch(/names no reviewer/)
    expect(refused('<script>')).toMatch(/reviewer name "<script>" must be/)
  })
})

describe('serve refuses bad reviewers before it starts (exit 2, saying why)', () => {
  it('a reserved name, a name twice across the file and the flags, a missing file, a flag without a name', async () => {
    const { run } = await import('../../main/cli/serve')
    const file = path.join(tmp, 'team.txt')
    await writeFile(file, 'alice\n')
    const errors: string[] = []
    const error = console.error
    console.error = (msg: unknown) => void errors.push(String(msg))
    try {
      expect(await run([folder, '--reviewer', 'user'])).toBe(2)
      expect(await run([folder, '--reviewers', file, '--reviewer', 'ALICE'])).toBe(2)
      expect(await run([folder, '--reviewers', path.join(tmp, 'nobody.txt')])).toBe(2)
      expect(await run([folder, '--reviewer'])).toBe(2)
    } finally {
      console.error = error
    }
    expect(errors[0]).toMatch(/"user" is a name the studio uses itself/)
    expect(errors[1]).toMatch(/reviewer "ALICE" is named twice/)
    expect(errors[2]).toMatch(/cannot read the reviewers file .*nobody\.txt/)
    expect(errors[3]).toMatch(/--reviewer needs a name/)
  })
})

describe('one token and URL per reviewer', () => {
  it('gives each reviewer their own URL; each token is that reviewer, another token is refused', async () => {
    expect(web.urls.map((u) => u.reviewer)).toEqual(['alice', 'bob'])
    expect(web.urls[0]?.url).toContain(`?token=${tokenOf('alice')}`)
    expect(web.urls[1]?.url).toContain(`?token=${tokenOf('bob')}`)
    expect(tokenOf('alice')).not.toBe(tokenOf('bob'))
    expect((await valueAs<{ reviewer: string | null }>('alice', 'app.info', {})).reviewer).toBe('alice')
    expect((await valueAs<{ reviewer: string | null }>('bob', 'app.info', {})).reviewer).toBe('bob')
    expect((await callAs('not-a-token-of-anyone-here', 'app.info', {})).status).toBe(401)
  })

  it('trades the URL token for a cookie holding that reviewer’s token', async () => {
    const a = await send('GET', `/?token=${tokenOf('bob')}`, {})
    expect(a.status).toBe(303)
    expect(String(a.headers['set-cookie'])).toContain(`studio_token=${tokenOf('bob')};`)
    const page = await send('POST', '/api/call/app.info', { Cookie: `studio_token=${tokenOf('bob')}`, 'Content-Type': 'application/json' }, '{}')
    expect((JSON.parse(page.body) as { value: { reviewer: string } }).value.reviewer).toBe('bob')
    // Bob's URL opened in a browser that holds Alice's cookie makes it Bob's.
    const switched = await send('GET', `/?token=${tokenOf('bob')}`, { Cookie: `studio_token=${tokenOf('alice')}` })
    expect(String(switched.headers['set-cookie'])).toContain(`studio_token=${tokenOf('bob')};`)
  })
})

describe('decisions carry the reviewer; undo and redo are one’s own', () => {
  it('records the name on every label event', async () => {
    const [x] = await take('alice', 1)
    const [y] = await take('bob', 1)
    await valueAs('alice', 'labels.review', { imageIds: [x?.id], decision: 'accept' })
    await valueAs('bob', 'labels.relabel', { imageIds: [y?.id], classId: classes[2] })
    expect((await historyOf(x?.id as number)).at(-1)).toMatchObject({ actor: 'alice', state: 'accepted' })
    expect((await historyOf(y?.id as number)).at(-1)).toMatchObject({ actor: 'bob', state: 'relabelled' })
  })

  it('undoes only the caller’s actions, interleaved with another reviewer’s; each keeps their own redo', async () => {
    const [a1, a2] = await take('alice', 2)
    const [b1] = await take('bob', 1)
    await valueAs('alice', 'labels.review', { imageIds: [a1?.id], decision: 'accept' })
    await valueAs('bob', 'labels.review', { imageIds: [b1?.id], decision: 'reject' })
    // Alice's Backspace takes back her accept, not Bob's later reject.
    expect(await valueAs<LabelResult>('alice', 'labels.undo', {})).toEqual({ imageIds: [a1?.id] })
    expect(await statusOf(a1?.id as number)).toBe('proposed')
    expect(await statusOf(b1?.id as number)).toBe('rejected')
    // The undone proposal is back in Alice's hands: Bob cannot decide it.
    expect((await callAs('bob', 'labels.review', { imageIds: [a1?.id], decision: 'accept' })).status).toBe(409)
    // Bob undoes and then decides anew: that ends his redo stack, not Alice's.
    expect(await valueAs<LabelResult>('bob', 'labels.undo', {})).toEqual({ imageIds: [b1?.id] })
    await valueAs('bob', 'labels.review', { imageIds: [b1?.id], decision: 'accept' })
    expect(await valueAs<LabelResult | null>('bob', 'labels.redo', {})).toBeNull()
    expect(await valueAs<LabelResult>('alice', 'labels.redo', {})).toEqual({ imageIds: [a1?.id] })
    expect(await statusOf(a1?.id as number)).toBe('accepted')
    // Alice deciding anew ends her redo stack only.
    await valueAs('alice', 'labels.undo', {})
    await valueAs('bob', 'labels.undo', {})
    await valueAs('alice', 'labels.review', { imageIds: [a2?.id], decision: 'reject' })
    expect(await valueAs<LabelResult | null>('alice', 'labels.redo', {})).toBeNull()
    expect(await valueAs<LabelResult>('bob', 'labels.redo', {})).toEqual({ imageIds: [b1?.id] })
    const events = await historyOf(a1?.id as number)
    expect(events.every((e) => e.actor === 'alice' || e.state === 'proposed')).toBe(true)
  })
})

describe('review leases', () => {
  it('gives two reviewers disjoint proposals; asking again gives back one’s own first', async () => {
    const alice = (await take('alice', 4)).map((i) => i.id)
    const bob = (await take('bob', 4)).map((i) => i.id)
    expect(alice).toHaveLength(4)
    expect(bob).toHaveLength(4)
    expect(alice.filter((id) => bob.includes(id))).toEqual([])
    expect((await take('alice', 4)).map((i) => i.id).sort()).toEqual([...alice].sort())
    // Most confident first, as the queue shows them.
    const confidences = (await take('bob', 4)).map((i) => i.confidence as number)
    expect(confidences).toEqual([...confidences].sort((p, q) => q - p))
  })

  it('refuses a decision on a proposal another reviewer holds, with 409 naming them, and records nothing', async () => {
    const [held] = await take('alice', 1)
    const before = (await historyOf(held?.id as number)).length
    for (const [method, input] of [
      ['labels.review', { imageIds: [held?.id], decision: 'accept' }],
      ['labels.relabel', { imageIds: [held?.id], classId: classes[0] }],
      ['labels.set', { imageIds: [held?.id], classId: classes[1] }],
    ] as const) {
      const r = await callAs('bob', method, input)
      expect(r.status).toBe(409)
      expect(r.error?.code).toBe('conflict')
      expect(r.error?.message).toMatch(new RegExp(`image ${held?.id} is in alice's review queue`))
    }
    expect((await historyOf(held?.id as number)).length).toBe(before)
    // Its holder decides it; the lease is given back with the decision.
    await valueAs('alice', 'labels.review', { imageIds: [held?.id], decision: 'accept' })
    expect(withDb((db) => db.prepare('SELECT count(*) AS n FROM review_leases WHERE image_id = ?').get(held?.id))).toEqual({ n: 0 })
  })

  it('lets others take and decide a proposal once its lease has expired', async () => {
    const [held] = await take('alice', 1)
    withDb((db) => db.prepare("UPDATE review_leases SET expires_at = ? WHERE actor = 'alice'").run(Date.now() - 1))
    const bobs = (await take('bob', 40)).map((i) => i.id)
    expect(bobs).toContain(held?.id)
    await valueAs('bob', 'labels.review', { imageIds: [held?.id], decision: 'reject' })
    expect((await historyOf(held?.id as number)).at(-1)).toMatchObject({ actor: 'bob', state: 'rejected' })
    // Give the rest back for the tests after.
    withDb((db) => db.prepare('DELETE FROM review_leases').run())
  })

  it('keeps a reviewer’s leases while their page is open, and lets them go a grace period after it closes', async () => {
    const stream = request({ host: '127.0.0.1', port: portOf(), path: '/api/events', headers: { Host: `127.0.0.1:${portOf()}`, Authorization: `Bearer ${tokenOf('alice')}` } })
    await new Promise<void>((resolve, reject) => {
      stream.on('response', (res) => res.once('data', () => resolve()))
      stream.on('error', reject)
      stream.end()
    })
    const mine = (await take('alice', 3)).map((i) => i.id)
    const expiry = () => withDb((db) => db.prepare("SELECT max(expires_at) AS t FROM review_leases WHERE actor = 'alice'").get() as { t: number }).t
    expect(expiry()).toBeGreaterThan(Date.now() + LEASE_TTL_MS - 5_000)
    stream.destroy()
    const until = Date.now() + 5_000
    while (expiry() > Date.now() + LEASE_GRACE_MS && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(expiry()).toBeLessThanOrEqual(Date.now() + LEASE_GRACE_MS)
    expect(expiry()).toBeGreaterThan(Date.now())
    expect((await take('alice', 3)).map((i) => i.id).sort()).toEqual(mine.sort())
    withDb((db) => db.prepare('DELETE FROM review_leases').run())
  })

  it('gives back a reviewer’s proposals when their queue closes, though their page stays open', async () => {
    const mine = (await take('alice', 3)).map((i) => i.id)
    expect(await valueAs('alice', 'review.release', {})).toBeNull()
    // Her page is still open: its heartbeat must not revive what she gave back.
    api.reviewerPresent('alice')
    // Bob is handed them at once (most confident first: Alice's were the most confident free ones).
    expect((await take('bob', 3)).map((i) => i.id).sort()).toEqual([...mine].sort())
    withDb((db) => db.prepare('DELETE FROM review_leases').run())
  })

  it('accepting above a threshold leaves out a proposal another reviewer decides at that moment', async () => {
    const [top] = (await valueAs<{ images: ImageInfo[] }>('alice', 'images.page', { offset: 0, limit: 1, status: 'proposed', sort: 'confidence', descending: true })).images
    const alice = { actor: 'alice', reviewer: 'alice', requestId: null }
    const bob = { actor: 'bob', reviewer: 'bob', requestId: null }
    const [decided, accepted] = await Promise.all([
      api.handle('labels.review', { imageIds: [top?.id], decision: 'reject' }, bob),
      api.handle('proposals.acceptAbove', { threshold: top?.confidence as number }, alice),
    ])
    expect(decided).toMatchObject({ ok: true })
    expect(accepted).toMatchObject({ ok: true, value: { imageIds: [] } })
    expect((await historyOf(top?.id as number)).map((e) => e.actor)).toEqual(['round 1', 'bob'])
  })

  it('an undone bulk accept puts its proposals back for everyone, not in the hands of who undid it', async () => {
    const top = (await valueAs<{ images: ImageInfo[] }>('bob', 'images.page', { offset: 0, limit: 5, status: 'proposed', sort: 'confidence', descending: true })).images
    const accepted = await valueAs<LabelResult>('bob', 'proposals.acceptAbove', { threshold: top[4]?.confidence as number })
    expect(accepted.imageIds.length).toBeGreaterThanOrEqual(5)
    expect(await valueAs<LabelResult>('bob', 'labels.undo', {})).toEqual({ imageIds: expect.arrayContaining(accepted.imageIds) as unknown })
    expect(withDb((db) => db.prepare("SELECT count(*) AS n FROM review_leases WHERE actor = 'bob'").get())).toEqual({ n: 0 })
    expect((await take('alice', 5)).map((i) => i.id).sort()).toEqual(top.map((i) => i.id).sort())
    withDb((db) => db.prepare('DELETE FROM review_leases').run())
  })

  it('accepting above a threshold leaves out the proposals another reviewer takes at that moment, instead of refusing them all', async () => {
    // The four most confident proposals left: Bob takes the top two while Alice accepts all four.
    const top = (await valueAs<{ images: ImageInfo[] }>('alice', 'images.page', { offset: 0, limit: 4, status: 'proposed', sort: 'confidence', descending: true })).images
    const threshold = top[3]?.confidence as number
    const alice = { actor: 'alice', reviewer: 'alice', requestId: null }
    const bob = { actor: 'bob', reviewer: 'bob', requestId: null }
    const [taken, accepted] = await Promise.all([api.handle('review.take', { count: 2 }, bob), api.handle('proposals.acceptAbove', { threshold }, alice)])
    expect(accepted).toMatchObject({ ok: true })
    expect(taken).toMatchObject({ ok: true })
    const bobs = (taken as { value: ImageInfo[] }).value.map((i) => i.id)
    const alices = (accepted as { value: LabelResult }).value.imageIds
    expect(bobs).toHaveLength(2)
    expect(alices.length).toBeGreaterThanOrEqual(2)
    expect(alices.filter((id) => bobs.includes(id))).toEqual([])
    for (const id of bobs) expect(await statusOf(id)).toBe('proposed')
    for (const id of alices) expect(await statusOf(id)).toBe('accepted')
    withDb((db) => db.prepare('DELETE FROM review_leases').run())
  })

  it('a lease write that fails on the heartbeat or a closed page is said, not thrown (it would stop the server)', async () => {
    const root = path.join(tmp, 'broken')
    await proposalsProject(root, appData, 2)
    const studio = new StudioApi({ host: 'web', appDataDir: appData })
    expect((await studio.handle('project.open', { folder: root })).ok).toBe(true)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const db = (studio as unknown as { project: Project }).project.store.db
    db.exec('DROP TABLE review_leases')
    try {
      expect(() => studio.reviewerPresent('alice')).not.toThrow()
      expect(() => studio.reviewerLeft('alice')).not.toThrow()
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/could not renew alice's review leases: .*review_leases/), expect.stringMatching(/could not end alice's review leases/)])
    } finally {
      warn.mockRestore()
      await studio.close()
    }
  })

  it('expires by the clock in the store: a lease holds for its time, then anyone may take it', async () => {
    const root = path.join(tmp, 'clock')
    await proposalsProject(root, appData, 6)
    const p = await Project.open(root, projectOpenOptions(root, appData))
    try {
      const t0 = 1_000_000
      const a = p.store.leases.take('a', 3, null, t0, 1_000)
      const b = p.store.leases.take('b', 6, null, t0 + 500, 1_000)
      expect(a).toHaveLength(3)
      expect(b).toHaveLength(3)
      expect(b.filter((id) => a.includes(id))).toEqual([])
      expect(p.store.leases.heldByOthers('b', a, t0 + 999).map((h) => h.actor)).toEqual(['a', 'a', 'a'])
      expect(p.store.leases.heldByOthers('b', a, t0 + 1_000)).toEqual([])
      // b's own were renewed at t0 + 1200; a's are free by then.
      expect(p.store.leases.take('b', 6, null, t0 + 1_200, 1_000).sort()).toEqual([...a, ...b].sort())
    } finally {
      await p.close()
    }
  })
})

describe('decisions made at the same moment share one commit', () => {
  it('commits the calls of one turn; one that throws is rolled back alone, the others stand', async () => {
    const root = path.join(tmp, 'group')
    const { imageIds, classes: cls } = await proposalsProject(root, appData, 4)
    const p = await Project.open(root, projectOpenOptions(root, appData))
    try {
      const [a, b, c] = imageIds as [number, number, number]
      const results = await Promise.allSettled([
        p.store.groupCommit(() => p.store.labels.relabel([a], cls[1] as number, 'alice')),
        p.store.groupCommit(() => {
          p.store.labels.relabel([b], cls[1] as number, 'bob')
          throw new Error('refused after writing')
        }),
        p.store.groupCommit(() => p.store.labels.review([c], 'reject', 'carol')),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
      expect(p.store.images.get(a)?.status).toBe('human')
      expect(p.store.images.get(b)?.status).toBe('proposed')
      expect(p.store.images.get(c)?.status).toBe('rejected')
      expect(p.store.labels.history(b).map((e) => e.actor)).toEqual(['round 1'])
    } finally {
      await p.close()
    }
  })
})

describe('a retried decision is applied once', () => {
  const decisionsWithKey = (key: string) => withDb((db) => (db.prepare('SELECT count(*) AS n FROM actions WHERE request_id = ?').get(key) as { n: number }).n)

  it('answers a retry with the same Idempotency-Key as before and records one action', async () => {
    const [x] = await take('alice', 1)
    const first = await callAs('alice', 'labels.relabel', { imageIds: [x?.id], classId: classes[1] }, 'alice-1')
    const retry = await callAs('alice', 'labels.relabel', { imageIds: [x?.id], classId: classes[1] }, 'alice-1')
    expect(first).toMatchObject({ status: 200, ok: true, value: { imageIds: [x?.id] } })
    expect(retry).toEqual(first)
    expect(decisionsWithKey('alice-1')).toBe(1)
    expect((await historyOf(x?.id as number)).filter((e) => e.actor === 'alice').length).toBe(1)
    // The key is per reviewer: Bob's request with the same key is his own.
    const [y] = await take('bob', 1)
    await valueAs('bob', 'labels.review', { imageIds: [y?.id], decision: 'accept' }, 'alice-1')
    expect(decisionsWithKey('alice-1')).toBe(2)
  })

  it('refuses a malformed key with 400', async () => {
    expect((await callAs('alice', 'app.info', {}, 'has spaces in it')).status).toBe(400)
  })

  it('recognises the retry after the studio was stopped and started again', async () => {
    const [x] = await take('alice', 1)
    await valueAs('alice', 'labels.review', { imageIds: [x?.id], decision: 'reject' }, 'alice-restart')
    await web.close()
    await api.close()
    await startStudio()
    // The answer was "lost": the client asks again with the same key after the restart.
    const again = await callAs('alice', 'labels.review', { imageIds: [x?.id], decision: 'reject' }, 'alice-restart')
    expect(again).toMatchObject({ status: 200, ok: true })
    expect(decisionsWithKey('alice-restart')).toBe(1)
    expect((await historyOf(x?.id as number)).filter((e) => e.actor === 'alice').length).toBe(1)
  })
})
