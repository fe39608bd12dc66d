import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The workplace's shared folder (datasets); never committed into the project. */
export const SHARED = process.env.STUDIO_SHARED_DIR ?? path.resolve(ROOT, '../shared')

/** The default teacher, shipped in models/ (the studio runs on a fresh machine without ../shared). */
export const TEST_TEACHER = path.join(ROOT, 'models/mobilenetv2-12-int8.onnx')
export const dataset = (name: string) => path.join(SHARED, 'datasets', name)

/** A new temporary folder holding the first `perClass` hymenoptera pool photos (by name) of ants/ and bees/, or all of them. */
export async function hymenopteraSubset(prefix: string, perClass = Infinity): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), prefix))
  for (const cls of ['ants', 'bees']) {
    const from = path.join(dataset('hymenoptera'), 'pool', cls)
    await mkdir(path.join(folder, cls))
    for (const f of (await readdir(from)).sort().slice(0, perClass)) await cp(path.join(from, f), path.join(folder, cls, f))
  }
  return folder
}

/** Runs `npm run cli -- <args>` (tsx main/cli.ts) as a child process, as a user would; resolves with its exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { cwd: ROOT, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
