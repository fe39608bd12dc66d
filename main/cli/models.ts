/**
 * `models list | pull <id> [--mirror URL] | import <file.onnx> | remove <id>`
 *
 * The teachers of this machine, as the studio's Settings show them: the catalog with each one's
 * state, downloads into the app's models folder (shared by every project; STUDIO_DATA_DIR moves it)
 * verified by sha256 and resumable, and removal (never the shipped default). HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY are honoured; --mirror (or the Settings' mirror) replaces each URL's host.
 * Progress (bytes, speed, ETA) goes to stderr; Ctrl+C cancels and keeps the `.part` file, so
 * pulling again resumes.
 * Exit codes: 0 done, 1 failure while working (network, checksum, disk), 2 bad usage or unknown
 * teacher, 130 cancelled.
 */
import { parseArgs } from 'node:util'
import { loadSettings } from '../app/settings'
import { defaultAppDataDir } from '../engine/project/locations'
import { DownloadError } from '../engine/teacher/download'
import { listTeachers, pullTeacher, removeTeacher, TeacherInstallError, type TeacherListing } from '../engine/teacher/install'
import { installedModelsDir } from '../engine/teacher/manifest'
import { importVerb } from './models-import'

const USAGE = 'usage: npm run cli -- models list | pull <id> [--mirror URL] | import <file.onnx> | remove <id>'

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  const appDataDir = defaultAppDataDir()
  try {
    switch (sub) {
      case 'list':
        return await list(appDataDir)
      case 'pull':
        return await pull(rest, appDataDir)
      case 'import':
        return await importVerb(rest)
      case 'remove': {
        const id = one(rest)
        await removeTeacher(id, appDataDir)
        console.log(`removed ${id} from ${installedModelsDir(appDataDir)}`)
        return 0
      }
      default:
        console.error(USAGE)
        return 2
    }
  } catch (err) {
    console.error((err as Error).message)
    return err instanceof UsageError || (err instanceof TeacherInstallError && err.kind !== 'refused') ? 2 : 1
  }
}

class UsageError extends Error {}

function one(args: string[]): string {
  if (args.length !== 1 || !args[0] || args[0].startsWith('--')) throw new UsageError(USAGE)
  return args[0]
}

async function list(appDataDir: string): Promise<number> {
  const teachers = await listTeachers(appDataDir)
  for (const t of teachers) {
    const state = t.installed ? 'installed' : t.downloadable ? 'not downloaded' : 'not on this machine'
    const marks = [t.default ? 'default' : '', ...t.suggestedFor.map((u) => `suggested: ${u}`)].filter(Boolean)
    console.log(`${t.id.padEnd(28)} ${state.padEnd(20)} ${megabytes(t.bytes).padStart(9)}  ${t.licence ?? 'licence ?'}${marks.length ? `  [${marks.join(', ')}]` : ''}`)
    if (t.error) console.log(`${''.padEnd(29)}${t.error.split('\n')[0]}`)
  }
  console.log(`\n${teachers.filter((t) => t.installed).length} of ${teachers.length} installed; downloads go to ${installedModelsDir(appDataDir)}`)
  return 0
}

async function pull(args: string[], appDataDir: string): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { mirror: { type: 'string' } } })
  const id = one(positionals)
  const mirror = values.mirror ?? (await loadSettings(appDataDir)).modelMirror
  const ac = new AbortController()
  const onSigint = () => ac.abort()
  process.once('SIGINT', onSigint)
  const tty = process.stderr.isTTY
  let last = 0
  const show = (line: string) => (tty ? process.stderr.write(`\r${line}\x1b[K`) : console.error(line))
  try {
    const before = (await listTeachers(appDataDir)).find((t) => t.id === id)
    if (before?.installed) {
      console.log(`${id} is already installed`)
      return 0
    }
    const t: TeacherListing = await pullTeacher(id, {
      appDataDir,
      mirror,
      signal: ac.signal,
      onProgress: (p) => {
        const now = Date.now()
        if (now - last < (tty ? 200 : 2000) && p.done < p.total) return
        last = now
        const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`
        show(`${p.file}: ${megabytes(p.done)} of ${p.total ? megabytes(p.total) : '?'}, ${megabytes(p.bytesPerSecond)}/s, ETA ${eta}`)
      },
    })
    if (tty) process.stderr.write('\n')
    console.log(`${t.id} installed and verified (sha256) in ${installedModelsDir(appDataDir)}`)
    return 0
  } catch (err) {
    if (tty) process.stderr.write('\n')
    if (ac.signal.aborted || (err instanceof DownloadError && err.kind === 'cancelled')) {
      console.error('cancelled; the part downloaded is kept and `models pull` again resumes it')
      return 130
    }
    throw err
  } finally {
    process.off('SIGINT', onSigint)
  }
}

function megabytes(n: number | null): string {
  return n === null ? '?' : `${(n / 1e6).toFixed(1)} MB`
}
