/** Starts the web host (no folder open) for the `web` project and tells the specs its URL. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export default async function globalSetup(): Promise<() => Promise<void>> {
  // Project data (database, thumbnails) goes to a temporary folder, never into the shared datasets.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-'))
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'main/cli.ts', 'serve', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, STUDIO_DATA_DIR: dataDir },
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`web host did not start in 60 s; it printed:\n${out}`)), 60_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /served at (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.once('exit', (code) => reject(new Error(`web host exited with ${code}:\n${out}`)))
  })
  process.env.STUDIO_URL = url
  process.env.STUDIO_E2E_DATA_DIR = dataDir
  return async () => {
    child.kill('SIGTERM')
    await rm(dataDir, { recursive: true, force: true })
  }
}
