/**
 * The web host's security rules, against a real server on loopback, a real folder with real images,
 * a file outside the folder that must never be served, and symbolic links pointing out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { StudioApi } from '../../main/app/studio'
import { MAX_BODY_BYTES, startWebHost, type WebHost } from '../../main/server/webhost'
import { resolveInside } from '../../main/engine/library/safe-path'

const SECRET = 'top-secret-bytes-outside-the-project'

let tmp: string
let project: string
let web: WebHost
let api: StudioApi
let port: number

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

function send(method: string, urlPath: string, options: { headers?: Record<string, string>; body?: string | Buffer; auth?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, ...options.headers }
  if (options.auth !== false && !headers.Authorization && !headers.Cookie) headers.Authorization = `Bearer ${web.token}`
  return new Promise((resolve, reject) => {
    // A raw request, not fetch: the tests need to send Host headers and paths as an attacker would.
    const req = request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })
}

const call = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  send('POST', `/api/call/${name}`, { headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })

const jsonOf = (a: Answer) => JSON.parse(a.body.toString()) as { ok: boolean; error?: { code: string; message: string }; value?: unknown }

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'studio-webhost-'))
  project = path.join(tmp, 'project')
  await mkdir(path.join(project, 'cats'), { recursive: true })
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c33' } }).jpeg().toFile(path.join(project, 'cats/a.jpg'))
  await sharp({ create: { width: 20, height: 20, channels: 3, background: '#3c3' } }).png().toFile(path.join(project, 'b.png'))
  // Outside the project: a secret file and an image, both reachable only through links or `..`.
  await writeFile(path.join(tmp, 'secret.txt'), SECRET)
  await sharp({ create: { width: 10, height: 10, channels: 3, background: '#33c' } }).jpeg().toFile(path.join(tmp, 'outside.jpg'))
  await symlink(path.join(tmp, 'outside.jpg'), path.join(project, 'link-out.jpg'))
  await symlink(tmp, path.join(project, 'dir-out'))
  api = new StudioApi({ host: 'web', appDataDir: path.join(tmp, 'appdata') })
  const opened = await api.handle('project.open', { folder: project })
  expect(opened.ok).toBe(true)
  const staticDir = path.join(tmp, 'static')
  await mkdir(staticDir)
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>')
  web = await startWebHost({ api, staticDir, port: 0 })
  port = web.server.address() && typeof web.server.address() === 'object' ? (web.server.address() as { port: number }).port : 0
})

afterAll(async () => {
  await web?.close()
  await api?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('token', () => {
  it('refuses requests without a token with 401 and a message', async () => {
    for (const [method, p] of [['GET', '/'], ['GET', '/media/thumb/b.png'], ['POST', '/api/call/app.info'], ['GET', '/api/events']] as const) {
      const a = await send(method, p, { auth: false, headers: { 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined })
      expect(a.status, `${method} ${p}`).toBe(401)
      expect(jsonOf(a).error?.message).toMatch(/token/)
    }
  })

  it('refuses a wrong token, in every place a token can come', async () => {
    expect((await send('GET', '/', { headers: { Authorization: 'Bearer nope' } })).status).toBe(401)
    expect((await send('GET', '/', { headers: { Cookie: 'studio_token=nope' } })).status).toBe(401)
    expect((await send('GET', '/?token=nope', { auth: false })).status).toBe(401)
    // Same length as the real one, one character off.
    const near = web.token.slice(0, -1) + (web.token.endsWith('a') ? 'b' : 'a')
    expect((await send('GET', '/', { headers: { Authorization: `Bearer ${near}` } })).status).toBe(401)
  })

  it('trades the URL token for an HttpOnly cookie, which then works alone', async () => {
    const first = await send('GET', `/?token=${web.token}`, { auth: false })
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe('/')
    const cookie = String(first.headers['set-cookie'])
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const page = await send('GET', '/', { headers: { Cookie: cookie.split(';')[0] as string } })
    expect(page.status).toBe(200)
    expect(page.body.toString()).toContain('<title>studio</title>')
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/)
  })
})

describe('Host and Origin', () => {
  it('refuses a Host that is not this server (DNS rebinding)', async () => {
    const a = await send('GET', '/', { headers: { Host: `evil.example:${port}` } })
    expect(a.status).toBe(421)
    expect(jsonOf(a).error?.message).toMatch(/Host/)
  })

  it('accepts localhost names for this port', async () => {
    expect((await send('GET', '/', { headers: { Host: `localhost:${port}` } })).status).toBe(200)
  })

  it('refuses a cross-origin request even with the token', async () => {
    const a = await call('app.info', {}, { Origin: 'http://evil.example' })
    expect(a.status).toBe(403)
    const same = await call('app.info', {}, { Origin: `http://127.0.0.1:${port}` })
    expect(same.status).toBe(200)
  })
})

describe('files outside the project folder', () => {
  const refused = async (p: string) => {
    const a = await send('GET', p)
    expect([400, 403, 404], `${p} -> ${a.status}`).toContain(a.status)
    expect(a.body.toString()).not.toContain(SECRET)
    expect(a.headers['content-type']).not.toMatch(/^image\//)
    return a.status
  }

  it('serves the project images', async () => {
    const thumb = await send('GET', '/media/thumb/cats/a.jpg')
    expect(thumb.status).toBe(200)
    expect(thumb.headers['content-type']).toBe('image/webp')
    expect((await sharp(thumb.body).metadata()).format).toBe('webp')
    const original = await send('GET', '/media/original/b.png')
    expect(original.status).toBe(200)
    expect(original.headers['content-type']).toBe('image/png')
  })

  it('refuses .. in any encoding', async () => {
    expect(await refused('/media/original/..%2fsecret.txt')).toBe(403)
    expect(await refused('/media/original/..%2F..%2Fsecret.txt')).toBe(403)
    expect(await refused('/media/original/cats/..%2f..%2fsecret.txt')).toBe(403)
    expect(await refused('/media/original/%2e%2e/secret.txt')).toBe(403)
    expect(await refused('/media/original/../secret.txt')).toBe(403)
    await refused('/media/thumb/..%2foutside.jpg')
    await refused('/..%2f..%2fsecret.txt')
    await refused('/..%2fproject%2fb.png')
  })

  it('refuses absolute paths', async () => {
    expect(await refused(`/media/original/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`)).toBe(403)
    expect(await refused('/media/original/%2Fetc%2Fpasswd')).toBe(403)
    await refused('/media/original//etc/passwd')
  })

  it('refuses symbolic links that point out of the folder', async () => {
    expect(await refused('/media/original/link-out.jpg')).toBe(403)
    expect(await refused('/media/thumb/link-out.jpg')).toBe(403)
    expect(await refused('/media/original/dir-out/secret.txt')).toBe(403)
    expect(await refused('/media/original/dir-out/outside.jpg')).toBe(403)
  })

  it('refuses files inside the folder that are not project images', async () => {
    await writeFile(path.join(project, 'notes.txt'), 'not an image')
    expect(await refused('/media/original/notes.txt')).toBe(404)
  })

  it('resolveInside itself refuses each escape (the check both transports share)', async () => {
    await expect(resolveInside(project, '../secret.txt')).rejects.toThrow(/not allowed/)
    await expect(resolveInside(project, path.join(tmp, 'secret.txt'))).rejects.toThrow(/absolute/)
    await expect(resolveInside(project, 'link-out.jpg')).rejects.toThrow(/outside the project folder/)
    await expect(resolveInside(project, 'dir-out/secret.txt')).rejects.toThrow(/outside the project folder/)
    await expect(resolveInside(project, 'cats\\..\\..\\secret.txt')).rejects.toThrow(/backslash/)
    await expect(resolveInside(project, 'b.png\0.jpg')).rejects.toThrow(/NUL/)
    await expect(resolveInside(project, 'cats/a.jpg')).resolves.toMatch(/cats[/\\]a\.jpg$/)
  })
})

describe('request bodies', () => {
  it('gives 400 with the field named for a body that breaks the schema', async () => {
    const a = await call('images.page', { offset: -1, limit: 10 })
    expect(a.status).toBe(400)
    expect(jsonOf(a).error?.message).toMatch(/offset/)
    const extra = await call('images.page', { offset: 0, limit: 10, evil: true })
    expect(extra.status).toBe(400)
    const wrongType = await call('project.open', { folder: 42 })
    expect(wrongType.status).toBe(400)
    expect(jsonOf(wrongType).error?.message).toMatch(/folder/)
  })

  it('gives 400 for malformed JSON and for an unknown request', async () => {
    const a = await call('images.page', '{"offset": 0, ')
    expect(a.status).toBe(400)
    expect(jsonOf(a).error?.message).toMatch(/not valid JSON/)
    const unknown = await call('fs.readFile', { path: '/etc/passwd' })
    expect(unknown.status).toBe(400)
    expect(jsonOf(unknown).error?.message).toMatch(/unknown request/)
  })

  it('refuses an oversized body with 413 and a message, without reading it all', async () => {
    const a = await call('project.open', JSON.stringify({ folder: 'x'.repeat(MAX_BODY_BYTES + 10) }))
    expect(a.status).toBe(413)
    expect(jsonOf(a).error?.message).toMatch(/limit/)
  })

  it('accepts a valid request and answers with the contract result', async () => {
    const a = await call('images.page', { offset: 0, limit: 10 })
    expect(a.status).toBe(200)
    const page = jsonOf(a).value as { total: number; images: { relPath: string }[] }
    // The link pointing outside is not listed; only the two real images are.
    expect(page.images.map((i) => i.relPath)).toEqual(['b.png', 'cats/a.jpg'])
    expect(page.total).toBe(2)
  })
})
