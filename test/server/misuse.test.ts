/**
 * The web host under misuse, against real servers on loopback: folders and files named outside
 * --root (directly, through `..` and through symbolic links), Host headers when bound to a wildcard
 * address with --public-host, a flood of wrong tokens from one address, too many event streams on
 * one token, and HTTPS with a certificate made here by the openssl CLI.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { StudioApi } from '../../main/app/studio'
import { FailedTokenLimiter, hostAllowed, StreamSlots } from '../../main/server/guards'
import { loadTls } from '../../main/server/tls'
import { startWebHost, type WebHost, type WebHostOptions } from '../../main/server/webhost'
import { run as serve } from '../../main/cli/serve'

interface Answer {
  status: number
  headers: IncomingMessage['headers']
  body: string
}

let tmp: string
let staticDir: string
const hosts: { web: WebHost; api: StudioApi }[] = []

async function host(opts: Partial<WebHostOptions> & { root?: string | null } = {}): Promise<{ web: WebHost; api: StudioApi; port: number }> {
  const { root, ...rest } = opts
  const api = new StudioApi({ host: 'web', appDataDir: path.join(tmp, 'appdata'), ...(root !== undefined ? { root } : {}) })
  const web = await startWebHost({ api, staticDir, port: 0, ...rest })
  hosts.push({ web, api })
  return { web, api, port: (web.server.address() as { port: number }).port }
}

/** A raw request (an attacker's: any Host, any source address on loopback). */
function send(
  port: number,
  method: string,
  urlPath: string,
  o: { token?: string; host?: string; from?: string; body?: unknown; connectTo?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { Host: o.host ?? `127.0.0.1:${port}` }
  if (o.token !== undefined) headers.Authorization = `Bearer ${o.token}`
  if (o.body !== undefined) headers['Content-Type'] = 'application/json'
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: o.connectTo ?? '127.0.0.1', port, method, path: urlPath, headers, ...(o.from ? { localAddress: o.from } : {}) }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    if (o.body !== undefined) req.write(JSON.stringify(o.body))
    req.end()
  })
}

const call = (port: number, token: string, name: string, body: unknown) => send(port, 'POST', `/api/call/${name}`, { token, body })
const errorOf = (a: Answer) => (JSON.parse(a.body) as { error?: { code: string; message: string } }).error

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'studio-misuse-')))
  staticDir = path.join(tmp, 'static')
  await mkdir(staticDir)
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>')
})

afterAll(async () => {
  for (const h of hosts) {
    await h.web.close()
    await h.api.close()
  }
  await rm(tmp, { recursive: true, force: true })
})

