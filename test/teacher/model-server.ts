/**
 * A model server on 127.0.0.1 for download tests (vitest and e2e): it serves the shipped default
 * teacher, and misbehaves on purpose by path, recording every request it gets.
 *
 *   /model.onnx            the file; honours Range with 206 + Content-Range
 *   /cut.onnx              the first request gets half the file, then the socket is cut; later ones honour Range
 *   /corrupt.onnx          the file with one byte changed
 *   /norange.onnx          ignores Range (200 and the whole file)
 *   /redirect/<n>/<path>   <n> redirects (302, relative Location), then <path>
 *   /stall.onnx            headers and 1000 bytes, then nothing (the socket stays open)
 *   /slow.onnx?bps=N       the file at N bytes per second (default 200 kB/s), Range honoured
 *   anything else          404
 */
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const MODEL_FILE = path.join(ROOT, 'models/mobilenetv2-12-int8.onnx')
export const MODEL_SHA256 = '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f'

export interface ModelServer {
  /** http://127.0.0.1:<port> */
  base: string
  bytes: Buffer
  requests: { url: string; headers: IncomingHttpHeaders }[]
  close(): Promise<void>
}

export async function startModelServer(): Promise<ModelServer> {
  const bytes = readFileSync(MODEL_FILE)
  const corrupt = Buffer.from(bytes)
  corrupt[corrupt.length >> 1] = (corrupt[corrupt.length >> 1] ?? 0) ^ 0xff
  const requests: ModelServer['requests'] = []
  let cuts = 0
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers })
    const url = new URL(req.url ?? '/', 'http://x')
    const redirect = /^\/redirect\/(\d+)(\/.*)$/.exec(url.pathname)
    if (redirect) {
      const n = Number(redirect[1])
      res.writeHead(302, { Location: n > 1 ? `/redirect/${n - 1}${redirect[2]}` : (redirect[2] ?? '/') })
      res.end()
      return
    }
    switch (url.pathname) {
      case '/model.onnx':
        return serve(res, bytes, req.headers.range)
      case '/corrupt.onnx':
        return serve(res, corrupt, req.headers.range)
      case '/norange.onnx':
        return serve(res, bytes, undefined)
      case '/cut.onnx':
        if (cuts++ === 0) {
          res.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'application/octet-stream' })
          res.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(() => res.socket?.destroy(), 50))
          return
        }
        return serve(res, bytes, req.headers.range)
      case '/stall.onnx':
        res.writeHead(200, { 'Content-Length': bytes.length })
        res.write(bytes.subarray(0, 1000))
        return
      case '/slow.onnx':
        return serve(res, bytes, req.headers.range, Number(url.searchParams.get('bps') ?? 200_000))
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' })
        res.end('not found')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    bytes,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Sends `body` (from a `bytes=N-` range when asked), at `bps` bytes per second when given. */
function serve(res: ServerResponse, body: Buffer, range: string | undefined, bps?: number): void {
  const m = /^bytes=(\d+)-$/.exec(range ?? '')
  const start = m ? Number(m[1]) : 0
  if (start >= body.length && m) {
    res.writeHead(416, { 'Content-Range': `bytes */${body.length}` })
    res.end()
    return
  }
  const slice = body.subarray(start)
  res.writeHead(m ? 206 : 200, {
    'Content-Length': slice.length,
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ...(m ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  })
  if (!bps) {
    res.end(slice)
    return
  }
  // Ten chunks a second, so progress moves smoothly and a cancel lands mid-file.
  const chunk = Math.max(1, Math.floor(bps / 10))
  let at = 0
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer)
    const next = slice.subarray(at, at + chunk)
    at += next.length
    if (at >= slice.length) {
      clearInterval(timer)
      res.end(next)
    } else res.write(next)
  }, 100)
  res.on('close', () => clearInterval(timer))
}

/**
 * Writes `<dir>/<id>.json`: the shipped default's manifest under another id, its file not on disk
 * but at `url` (so the teacher must be pulled), with `patch` merged over the top level.
 */
export async function writeTestManifest(dir: string, id: string, url: string, patch: Record<string, unknown> = {}): Promise<string> {
  const m = JSON.parse(readFileSync(path.join(ROOT, 'models/mobilenetv2-12-int8.json'), 'utf8')) as Record<string, unknown>
  const manifest = { ...m, id, name: `Test teacher ${id}`, licence: 'Apache-2.0 (test copy)', goodAt: 'Tests of the download path.', file: { path: `${id}.onnx`, url, sha256: MODEL_SHA256, bytes: readFileSync(MODEL_FILE).length }, ...patch }
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, `${id}.json`)
  await writeFile(file, JSON.stringify(manifest, null, 2))
  return file
}
