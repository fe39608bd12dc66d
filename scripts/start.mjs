// `npm start [-- <folder>]`: builds the app, then runs the desktop studio. Where the Electron binary
// is not installed (a server, or a machine whose install could not download it), it serves the same
// studio to a browser instead and says so, rather than failing.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const args = process.argv.slice(2)

const build = spawnSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

let electron = null
let why = ''
try {
  const p = require('electron')
  if (typeof p === 'string' && existsSync(p)) electron = p
  else why = 'the electron package has no binary'
} catch (err) {
  why = String(err.message).split('\n')[0]
}

// In place of the desktop app, the browser may open any folder, as the desktop app can (the server
// listens on this machine only, behind its token). `serve` alone is stricter: only the folder it
// serves, or --root.
const serveArgs = args.some((a) => a === '--root' || a.startsWith('--root=')) ? args : [...args, '--root', path.parse(root).root]
const [cmd, cmdArgs] = electron
  ? [electron, ['.', ...args]]
  : [process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'main/cli.ts', 'serve', ...serveArgs]]
if (!electron) {
  console.warn(`The Electron binary is not installed (${why}).`)
  console.warn('Serving the studio to your browser instead. To get the desktop app: `npm install electron` on a machine with internet access.')
  if (serveArgs !== args) console.warn('The browser may open any folder of this machine, as the desktop app can; `npm start -- --root DIR` allows only DIR.')
}
const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
