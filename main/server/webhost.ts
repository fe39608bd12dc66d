/**
 * The web host: the contract of preload/contract.ts over HTTP (requests, image bytes) and
 * server-sent events (progress), so a team can review on a GPU workstation from their laptops.
 *
 * Security rules, in the order a request meets them:
 * 1. Host must name this server (defeats DNS rebinding): a loopback name, the bound address or a
 *    `publicHosts` name. Bound to a wildcard address with no public names, any Host passes.
 * 2. An address with too many failed token attempts (10 a minute) gets 429 with Retry-After for
 *    every request until its window clears (guards.ts FailedTokenLimiter).
 * 3. A token must come with every request: `?token=` on the first page (then a cookie), the cookie,
 *    or `Authorization: Bearer`. Without it: 401, and the attempt counts against the address.
 *    With named reviewers, each token is one reviewer's and their requests are made as them (label
 *    events record the name; undo and leases are theirs). An `Idempotency-Key` header on a request
 *    makes a retry of it harmless (see handlers/labels.ts).
 * 4. Requests that change state must be POSTs whose Origin, when present, is this server.
 * 5. Bodies are capped and parsed as JSON, then validated against the contract's schema in app/handlers.
 * 6. Images are read only through StudioApi.media, which keeps every path inside the project folder;
 *    folders and files named in requests (project.open, teacher files) must lie inside the host's
 *    root (HostOptions.root, `serve --root`; app/confine.ts).
 * 7. One token holds at most 8 open event streams; more get 429.
 * With `tls`, all of it runs over HTTPS and the cookie is Secure.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { timingSafeEqual } from 'node:crypto'
import { readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { StudioEvent } from '../../preload/contract'
import { toErrorShape } from '../app/errors'
import { parseMediaPath } from '../app/media'
import { USER, type Caller } from '../app/context'
import { StudioApi } from '../app/studio'
import { PathRefused } from '../engine/library/safe-path'
import { FailedTokenLimiter, hostAllowed, isWildcard, StreamSlots, withPort } from './guards'
import type { TlsFiles } from './tls'
import { LEASE_TTL_MS } from '../engine/store'
import { newToken, type Reviewer } from './reviewers'

/**
 * A bulk label action on a selection (Ctrl+A at 100k images) carries up to 200,000 ids
 * (schemas.ts `imageIds`): about 1.4 MB of JSON. Anything larger is refused unread.
 */
export const MAX_BODY_BYTES = 2 * 1024 * 1024
const COOKIE = 'studio_token'

/** Sent with every page: the app loads nothing from elsewhere and cannot be framed. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

export interface WebHostOptions {
  api: StudioApi
  /** Built renderer (index.html and assets). */
  staticDir: string
  port?: number
  host?: string
  /** Fixed token for tests; a random one otherwise. Not used when reviewers are named. */
  token?: string
  /** Names the server is reached by besides loopback and the bound address (`--public-host`). */
  publicHosts?: readonly string[]
  /** Serve HTTPS with this certificate and key (`--tls-cert`, `--tls-key`; see tls.ts). */
  tls?: TlsFiles
  /** Failed token attempts per address and minute before 429 (default 10). */
  failedTokenLimit?: number
  /** Open event streams per token (default 8). */
  streamsPerToken?: number
  /** Named reviewers, each with their own token; none: one shared token for the one user. */
  reviewers?: readonly Reviewer[]
}

export interface WebHost {
  server: Server | HttpsServer
  /** The first URL of `urls`. */
  url: string
  token: string
  /** One URL per reviewer (reviewer null: the shared token). */
  urls: { reviewer: string | null; url: string }[]
  close(): Promise<void>
}

