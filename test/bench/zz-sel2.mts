import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, startStudioServer } from '../../e2e/host'
import { spawn } from 'node:child_process'
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/ui1m/prof', '--import', 'tsx', 'main/cli.ts', 'serve', '/tmp/pls-bench-1000000', '--port', '0', '--root', '/'], { env: { ...process.env, STUDIO_DATA_DIR: '/tmp/ui1m/data' }, stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise<string>((res) => { let out = ''; child.stdout!.on('data', (c) => { out += c; const m = /served at (http:\/\/\S+)/.exec(out); if (m) res(m[1]!) }) })
const s = { url, stop: async () => { child.kill('SIGINT'); await new Promise((r) => child.once('exit', r)) } }
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
const page = await browser.newPage({ viewport: { width: 1280, height: 820 } })
page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)))
page.on('pageerror', (e) => console.log('pageerror', e.message))
await page.goto(s.url)
await page.locator('.grid-canvas .cell').first().waitFor()
const cdp = await page.context().newCDPSession(page)
await cdp.send('Profiler.enable'); await cdp.send('Profiler.start')
await page.locator('.grid-scroller').focus()
const t = performance.now()
await page.keyboard.press('Control+a')
try { await page.getByTestId('selection-count').waitFor({ timeout: 90_000 }); console.log('select all', (performance.now() - t).toFixed(0), 'ms', await page.getByTestId('selection-count').textContent()) } catch (e) { console.log('not shown', (e as Error).message.slice(0, 100)) }
const { profile } = await cdp.send('Profiler.stop') as any
const self = new Map<string, number>()
const dt = profile.timeDeltas as number[]; const byId = new Map(profile.nodes.map((n: any) => [n.id, n]))
profile.samples.forEach((id: number, i: number) => { const n: any = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000) })
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${v.toFixed(0)} ms ${k}`).join('\n'))
await browser.close(); await s.stop(); process.exit(0)
