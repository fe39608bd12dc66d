/** Runs the CLI (`npm run cli -- <args>`, i.e. tsx main/cli.ts) as a child process, as a script would. */
import { spawn } from 'node:child_process'
import { ROOT } from '../shared'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** `onStderr` sees stderr so far as it comes, and may signal the child (a Ctrl+C once the verb says where it is). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void, timeoutMs = 150_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { cwd: ROOT, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
      onStderr?.(stderr, (sig) => child.kill(sig))
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