describe('--root: a browser opens and names only what lies inside the root', () => {
  let root: string
  let outside: string
  let port: number
  let token: string

  beforeAll(async () => {
    root = path.join(tmp, 'root')
    outside = path.join(tmp, 'elsewhere')
    for (const dir of [path.join(root, 'inside'), outside]) {
      await mkdir(dir, { recursive: true })
      await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c33' } }).png().toFile(path.join(dir, 'a.png'))
    }
    await writeFile(path.join(outside, 'model.onnx'), 'not read')
    await symlink(outside, path.join(root, 'link-out'))
    // A folder opened earlier by the desktop app (no root) is in the shared recent list.
    const desktop = new StudioApi({ host: 'electron', appDataDir: path.join(tmp, 'appdata') })
    expect((await desktop.handle('project.open', { folder: outside })).ok).toBe(true)
    await desktop.close()
    const h = await host({ root })
    port = h.port
    token = h.web.token
  })

  it('opens a folder inside the root, by absolute or relative path', async () => {
    const a = await call(port, token, 'project.open', { folder: path.join(root, 'inside') })
    expect(a.status).toBe(200)
    expect(await call(port, token, 'project.open', { folder: 'inside' }).then((r) => r.status)).toBe(200)
  })

  it('refuses a folder outside the root, directly, through `..` and through a symbolic link', async () => {
    for (const folder of [outside, path.join(root, '..', 'elsewhere'), '../elsewhere', path.join(root, 'link-out'), '/']) {
      const a = await call(port, token, 'project.open', { folder })
      expect(a.status, folder).toBe(403)
      expect(errorOf(a)?.message, folder).toMatch(/outside .*--root/)
    }
    const again = await call(port, token, 'project.startAfresh', { folder: path.join(root, 'link-out') })
    expect(again.status).toBe(403)
  })

  it('says "not found" only inside the root: outside, a missing folder is refused like any other', async () => {
    const missingInside = await call(port, token, 'project.open', { folder: path.join(root, 'nope') })
    expect(missingInside.status).toBe(404)
    expect(errorOf(missingInside)?.message).toMatch(/folder not found/)
    expect((await call(port, token, 'project.open', { folder: path.join(tmp, 'nope') })).status).toBe(403)
  })

  it('refuses teacher files outside the root', async () => {
    for (const [name, body] of [
      ['models.inspect', { path: path.join(outside, 'model.onnx') }],
      ['models.import', { path: path.join(root, 'link-out', 'model.onnx'), choices: {}, dryRun: true }],
      ['teachers.useFile', { id: 'mobilenetv2-12-int8', path: path.join(outside, 'model.onnx') }],
    ] as const) {
      const a = await call(port, token, name, body)
      expect(a.status, name).toBe(403)
      expect(errorOf(a)?.message, name).toMatch(/outside/)
    }
  })

  it('refuses label files and folders to import from outside the root', async () => {
    expect((await call(port, token, 'project.open', { folder: path.join(root, 'inside') })).status).toBe(200)
    await writeFile(path.join(outside, 'labels.csv'), 'path,class\na.png,red\n')
    for (const [format, source] of [
      ['csv', path.join(outside, 'labels.csv')],
      ['csv', path.join(root, 'link-out', 'labels.csv')],
      ['folders', outside],
    ] as const) {
      const a = await call(port, token, 'labels.import', { format, path: source, dryRun: true })
      expect(a.status, source).toBe(403)
      expect(errorOf(a)?.message, source).toMatch(/outside/)
    }
  })

  it('refuses a teacher setting that is a path to a manifest', async () => {
    const a = await call(port, token, 'settings.set', { teacher: '../../elsewhere/evil.json' })
    expect(a.status).toBe(403)
    expect(errorOf(a)?.message).toMatch(/teacher/)
  })

  it('lists only the recent projects inside the root', async () => {
    const a = await call(port, token, 'projects.recent', {})
    const folders = (JSON.parse(a.body) as { value: { folder: string }[] }).value.map((p) => p.folder)
    expect(folders).toContain(path.join(root, 'inside'))
    expect(folders).not.toContain(outside)
  })

  it('with neither a folder nor --root, a browser can open no folder, and is told how to allow one', async () => {
    const none = await host({ root: null })
    const a = await call(none.port, none.web.token, 'project.open', { folder: path.join(root, 'inside') })
    expect(a.status).toBe(403)
    expect(errorOf(a)?.message).toMatch(/--root/)
  })
})

describe('Host header with --public-host', () => {
  it('bound to 0.0.0.0 with public names: only those and loopback names pass', async () => {
    const { web, port } = await host({ host: '0.0.0.0', publicHosts: ['studio.lab.example', 'proxy.example:443'] })
    expect(web.url).toBe(`http://studio.lab.example:${port}/?token=${web.token}`)
    const status = (h: string) => send(port, 'GET', '/', { token: web.token, host: h }).then((a) => a.status)
    expect(await status(`studio.lab.example:${port}`)).toBe(200)
    expect(await status('STUDIO.lab.example')).toBe(200)
    expect(await status('proxy.example:443')).toBe(200)
    expect(await status(`127.0.0.1:${port}`)).toBe(200)
    expect(await status(`evil.example:${port}`)).toBe(421)
    expect(await status(`proxy.example:${port}`)).toBe(421)
    expect(await status(`studio.lab.example.evil.example:${port}`)).toBe(421)
  })

  it('bound to 0.0.0.0 without public names, the Host is not checked (the serve verb warns)', async () => {
    const { web, port } = await host({ host: '0.0.0.0' })
    expect((await send(port, 'GET', '/', { token: web.token, host: `evil.example:${port}` })).status).toBe(200)
  })

  it('bound to one address, a public name is accepted besides it', () => {
    const check = { bindHost: '192.168.1.5', port: 7878, publicHosts: ['ws.local'] }
    expect(hostAllowed('192.168.1.5:7878', check)).toBe(true)
    expect(hostAllowed('ws.local:7878', check)).toBe(true)
    expect(hostAllowed('ws.local:7879', check)).toBe(false)
    expect(hostAllowed('other.local:7878', check)).toBe(false)
  })
})

