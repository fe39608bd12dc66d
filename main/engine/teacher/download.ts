/**
 * Downloads a user can trust: a file arrives whole and verified, or not at all. Bytes go to
 * `<dest>.part`; a cut resumes with an HTTP Range request (only when the server proves it honoured
 * it with 206 + a matching Content-Range, else it starts over); the sha256 is hashed while the bytes
 * stream, and only a file of the right size and hash is renamed into place. Redirects are followed
 * (bounded; https never downgrades to http), HTTP(S)_PROXY and NO_PROXY are honoured (a CONNECT
 * tunnel for https), a stalled server times out, and disk errors are said in words.
 * Plain Node (http, https, net, tls): no dependency to trust besides the runtime.
 */
import { createHash, type Hash } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rename, stat, unlink } from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import path from 'node:path'
import net from 'node:net'
import tls from 'node:tls'
import { hashFile } from '../library/identify'

export type DownloadErrorKind = 'http' | 'checksum' | 'size' | 'disk-full' | 'unwritable' | 'timeout' | 'network' | 'redirect' | 'cancelled'

export class DownloadError extends Error {
  override name = 'DownloadError'
  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
  ) {
    super(message)
  }
}

export interface DownloadProgress {
  /** Bytes on disk so far, a resumed part included. */
  done: number
  /** 0 while unknown. */
  total: number
  bytesPerSecond: number
  etaSeconds: number | null
}

export interface DownloadOptions {
  url: string
  /** The final path; nothing is written there until the file is whole and verified. */
  dest: string
  /** Expected sha256 (lower-case hex); absent for a file whose publisher gives none (the result says what it was). */
  sha256?: string
  /** Expected size in bytes, when known. */
  bytes?: number
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** A server that sends nothing for this long (connecting included) fails the download. Default 30 s. */
  stallMs?: number
  /** Default 5. */
  maxRedirects?: number
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read; default process.env. */
  env?: NodeJS.ProcessEnv
  /** Extra CA certificates for TLS (a corporate proxy's, a test's self-signed one). */
  ca?: string | Buffer
}

export interface DownloadResult {
  path: string
  bytes: number
  sha256: string
  /** Whether bytes of an earlier, cut download were kept. */
  resumed: boolean
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`
  await mkdir(path.dirname(opts.dest), { recursive: true }).catch((err: unknown) => {
    throw diskError(err, opts.dest)
  })
  let have = (await stat(part).catch(() => null))?.size ?? 0
  // A part longer than the file is not a prefix of it.
  if (opts.bytes !== undefined && have > opts.bytes) {
    await unlink(part).catch(() => undefined)
    have = 0
  }
  if (opts.signal?.aborted) throw new DownloadError('cancelled', `download of ${opts.url} cancelled`)
  const res = await fetchFollowing(opts, have > 0 ? { Range: `bytes=${have}-` } : {})
  let resumed = false
  let expectedTotal = opts.bytes ?? 0
  if (res.statusCode === 206 && have > 0) {
    // Trust the resume only when the server says which bytes it sends, and they start where ours end.
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '')
    if (m && Number(m[1]) === have) {
      resumed = true
      if (m[3] !== '*') expectedTotal ||= Number(m[3])
    } else {
      res.destroy()
      await unlink(part).catch(() => undefined)
      return download(opts)
    }
  } else if (res.statusCode === 416 && have > 0) {
    // The part may already be whole (a cut after the last byte): verify it; otherwise start over.
    res.resume()
    const total = Number(/\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1] ?? NaN)
    if (total === have) return finish(opts, part, await hashFile(part, createHash('sha256')), have, true)
    await unlink(part).catch(() => undefined)
    return download(opts)
  } else if (res.statusCode !== 200) {
    res.resume()
    throw new DownloadError('http', `${opts.url}: the server answered ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd())
  } else {
    const length = Number(res.headers['content-length'] ?? NaN)
    if (Number.isFinite(length)) expectedTotal ||= length
    have = 0
  }
  const hash = createHash('sha256')
  if (resumed) {
    // Hashing a large part takes seconds: a cancel before or during it is not lost.
    throwIfCancelled(res, opts)
    await hashFile(part, hash)
  }
  const done = await receive(res, part, resumed, have, hash, expectedTotal, opts)
  return finish(opts, part, hash.digest('hex'), done, resumed)
}