/** The longest Idempotency-Key taken (printable ASCII). */
const MAX_REQUEST_ID = 200

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const named = options.reviewers && options.reviewers.length > 0 ? options.reviewers : null
  const keys: { reviewer: string | null; token: string }[] = named ? named.map((r) => ({ reviewer: r.name, token: r.token })) : [{ reviewer: null, token: options.token ?? newToken() }]
  const bindHost = options.host ?? '127.0.0.1'
  const wildcard = isWildcard(bindHost)
  const scheme = options.tls ? 'https' : 'http'
  const failures = new FailedTokenLimiter(options.failedTokenLimit)
  const streams = new StreamSlots(options.streamsPerToken)
  const staticRoot = await realpath(options.staticDir).catch(() => {
    throw new Error(`the renderer is not built: ${options.staticDir} is missing; run \`npm run build\` or use \`npm run serve\``)
  })
  /** Each open event stream with the actor whose page it is: their review leases last while it is open. */
  const eventStreams = new Map<ServerResponse, string>()
  const unsubscribe = options.api.onEvent((event: StudioEvent) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`
    for (const res of eventStreams.keys()) res.write(frame)
  })
  const heartbeat = setInterval(() => {
    for (const actor of new Set(eventStreams.values())) options.api.reviewerPresent(actor)
    for (const res of eventStreams.keys()) res.write(': ping\n\n')
  }, LEASE_TTL_MS / 3)
  heartbeat.unref()

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof PathRefused ? err.status : 500
      const error = err instanceof HttpError ? { code: status === 401 || status === 429 ? 'forbidden' : 'invalid_input', message: err.message } : toErrorShape(err)
      if (!res.headersSent) sendJson(res, status, { ok: false, error }, err instanceof HttpError ? err.headers : {})
      else res.end()
    })
  }
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener)

  let port = 0

  function tokenOf(req: IncomingMessage, url: URL): string | undefined {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) return auth.slice(7)
    // The URL's token before the cookie: opening Bob's URL in a browser that was Alice's makes it Bob's.
    const fromUrl = url.searchParams.get('token')
    if (fromUrl) return fromUrl
    const cookie = req.headers.cookie
      ?.split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(COOKIE + '='))
    return cookie?.slice(COOKIE.length + 1)
  }

  /** The key a presented token matches (compared in constant time), or undefined. */
  function keyOf(candidate: string | undefined): { reviewer: string | null; token: string } | undefined {
    if (!candidate) return undefined
    const a = Buffer.from(candidate)
    return keys.find((k) => {
      const b = Buffer.from(k.token)
      return a.length === b.length && timingSafeEqual(a, b)
    })
  }

  function callerOf(req: IncomingMessage, reviewer: string | null): Caller {
    const key = req.headers['idempotency-key']
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > MAX_REQUEST_ID || !/^[\x21-\x7e]+$/.test(key))) {
      throw new HttpError(400, `Idempotency-Key must be 1 to ${MAX_REQUEST_ID} printable characters without spaces`)
    }
    return { ...USER, ...(reviewer === null ? {} : { actor: reviewer, reviewer }), requestId: key ?? null }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? ''
    if (!hostAllowed(host, { bindHost, port, publicHosts: options.publicHosts ?? [] })) throw new HttpError(421, `unexpected Host header "${host}"`)
    const address = req.socket.remoteAddress ?? ''
    const wait = failures.retryAfter(address)
    if (wait !== null) throw new HttpError(429, `too many wrong tokens from ${address}: try again in ${wait} s, with the URL the studio printed`, { 'Retry-After': String(wait) })
    const url = new URL(req.url ?? '/', `${scheme}://${host || 'localhost'}`)
    const presented = tokenOf(req, url)
    const key = keyOf(presented)
    if (!key) {
      failures.fail(address)
      throw new HttpError(401, 'missing or wrong token: open the URL the studio printed when it started (it carries ?token=...)')
    }
    const origin = req.headers.origin
    if (origin !== undefined && origin !== `${scheme}://${host}`) throw new HttpError(403, `cross-origin request from ${origin} refused`)

    // The token came in the URL: keep it in a cookie and take it out of the address bar.
    if (url.searchParams.has('token') && req.method === 'GET' && !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/media/')) {
      url.searchParams.delete('token')
      res.writeHead(303, {
        'Set-Cookie': `${COOKIE}=${key.token}; HttpOnly; SameSite=Strict; Path=/${options.tls ? '; Secure' : ''}`,
        Location: url.pathname + url.search,
        'Cache-Control': 'no-store',
      })
      res.end()
      return
    }

    // The raw path, not URL's normalised one: `..` and `%2e%2e` must reach the checks, not be folded away.
    const pathname = (req.url ?? '/').split('?')[0] ?? '/'
    if (pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') throw new HttpError(405, 'requests are POSTs')
      const type = req.headers['content-type'] ?? ''
      if (!type.startsWith('application/json')) throw new HttpError(415, 'the body must be JSON (Content-Type: application/json)')
      const body = await readJsonBody(req)
      const reply = await options.api.handle(decodeURIComponent(pathname.slice('/api/call/'.length)), body, callerOf(req, key.reviewer))
      const status = reply.ok ? 200 : statusFor(reply.error.code)
      sendJson(res, status, reply)
      return
    }
    if (pathname === '/api/events') {
      const slot = key.token
      if (!streams.take(slot)) throw new HttpError(429, `this token already holds ${streams.perToken} open event streams: close some of the studio's tabs`)
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
      res.write(': connected\n\n')
      const actor = key.reviewer ?? USER.actor
      eventStreams.set(res, actor)
      options.api.reviewerPresent(actor)
      req.on('close', () => {
        eventStreams.delete(res)
        streams.release(slot)
        if (![...eventStreams.values()].includes(actor)) options.api.reviewerLeft(actor)
      })
      return
    }
    if (pathname.startsWith('/media/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'media is read with GET')
      const [kind, rel] = parseMediaPath(pathname.slice('/media/'.length))
      const media = await options.api.media(kind, rel)
      res.writeHead(200, { 'Content-Type': media.mime, 'Content-Length': media.bytes.length, 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff' })
      res.end(req.method === 'HEAD' ? undefined : media.bytes)
      return
    }
    await serveStatic(pathname, res)
  }

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    let rel: string
    try {
      rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1))
    } catch {
      throw new HttpError(400, 'malformed percent-encoding in the path')
    }
    const file = path.resolve(staticRoot, rel)
    if (!file.startsWith(staticRoot + path.sep)) throw new HttpError(403, 'outside the app')
    let bytes: Buffer
    let served = file
    try {
      bytes = await readFile(file)
    } catch {
      // Client-side routes fall back to the app; missing assets are 404s.
      if (path.extname(rel)) throw new HttpError(404, `not found: ${pathname}`)
      served = path.join(staticRoot, 'index.html')
      bytes = await readFile(served)
    }
    res.writeHead(200, {
      'Content-Type': STATIC_TYPES[path.extname(served)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': served.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    })
    res.end(bytes)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, bindHost, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  // The address others should use: the first public name when there is one.
  const publicName = options.publicHosts?.[0]
  const shownHost = wildcard ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost
  const authority = publicName ? withPort(publicName, port) : `${shownHost}:${port}`
  const urls = keys.map((k) => ({ reviewer: k.reviewer, url: `${scheme}://${authority}/?token=${k.token}` }))
  return {
    server,
    token: (keys[0] as { token: string }).token,
    url: (urls[0] as { url: string }).url,
    urls,
    close: async () => {
      clearInterval(heartbeat)
      unsubscribe()
      for (const res of eventStreams.keys()) res.end()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `request body of ${declared} bytes is over the ${MAX_BODY_BYTES}-byte limit`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body is over the ${MAX_BODY_BYTES}-byte limit`)
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`)
  }
}

function statusFor(code: string): number {
  switch (code) {
    case 'invalid_input':
      return 400
    case 'forbidden':
      return 403
    case 'not_found':
      return 404
    case 'no_project':
    case 'conflict':
      return 409
    case 'unsupported':
      return 501
    default:
      return 500
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
  res.end(text)
}
