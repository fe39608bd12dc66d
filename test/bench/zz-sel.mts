import { startStudioServer } from '../../e2e/host'
const s = await startStudioServer({ dataDir: '/tmp/ui1m/data', folder: '/tmp/pls-bench-1000000', timeoutMs: 120_000 })
console.log(s.url)
const base = new URL(s.url)
const call = async (name: string, body: unknown) => {
  const t = performance.now()
  const r = await fetch(new URL(`/api/call/${name}${base.search}`, base), { method: 'POST', headers: { 'content-type': 'application/json', origin: base.origin }, body: JSON.stringify(body) })
  const text = await r.text()
  console.log(name, r.status, text.length, (performance.now() - t).toFixed(0), 'ms', text.slice(0, 200))
}
await call('images.ids', {})
await call('images.ids', { status: 'proposed' })
await s.stop?.()
process.exit(0)