describe('failed token attempts are rate-limited per address', () => {
  it('answers 429 with Retry-After after N wrong tokens from one address, while another address with the good token is served', async () => {
    const { web, port } = await host({ failedTokenLimit: 3 })
    const attacker = '127.0.0.2'
    for (let i = 0; i < 3; i++) expect((await send(port, 'GET', '/', { token: `guess-${i}`, from: attacker })).status).toBe(401)
    const locked = await send(port, 'GET', '/', { token: 'guess-4', from: attacker })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(errorOf(locked)?.message).toMatch(/too many wrong tokens/)
    // Locked means locked: even the right token is not looked at, or guessing would go on.
    expect((await send(port, 'GET', '/', { token: web.token, from: attacker })).status).toBe(429)
    // Everyone else is served; their good requests never count.
    for (let i = 0; i < 10; i++) expect((await send(port, 'GET', '/', { token: web.token, from: '127.0.0.1' })).status).toBe(200)
  })

  it('forgets failures once they leave the window, and remembers a bounded number of addresses', () => {
    const limiter = new FailedTokenLimiter(2, 60_000, 100)
    limiter.fail('a', 0)
    limiter.fail('a', 1_000)
    expect(limiter.retryAfter('a', 2_000)).toBe(58)
    expect(limiter.retryAfter('a', 60_001)).toBe(null)
    for (let i = 0; i < 1000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, 100_000 + i)
    expect(limiter.size).toBeLessThanOrEqual(100)
    // The newest addresses are the ones kept.
    limiter.fail('10.0.3.231', 101_500)
    expect(limiter.retryAfter('10.0.3.231', 101_600)).not.toBe(null)
  })
})