/** A cancel that came while no listener was on the signal (between the response and the body). */
function throwIfCancelled(res: IncomingMessage, opts: DownloadOptions): void {
  if (!opts.signal?.aborted) return
  res.destroy()
  throw new DownloadError('cancelled', `download of ${opts.url} cancelled`)
}

/**
 * Checks size and hash, then moves the part into place; a wrong file is removed and said so. The
 * size on disk is checked too: a part that lost its last bytes (a failed final write) is never installed.
 */
async function finish(opts: DownloadOptions, part: string, got: string, size: number, resumed: boolean): Promise<DownloadResult> {
  const onDisk = await stat(part).then(
    (st) => st.size,
    (err: unknown) => {
      throw diskError(err, part)
    },
  )
  if (onDisk !== size) {
    await unlink(part).catch(() => undefined)
    throw new DownloadError('size', `${opts.url}: ${part} has ${onDisk} bytes on disk where ${size} were received; the file was removed`)
  }
  if (opts.bytes !== undefined && size !== opts.bytes) {
    await unlink(part).catch(() => undefined)
    throw new DownloadError('size', `${opts.url}: got ${size} bytes where ${opts.bytes} were expected; the file was removed`)
  }
  if (opts.sha256 !== undefined && got !== opts.sha256) {
    await unlink(part).catch(() => undefined)
    throw new DownloadError('checksum', `${opts.url}: sha256 mismatch, expected ${opts.sha256}, got ${got}: a different or damaged file; it was removed`)
  }
  await rename(part, opts.dest).catch((err: unknown) => {
    throw diskError(err, opts.dest)
  })
  return { path: opts.dest, bytes: size, sha256: got, resumed }
}

/** Streams the body into the part file, hashing and reporting as it goes. Resolves with the bytes on disk. */
function receive(res: IncomingMessage, part: string, append: boolean, start: number, hash: Hash, total: number, opts: DownloadOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let done = start
    const rate = new WindowRate(Date.now(), start)
    let lastReport = 0
    let settled = false
    let out: WriteStream
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      cleanup()
      res.destroy()
      // The part stays: the next try resumes from it (a cancel, a cut, a stall).
      out.destroy()
      out.once('close', () => reject(err))
      if (out.closed) reject(err)
    }
    const stallMs = opts.stallMs ?? 30_000
    let timer = setTimeout(() => fail(stalled(opts.url, stallMs)), stallMs)
    const onAbort = () => fail(new DownloadError('cancelled', `download of ${opts.url} cancelled; ${done} bytes kept for a resume`))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = () => {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    }
    try {
      out = createWriteStream(part, { flags: append ? 'a' : 'w' })
    } catch (err) {
      cleanup()
      res.destroy()
      reject(diskError(err, part))
      return
    }
    // An abort before the listener was added never fires it.
    if (opts.signal?.aborted) {
      onAbort()
      return
    }
    out.on('error', (err) => fail(diskError(err, part)))
    res.on('data', (chunk: Buffer) => {
      if (settled) return
      clearTimeout(timer)
      timer = setTimeout(() => fail(stalled(opts.url, stallMs)), stallMs)
      hash.update(chunk)
      done += chunk.length
      if (!out.write(chunk)) {
        // A slow disk is not a silent server: no stall timer while the body waits for the disk.
        clearTimeout(timer)
        res.pause()
        out.once('drain', () => {
          if (settled) return
          timer = setTimeout(() => fail(stalled(opts.url, stallMs)), stallMs)
          res.resume()
        })
      }
      const now = Date.now()
      if (opts.onProgress && (now - lastReport >= 200 || done === total)) {
        lastReport = now
        const bytesPerSecond = rate.add(now, done)
        opts.onProgress({ done, total, bytesPerSecond, etaSeconds: total > 0 && bytesPerSecond > 0 ? (total - done) / bytesPerSecond : null })
      }
    })
    res.on('aborted', () => fail(new DownloadError('network', `${opts.url}: the connection was cut after ${done} bytes; run again to resume`)))
    res.on('error', (err) => fail(err instanceof DownloadError ? err : new DownloadError('network', `${opts.url}: ${err.message} after ${done} bytes; run again to resume`)))
    res.on('end', () => {
      if (settled) return
      if (!res.complete) return fail(new DownloadError('network', `${opts.url}: the connection was cut after ${done} bytes; run again to resume`))
      settled = true
      cleanup()
      // A failed last flush (ENOSPC) is the download's failure, not a success with a short file.
      out.end((err?: Error | null) => (err ? reject(diskError(err, part)) : resolve(done)))
    })
  })
}

