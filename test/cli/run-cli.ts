/** Runs the CLI (`npm run cli -- <args>`, i.e. tsx main/cli.ts) as a child process, as a script would. */
import { spawn } from 'node:child_process'
import { ROOT } from '../shared'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** `onStderr` sees stderr as it comes (e.g. to act once the verb says it waits). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 150_000, onStderr?: (text: string) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { cwd: ROOT, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
      onStderr?.(stderr)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
