/**
 * What the e2e specs and the UI bench share: Debian's Chromium with the flags this closed network
 * needs, and the web host started as a user starts it (`tsx main/cli.ts serve --port 0`), with
 * `--root /`: the specs open folders all over the machine (temporary copies, the shared datasets).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export const CHROMIUM = process.env.STUDIO_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']

export interface StudioServer {
  /** The printed URL, token included (the first reviewer's when reviewers are named). */
  url: string
  /** Named reviewers (`--reviewer`): each one's printed URL. */
  reviewers: Record<string, string>
  /** The token alone, for requests made outside the browser (`Authorization: Bearer`). */
  token: string
  child: ChildProcess
  stop(): Promise<void>
}

/**
 * Starts the web host with its data in `dataDir` (STUDIO_DATA_DIR), opening `folder` first when
 * given, with `env` over this process's environment, and resolves once it prints its URL.
 */
export async function startStudioServer(opts: { dataDir: string; folder?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; args?: string[] }): Promise<StudioServer> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'main/cli.ts', 'serve', ...(opts.folder ? [opts.folder] : []), '--port', '0', '--root', '/', ...(opts.args ?? [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...opts.env, STUDIO_DATA_DIR: opts.dataDir },
  })
  const reviewers: Record<string, string> = {}
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`web host did not start in ${timeoutMs / 1000} s; it printed:\n${out}`)), timeoutMs)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /served at (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      } else if (out.includes('Ctrl+C stops the server')) {
        // Named reviewers: one `  name: URL` line each.
        for (const line of out.matchAll(/^ {2}(.+): (http:\/\/\S+)$/gm)) reviewers[line[1] as string] = line[2] as string
        clearTimeout(timer)
        resolve(Object.values(reviewers)[0] ?? '')
      }
    })
    child.once('exit', (code) => reject(new Error(`web host exited with ${code}:\n${out}`)))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    url,
    reviewers,
    token: new URL(url).searchParams.get('token') ?? '',
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