/**
 * Bytes per second over the last few seconds: the speed a person sees now (a network's speed
 * changes; the first burst from a server's buffers would otherwise promise an ETA it cannot keep).
 */
class WindowRate {
  private readonly samples: { t: number; bytes: number }[]
  constructor(t: number, bytes: number, private readonly windowMs = 5000) {
    this.samples = [{ t, bytes }]
  }

  add(t: number, bytes: number): number {
    this.samples.push({ t, bytes })
    while (this.samples.length > 2 && t - (this.samples[1]?.t ?? t) >= this.windowMs) this.samples.shift()
    const first = this.samples[0] ?? { t, bytes }
    // Under a second of history says little; report it anyway (0 until time has passed).
    return t > first.t ? ((bytes - first.bytes) * 1000) / (t - first.t) : 0
  }
}

function stalled(url: string, ms: number): DownloadError {
  return new DownloadError('timeout', `${url}: the server sent nothing for ${Math.round(ms / 1000)} s; run again to resume`)
}

/** A file-system failure in words a user can act on. */
export function diskError(err: unknown, target: string): Error {
  const code = (err as NodeJS.ErrnoException).code
  const reason = (err as Error).message
  if (code === 'ENOSPC') return new DownloadError('disk-full', `the disk is full: cannot write ${target} (ENOSPC); free some space and try again`)
  if (code === 'EDQUOT') return new DownloadError('disk-full', `over the disk quota: cannot write ${target} (EDQUOT)`)
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return new DownloadError('unwritable', `cannot write ${target}: the folder is read-only or not yours (${code})`)
  if (code === 'ENOTDIR' || code === 'EEXIST') return new DownloadError('unwritable', `cannot write ${target}: a file stands where a folder of its path should be (${code})`)
  return err instanceof Error ? err : new Error(reason)
}

/** GET `url` following redirects; the response's status is left to the caller. */
async function fetchFollowing(opts: DownloadOptions, headers: Record<string, string>): Promise<IncomingMessage> {
  let url = new URL(opts.url)
  const max = opts.maxRedirects ?? 5
  for (let hop = 0; ; hop++) {
    const res = await get(url, headers, opts)
    const location = res.headers.location
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return res
    res.resume()
    if (hop >= max) throw new DownloadError('redirect', `${opts.url}: more than ${max} redirects`)
    const next = new URL(location, url)
    if (url.protocol === 'https:' && next.protocol !== 'https:') throw new DownloadError('redirect', `${opts.url}: refused a redirect from https to ${next.protocol.replace(':', '')} (${next.href})`)
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new DownloadError('redirect', `${opts.url}: refused a redirect to ${next.href}`)
    url = next
  }
}

