/**
 * Downloads a user can trust, against a model server on 127.0.0.1 (no internet): whole and
 * verified, resumed after a cut with a Range request, corrupted bytes refused, a 404 named,
 * redirects followed, a slow server cancelled with its .part kept, HTTP_PROXY used, disk errors said.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { download, DownloadError, mirrored, proxyFor, type DownloadProgress } from '../../main/engine/teacher/download'
import { MODEL_SHA256, startModelServer, type ModelServer } from './model-server'

let server: ModelServer
let dir: string
/** No proxy from the machine's environment: each test says which it wants. */
const env: NodeJS.ProcessEnv = {}

beforeAll(async () => {
  server = await startModelServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'download-'))
  server.requests.length = 0
  return () => rm(dir, { recursive: true, force: true })
})

const opts = (name: string, extra: Partial<Parameters<typeof download>[0]> = {}) => ({
  url: `${server.base}/${name}`,
  dest: path.join(dir, 'model.onnx'),
  sha256: MODEL_SHA256,
  bytes: server.bytes.length,
  env,
  ...extra,
})

async function failure(p: Promise<unknown>): Promise<DownloadError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DownloadError)
  return err as DownloadError
}

describe('download', () => {
  it('downloads a whole file, verified, with progress (bytes, speed, ETA), and leaves no .part', async () => {
    const seen: DownloadProgress[] = []
    const r = await download(opts('slow.onnx?bps=4000000', { onProgress: (p) => seen.push(p) }))
    expect(r).toMatchObject({ sha256: MODEL_SHA256, bytes: server.bytes.length, resumed: false })
    expect((await readFile(r.path)).equals(server.bytes)).toBe(true)
    expect(existsSync(`${r.path}.part`)).toBe(false)
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.at(-1)?.done).toBe(server.bytes.length)
    expect(seen.every((p) => p.total === server.bytes.length)).toBe(true)
    expect(seen.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== null)).toBe(true)
  })

  it('resumes a download cut mid-file with a Range request for the remaining bytes', async () => {
    const cut = await failure(download(opts('cut.onnx')))
    expect(cut.kind).toBe('network')
    expect(cut.message).toMatch(/cut after \d+ bytes; run again to resume/)
    const part = path.join(dir, 'model.onnx.part')
    const kept = (await stat(part)).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(server.bytes.length)
    expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false)

    const r = await download(opts('cut.onnx'))
    expect(server.requests.map((q) => q.headers.range)).toEqual([undefined, `bytes=${kept}-`])
    expect(r).toMatchObject({ resumed: true, sha256: MODEL_SHA256, bytes: server.bytes.length })
    expect((await readFile(r.path)).equals(server.bytes)).toBe(true)
  })

  it('starts over when the server ignores the Range request (200, not 206)', async () => {
    await writeFile(path.join(dir, 'model.onnx.part'), server.bytes.subarray(0, 1000))
    const r = await download(opts('norange.onnx'))
    expect(server.requests[0]?.headers.range).toBe('bytes=1000-')
    expect(r.resumed).toBe(false)
    expect((await readFile(r.path)).equals(server.bytes)).toBe(true)
  })

  it('refuses corrupted bytes: the file is removed and the error names both hashes', async () => {
    const err = await failure(download(opts('corrupt.onnx')))
    expect(err.kind).toBe('checksum')
    expect(err.message).toContain(`expected ${MODEL_SHA256}`)
    expect(err.message).toMatch(/got [0-9a-f]{64}/)
    expect(err.message).toContain('removed')
    expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false)
    expect(existsSync(path.join(dir, 'model.onnx.part'))).toBe(false)
  })

  it('says which URL answered 404', async () => {
    const err = await failure(download(opts('nothing-here.onnx')))
    expect(err.kind).toBe('http')
    expect(err.message).toContain(`${server.base}/nothing-here.onnx`)
    expect(err.message).toContain('404')
  })

  it('follows redirects, and refuses too many', async () => {
    const r = await download(opts('redirect/2/model.onnx'))
    expect(r.sha256).toBe(MODEL_SHA256)
    expect(server.requests.map((q) => q.url)).toEqual(['/redirect/2/model.onnx', '/redirect/1/model.onnx', '/model.onnx'])
    const err = await failure(download(opts('redirect/3/model.onnx', { maxRedirects: 2 })))
    expect(err.kind).toBe('redirect')
  })

  it('cancels a slow download: the .part stays for a resume, no final file', async () => {
    const ac = new AbortController()
    const p = download(opts('slow.onnx?bps=300000', { signal: ac.signal, onProgress: (x) => x.done > 100_000 && ac.abort() }))
    const err = await failure(p)
    expect(err.kind).toBe('cancelled')
    expect((await stat(path.join(dir, 'model.onnx.part'))).size).toBeGreaterThan(100_000)
    expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false)
  })

  it('times out a server that stalls', async () => {
    const err = await failure(download(opts('stall.onnx', { stallMs: 300 })))
    expect(err.kind).toBe('timeout')
    expect(err.message).toMatch(/sent nothing for/)
  })

  it('goes through HTTP_PROXY for an http URL, and not for a NO_PROXY host', async () => {
    const seen: string[] = []
    // A forwarding proxy: records the absolute-form request line, fetches it, relays the answer.
    const proxy = http.createServer((req, res) => {
      seen.push(req.url ?? '')
      const up = http.request(req.url ?? '', { headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      up.end()
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const r = await download(opts('model.onnx', { env: { HTTP_PROXY: proxyUrl } }))
      expect(r.sha256).toBe(MODEL_SHA256)
      expect(seen).toEqual([`${server.base}/model.onnx`])
      expect(proxyFor(new URL(`${server.base}/x`), { HTTP_PROXY: proxyUrl, NO_PROXY: 'example.org,127.0.0.1' })).toBeNull()
      expect(proxyFor(new URL('https://huggingface.co/x'), { HTTPS_PROXY: proxyUrl, NO_PROXY: '.example.org' })?.href).toBe(`${proxyUrl}/`)
      expect(proxyFor(new URL('https://cdn.example.org/x'), { https_proxy: proxyUrl, no_proxy: '.example.org' })).toBeNull()
    } finally {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  it('goes through an HTTPS_PROXY with a CONNECT tunnel to an https server (a self-signed certificate made here)', { timeout: 15_000 }, async (ctx) => {
    let key: Buffer, cert: Buffer
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' })
      ;[key, cert] = await Promise.all([readFile(path.join(dir, 'key.pem')), readFile(path.join(dir, 'cert.pem'))])
    } catch {
      ctx.skip(true, 'openssl is not installed: no certificate to serve https with')
      return
    }
    const tlsServer = https.createServer({ key, cert }, (_req, res) => {
      res.writeHead(200, { 'Content-Length': server.bytes.length })
      res.end(server.bytes)
    })
    const tunnels: string[] = []
    const sockets: net.Socket[] = []
    // A CONNECT proxy: records the target, then relays bytes both ways without seeing inside TLS.
    const proxy = http.createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req, client: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '')
      const [host, port] = (req.url ?? '').split(':')
      const up = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        up.write(head)
        up.pipe(client)
        client.pipe(up)
      })
      sockets.push(client, up)
      up.on('error', () => client.destroy())
      client.on('error', () => up.destroy())
    })
    await Promise.all([new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r)), new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))])
    try {
      const target = `127.0.0.1:${(tlsServer.address() as AddressInfo).port}`
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const r = await download(opts('x', { url: `https://${target}/model.onnx`, env: { HTTPS_PROXY: proxyUrl }, ca: cert, stallMs: 3000 }))
      expect(r.sha256).toBe(MODEL_SHA256)
      expect(tunnels).toEqual([target])
      // Without the certificate trusted, the TLS check fails through the tunnel too.
      const err = await failure(download(opts('x', { url: `https://${target}/model.onnx`, dest: path.join(dir, 'other.onnx'), env: { HTTPS_PROXY: proxyUrl } })))
      expect(err.kind).toBe('network')
      expect(err.message).toMatch(/certificate/)
    } finally {
      // Tunnelled sockets left the proxy's HTTP bookkeeping when they were hijacked: closed by hand.
      for (const s of sockets) s.destroy()
      for (const s of [tlsServer, proxy]) s.closeAllConnections()
      await Promise.all([new Promise((r) => tlsServer.close(r)), new Promise((r) => proxy.close(r))])
    }
  })

  it('says the disk is full (ENOSPC: the .part is a link to /dev/full)', async () => {
    await symlink('/dev/full', path.join(dir, 'model.onnx.part'))
    const err = await failure(download(opts('model.onnx')))
    expect(err.kind).toBe('disk-full')
    expect(err.message).toMatch(/disk is full.*ENOSPC/)
    expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false)
  })

  it('says a folder cannot be written (its parent is a file, so even root cannot)', async () => {
    await writeFile(path.join(dir, 'a-file'), 'x')
    const err = await failure(download(opts('model.onnx', { dest: path.join(dir, 'a-file', 'models', 'model.onnx') })))
    expect(err.kind).toBe('unwritable')
    expect(err.message).toContain(path.join(dir, 'a-file', 'models', 'model.onnx'))
  })

  /** A one-off server on 127.0.0.1 answering every request with `body`; `onRequest` runs before it answers. */
  async function tinyServer(body: Buffer, onRequest: () => void = () => undefined): Promise<{ url: string; close: () => Promise<void> }> {
    const srv = http.createServer((_req, res) => {
      onRequest()
      res.writeHead(200, { 'Content-Length': body.length }).end(body)
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const { port } = srv.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}/small.onnx`,
      close: async () => {
        srv.closeAllConnections()
        await new Promise((r) => srv.close(r))
      },
    }
  }

  it('says the disk is full when only the last flush fails, and installs no short file', async () => {
    await symlink('/dev/full', path.join(dir, 'model.onnx.part'))
    const small = await tinyServer(Buffer.from('tiny body'))
    try {
      const err = await failure(download({ url: small.url, dest: path.join(dir, 'model.onnx'), env }))
      expect(err.kind).toBe('disk-full')
      expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false)
    } finally {
      await small.close()
    }
  })

  it('sees a cancel that came after the request stopped listening for it (before the body is read)', async () => {
    // A signal whose abort fires no event: as a cancel between the response and the body's reader.
    const signal = { aborted: false, addEventListener: () => undefined, removeEventListener: () => undefined } as unknown as AbortSignal & { aborted: boolean }
    const small = await tinyServer(Buffer.from('tiny body'), () => {
      ;(signal as { aborted: boolean }).aborted = true
    })
    try {
      const err = await failure(download({ url: small.url, dest: path.join(dir, 'model.onnx'), env, signal }))
      expect(err.kind).toBe('cancelled')
      expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false)
    } finally {
      await small.close()
    }
  })

  it('maps a URL onto a mirror, keeping its path', () => {
    expect(mirrored('https://huggingface.co/org/m/resolve/abc/model.onnx?x=1', 'https://mirror.corp/hf/')).toBe('https://mirror.corp/hf/org/m/resolve/abc/model.onnx?x=1')
    expect(mirrored('https://huggingface.co/a.onnx', null)).toBe('https://huggingface.co/a.onnx')
  })
})