describe('event streams per token', () => {
  function openStream(port: number, token: string): Promise<{ status: number; req: ClientRequest; body: () => string }> {
    return new Promise((resolve, reject) => {
      let body = ''
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/events', headers: { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${token}` } }, (res) => {
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('error', () => undefined)
        // The stream stays open: answer as soon as the status is known.
        resolve({ status: res.statusCode ?? 0, req, body: () => body })
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('refuses the stream past the cap with 429 and frees the slot when a stream closes', async () => {
    const { web, port } = await host({ streamsPerToken: 2 })
    const first = await openStream(port, web.token)
    const second = await openStream(port, web.token)
    expect([first.status, second.status]).toEqual([200, 200])
    const third = await openStream(port, web.token)
    expect(third.status).toBe(429)
    await vi.waitFor(() => expect(third.body()).toMatch(/2 open event streams/))
    first.req.destroy()
    await vi.waitFor(async () => {
      const next = await openStream(port, web.token)
      next.req.destroy()
      expect(next.status).toBe(200)
    })
    second.req.destroy()
  })

  it('counts slots per token', () => {
    const slots = new StreamSlots(1)
    expect(slots.take('alice')).toBe(true)
    expect(slots.take('alice')).toBe(false)
    expect(slots.take('bob')).toBe(true)
    slots.release('alice')
    expect(slots.take('alice')).toBe(true)
  })
})

describe('HTTPS with --tls-cert and --tls-key', () => {
  let cert: string
  let key: string

  beforeAll(() => {
    expect(existsSync('/usr/bin/openssl') || existsSync('/bin/openssl'), 'the openssl CLI makes the test certificate').toBe(true)
    cert = path.join(tmp, 'cert.pem')
    key = path.join(tmp, 'key.pem')
    const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', ...subject], { stdio: 'ignore' })
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(tmp, 'other-key.pem'), '-out', path.join(tmp, 'other-cert.pem'), '-days', '2', ...subject], { stdio: 'ignore' })
  })

  it('serves the studio over HTTPS: a Secure cookie, requests answered, the URL printed with https://', async () => {
    const { web, port } = await host({ tls: await loadTls(cert, key) })
    expect(web.url.startsWith(`https://127.0.0.1:${port}/?token=`)).toBe(true)
    const ca = await readFile(cert)
    const get = (p: string, headers: Record<string, string>) =>
      new Promise<Answer>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: p, ca, servername: 'localhost', headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        })
        req.on('error', reject)
        req.end()
      })
    const first = await get(`/?token=${web.token}`, {})
    expect(first.status).toBe(303)
    expect(String(first.headers['set-cookie'])).toMatch(/Secure/)
    const page = await get('/', { Cookie: String(first.headers['set-cookie']).split(';')[0] as string })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>studio</title>')
    // Plain HTTP to the HTTPS port gets no studio.
    const plain = await send(port, 'GET', '/', { token: web.token }).catch((err: Error) => err)
    expect(plain instanceof Error || plain.status === 400).toBe(true)
  })

  it('names the file that is missing, not PEM, or not the key of the certificate', async () => {
    await expect(loadTls(path.join(tmp, 'missing.pem'), key)).rejects.toThrow(/certificate .*missing\.pem: no such file/)
    await expect(loadTls(cert, path.join(staticDir, 'index.html'))).rejects.toThrow(/key .*index\.html is not an unencrypted PEM private key/)
    await expect(loadTls(key, key)).rejects.toThrow(/certificate .*key\.pem is not a PEM certificate/)
    await expect(loadTls(cert, path.join(tmp, 'other-key.pem'))).rejects.toThrow(/other-key\.pem does not belong to the certificate .*cert\.pem/)
  })

  it('serve exits with 2 naming the file, and refuses half a pair or a bad public name', async () => {
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m))
    try {
      expect(await serve(['--tls-cert', path.join(tmp, 'missing.pem'), '--tls-key', key, '--port', '0'])).toBe(2)
      expect(errors.pop()).toMatch(/missing\.pem/)
      expect(await serve(['--tls-cert', cert, '--port', '0'])).toBe(2)
      expect(errors.pop()).toMatch(/go together/)
      expect(await serve(['--public-host', 'evil example', '--port', '0'])).toBe(2)
      expect(errors.pop()).toMatch(/--public-host "evil example"/)
      expect(await serve([path.join(tmp, 'no-such-folder'), '--port', '0'])).toBe(2)
      expect(errors.pop()).toMatch(/no-such-folder is not a folder/)
      // The folder served must itself lie inside --root.
      expect(await serve([tmp, '--root', staticDir, '--port', '0'])).toBe(2)
      expect(errors.pop()).toMatch(/cannot open .*: .* is outside .*static/)
    } finally {
      spy.mockRestore()
    }
  })

  it('serve opens a folder given relative to the working directory, as every verb takes it', async () => {
    const folder = path.join(tmp, 'relative-photos')
    await mkdir(folder)
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3c3' } }).png().toFile(path.join(folder, 'a.png'))
    const said: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((m: string) => void said.push(m))
    const error = vi.spyOn(console, 'error').mockImplementation((m: string) => void said.push(m))
    const dataDir = process.env.STUDIO_DATA_DIR
    process.env.STUDIO_DATA_DIR = path.join(tmp, 'relative-data')
    const before = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')])
    try {
      // Whether the renderer is built (the web host needs it) is not what this checks: the open comes first.
      const served = serve([path.relative(process.cwd(), folder), '--port', '0']).catch((err: Error) => err.message)
      await vi.waitFor(() => expect(said.join('\n')).toMatch(/opened|cannot open/))
      expect(said.join('\n')).toContain(`opened ${folder}: 1 images`)
      // Stop it as Ctrl+C does, through serve's own listener only (none comes when the renderer is not built).
      const added = () => process.listeners('SIGINT').filter((l) => !before.has(l))
      const listening = vi.waitFor(() => {
        if (added().length === 0) throw new Error('not listening yet')
      })
      if ((await Promise.race([served, listening])) !== undefined) expect(await served).toMatch(/renderer is not built/)
      else {
        for (const stop of added()) (stop as () => void)()
        expect(await served).toBe(0)
      }
    } finally {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) for (const l of process.listeners(signal)) if (!before.has(l)) process.off(signal, l)
      if (dataDir === undefined) delete process.env.STUDIO_DATA_DIR
      else process.env.STUDIO_DATA_DIR = dataDir
      log.mockRestore()
      error.mockRestore()
    }
  })
})