/** One GET, straight or through the proxy the environment names for this URL. */
function get(url: URL, headers: Record<string, string>, opts: DownloadOptions): Promise<IncomingMessage> {
  const stallMs = opts.stallMs ?? 30_000
  const proxy = proxyFor(url, opts.env ?? process.env)
  const allHeaders = { 'User-Agent': 'pseudolabel-studio', 'Accept-Encoding': 'identity', ...headers }
  return new Promise<IncomingMessage>((resolve, reject) => {
    const onError = (err: Error) => reject(err instanceof DownloadError ? err : new DownloadError('network', `${url.href}: ${err.message}${proxy ? ` (through the proxy ${proxy.host})` : ''}`))
    const request = (make: () => http.ClientRequest) => {
      const req = make()
      req.setTimeout(stallMs, () => req.destroy(stalled(url.href, stallMs)))
      const onAbort = () => req.destroy(new DownloadError('cancelled', `download of ${url.href} cancelled`))
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      req.on('response', (res) => {
        opts.signal?.removeEventListener('abort', onAbort)
        // From here the body's own stall timer governs; the socket's would race it and cut the
        // response, reporting a stall as a broken connection.
        req.setTimeout(0)
        resolve(res)
      })
      req.on('error', (err) => {
        opts.signal?.removeEventListener('abort', onAbort)
        onError(err)
      })
      req.end()
    }
    if (!proxy) {
      const lib = url.protocol === 'https:' ? https : http
      request(() => lib.request(url, { headers: allHeaders, ...(opts.ca ? { ca: opts.ca } : {}) }))
    } else if (url.protocol === 'http:') {
      // An http URL through an http proxy: the request line carries the whole URL.
      request(() => http.request({ host: proxy.hostname, port: proxy.port || 80, path: url.href, headers: { ...allHeaders, Host: url.host, ...proxyAuth(proxy) } }))
    } else {
      tunnel(url, proxy, stallMs, opts).then((socket) => request(() => http.request({ host: url.hostname, path: url.pathname + url.search, headers: { ...allHeaders, Host: url.host }, createConnection: () => socket })), onError)
    }
  })
}

/** A TLS connection to `url`'s host through an HTTP CONNECT tunnel. */
function tunnel(url: URL, proxy: URL, stallMs: number, opts: DownloadOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const target = `${url.hostname}:${url.port || 443}`
    const req = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: target, headers: { Host: target, ...proxyAuth(proxy) } })
    req.setTimeout(stallMs, () => req.destroy(stalled(url.href, stallMs)))
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        reject(new DownloadError('network', `${url.href}: the proxy ${proxy.host} refused the tunnel (${res.statusCode} ${res.statusMessage ?? ''})`.trimEnd()))
        return
      }
      // SNI takes a host name, never an address (RFC 6066); the certificate is checked against either.
      const secure = tls.connect({ socket, host: url.hostname, ...(net.isIP(url.hostname) ? {} : { servername: url.hostname }), ...(opts.ca ? { ca: opts.ca } : {}) })
      secure.once('secureConnect', () => resolve(secure))
      secure.once('error', (err) => {
        // The tunnel under a failed handshake would otherwise stay open at the proxy.
        socket.destroy()
        reject(err)
      })
    })
    req.on('error', reject)
    req.end()
  })
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {}
  const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
  return { 'Proxy-Authorization': `Basic ${Buffer.from(creds).toString('base64')}` }
}

/** The proxy for `url` by the usual variables (upper or lower case), or null when none or NO_PROXY matches. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): URL | null {
  const raw = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy)
  if (!raw) return null
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
  const host = url.hostname.toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  for (const entry of noProxy) {
    if (entry === '*') return null
    const [name = '', entryPort] = entry.split(':')
    if (entryPort && entryPort !== port) continue
    const bare = name.replace(/^\*?\./, '')
    if (host === bare || host.endsWith(`.${bare}`)) return null
  }
  return new URL(raw.includes('://') ? raw : `http://${raw}`)
}

/** `url` with its scheme and host replaced by the mirror's base, the path kept (a mirror for users behind a firewall). */
export function mirrored(url: string, mirror: string | null | undefined): string {
  if (!mirror) return url
  const u = new URL(url)
  return mirror.replace(/\/+$/, '') + u.pathname + u.search
}
