/**
 * What every project verb of the CLI shares: argument parsing with the common options (`--json`,
 * `--wait`, `--help`), opening the project through the same StudioApi the studio runs (so a verb is
 * the studio's requests, not a second implementation), waiting for or refusing the project lock,
 * Ctrl+C as a cancel, progress on stderr, results on stdout (one JSON document with `--json`), and
 * the exit codes:
 *
 *   0 done, 1 failure while working, 2 bad usage or bad input (also: the project is not ready for
 *   the verb, e.g. a round before any label), 75 the project is open in the studio or another
 *   process (sysexits' EX_TEMPFAIL: try again later, or pass --wait), 130 cancelled.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { StudioApi } from '../app/studio'
import { defaultAppDataDir, projectOpenOptions } from '../engine/project/locations'
import { Project } from '../engine/project/project'
import { StoreError } from '../engine/store'
import type { ErrorCode, ProjectSummary, RequestInput, RequestName, RequestResults, StudioEvent, TeacherStatus } from '../../preload/contract'

export const EXIT = { ok: 0, failed: 1, usage: 2, busy: 75, cancelled: 130 } as const

/** A failure with the exit code it ends the verb with; its message goes to stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

/** How a refused request ends a verb: what a person must change is bad input (2), a busy project 75. */
function exitFor(code: ErrorCode): number {
  switch (code) {
    case 'invalid_input':
    case 'not_found':
    case 'forbidden':
    case 'unsupported':
    case 'unusable_database':
      return EXIT.usage
    case 'open_elsewhere':
      return EXIT.busy
    case 'cancelled':
      return EXIT.cancelled
    default:
      return EXIT.failed
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: false }>

export interface VerbSpec<O extends OptionSpec> {
  /** The usage line(s), printed with --help and after a usage error. */
  usage: string
  /** The verb's own options (besides --json, --wait and --help). */
  options: O
}

/** What a verb's body gets: its folder and options, the cancel signal, and the project to open. */
export interface VerbContext<O extends OptionSpec> {
  folder: string
  /** A string option's value (its default when given one), undefined when absent. */
  option(name: keyof O & string): string | undefined
  flag(name: keyof O & string): boolean
  json: boolean
  signal: AbortSignal
  /** Opens the folder's project (lock, index); waits for the lock up to --wait seconds. */
  open(): Promise<Session>
  /** A usage error: prints the message and the usage, exit 2. */
  usage(message: string): CliError
  /** A line of results for people (stdout); silent with --json, where the returned value is the output. */
  say(line: string): void
}

/**
 * Runs one project verb: `<verb> <folder> [options] [--json] [--wait SECONDS]`. `body` returns the
 * verb's result, printed as JSON with --json (its human lines went through `say` otherwise).
 */
export async function runVerb<O extends OptionSpec>(args: string[], spec: VerbSpec<O>, body: (v: VerbContext<O>) => Promise<unknown>): Promise<number> {
  const usage = `usage: npm run cli -- ${spec.usage}\n  --json          one JSON document on stdout (progress stays on stderr)\n  --wait SECONDS  wait this long for a project open elsewhere (default 0: refuse at once, exit 75)`
  let folder: string, wait: number, values: Record<string, string | boolean | undefined>, json: boolean
  try {
    const options: ParseArgsConfig['options'] = { ...spec.options, json: { type: 'boolean', default: false }, wait: { type: 'string', default: '0' }, help: { type: 'boolean', default: false } }
    const parsed = parseArgs({ args, allowPositionals: true, strict: true, options }) as { values: Record<string, string | boolean | undefined>; positionals: string[] }
    if (parsed.values.help) {
      console.log(usage)
      return EXIT.ok
    }
    values = parsed.values
    json = parsed.values.json === true
    if (parsed.positionals.length !== 1) throw new Error(parsed.positionals.length ? `one folder is needed, not ${parsed.positionals.length} (${parsed.positionals.join(' ')})` : 'the project folder is needed')
    folder = path.resolve(parsed.positionals[0]!)
    wait = Number(parsed.values.wait)
    if (!(wait >= 0 && Number.isFinite(wait))) throw new Error(`--wait must be a number of seconds >= 0, not "${String(parsed.values.wait)}"`)
    if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new Error(`${folder} is not a folder; give the folder of images the project is about`)
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    return EXIT.usage
  }

  const abort = new AbortController()
  let session: Session | null = null
  const onInt = () => {
    abort.abort()
    void session?.cancelJobs()
  }
  process.once('SIGINT', onInt)
  try {
    const result = await body({
      folder,
      option: (name) => (typeof values[name] === 'string' ? (values[name] as string) : undefined),
      flag: (name) => values[name] === true,
      json,
      signal: abort.signal,
      open: async () => (session = await Session.open(folder, wait, abort.signal)),
      usage: (message) => new CliError(`${message}\n${usage}`, EXIT.usage),
      say: (line) => {
        if (!json) console.log(line)
      },
    })
    if (json) console.log(JSON.stringify(result, null, 2))
    return EXIT.ok
  } catch (err) {
    if (abort.signal.aborted) {
      console.error('cancelled; the project is as it was before the cancelled step')
      return EXIT.cancelled
    }
    console.error(err instanceof Error ? err.message : String(err))
    return err instanceof CliError ? err.exitCode : EXIT.failed
  } finally {
    process.off('SIGINT', onInt)
    await (session as Session | null)?.close()
  }
}

/**
 * Retries `open` while the project is open elsewhere, up to `waitSeconds` (0: one try), saying once
 * on stderr that it waits. Any other failure, and the last refusal, are thrown as they came.
 */
export async function waitForLock<T>(open: () => Promise<T>, isBusy: (err: unknown) => boolean, waitSeconds: number, signal: AbortSignal, folder: string): Promise<T> {
  const deadline = Date.now() + waitSeconds * 1000
  let said = false
  for (;;) {
    try {
      return await open()
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err
      if (!said) console.error(`${folder} is open elsewhere; waiting up to ${waitSeconds} s for it to close`)
      said = true
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(1, deadline - Date.now()))))
      signal.throwIfAborted()
    }
  }
}

/**
 * Opens the folder's project in the engine (for the verbs that work on it directly: export, import),
 * waiting for the lock up to `waitSeconds`. A refusal is said on stderr and comes back as the exit
 * code; `busyHint` adds what else the user can do while it is open elsewhere.
 */
export async function openProject(folder: string, appDataDir: string, waitSeconds: number, signal: AbortSignal, busyHint = ''): Promise<Project | number> {
  try {
    return await waitForLock(() => Project.open(folder, projectOpenOptions(folder, appDataDir)), isOpenElsewhere, waitSeconds, signal, folder)
  } catch (err) {
    if (signal.aborted) return EXIT.cancelled
    if (isOpenElsewhere(err)) {
      console.error(busyMessage(`${folder}: ${(err as Error).message}${busyHint}`))
      return EXIT.busy
    }
    console.error(`cannot open ${folder}: ${(err as Error).message}`)
    return EXIT.failed
  }
}

/** The message for a project held by another process, with what to do. */
export function busyMessage(detail: string): string {
  return `${detail}\n(exit 75: run again once it is closed, or pass --wait SECONDS to wait for it)`
}

/** True for the lock refusal, whether it comes from the store or through the contract. */
export const isOpenElsewhere = (err: unknown) => (err instanceof StoreError && err.code === 'open_elsewhere') || (err instanceof CliError && err.exitCode === EXIT.busy)

/** A project opened through the contract, as the studio opens it, for one verb. */
export class Session {
  private readonly events = new Set<(e: StudioEvent) => void>()

  private constructor(
    readonly api: StudioApi,
    readonly project: ProjectSummary,
  ) {
    api.onEvent((e) => {
      for (const listener of this.events) listener(e)
    })
  }

  /** Opens `folder` without starting the teacher (`embed()` runs it for the verbs that need it). */
  static async open(folder: string, waitSeconds: number, signal: AbortSignal): Promise<Session> {
    const api = new StudioApi({ host: 'web', appDataDir: defaultAppDataDir(), embedOnOpen: false })
    try {
      const opened = await waitForLock(
        async () => {
          const reply = await api.handle('project.open', { folder })
          if (reply.ok) return reply.value as ProjectSummary
          const code = exitFor(reply.error.code)
          throw new CliError(code === EXIT.busy ? busyMessage(reply.error.message) : `cannot open ${folder}: ${reply.error.message}`, code)
        },
        isOpenElsewhere,
        waitSeconds,
        signal,
        folder,
      )
      return new Session(api, opened)
    } catch (err) {
      await api.close()
      throw err
    }
  }

  /** The request's result; a refusal throws a CliError whose exit code follows the error's code. */
  async call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestResults[N]> {
    const reply = await this.api.handle(name, input)
    if (!reply.ok) throw new CliError(reply.error.message, exitFor(reply.error.code))
    return reply.value as RequestResults[N]
  }

  /** Listens to the studio's events until the returned function is called. */
  on(listener: (e: StudioEvent) => void): () => void {
    this.events.add(listener)
    return () => this.events.delete(listener)
  }

  /**
   * Runs the teacher over the project (images already in its cache are skipped, so this is quick
   * once `embed` or an earlier verb has run), with progress on stderr. Throws when it fails.
   */
  async embed(signal: AbortSignal): Promise<TeacherStatus> {
    const progress = new ProgressLine()
    let settle!: (s: TeacherStatus) => void
    const finished = new Promise<TeacherStatus>((r) => (settle = r))
    const off = this.on((e) => {
      if (e.type === 'progress' && e.job === 'embed') progress.show(`teacher: ${e.done}/${e.total} images embedded, ${e.perSecond.toFixed(1)} img/s`)
      if (e.type === 'teacher.status' && ['done', 'failed', 'cancelled'].includes(e.status.state)) settle(e.status)
    })
    try {
      await this.call('teacher.run', {})
      const status = await finished
      progress.end()
      signal.throwIfAborted()
      if (status.state !== 'done') throw new CliError(`the teacher (${status.model}) could not embed the project: ${status.message ?? status.state}`, EXIT.failed)
      if (status.message) console.error(`teacher: ${status.message}`)
      return status
    } finally {
      off()
    }
  }

  /** Ctrl+C: stops a running teacher pass or round (each leaves the project consistent). */
  async cancelJobs(): Promise<void> {
    await this.api.handle('jobs.cancel', { job: 'round' })
    await this.api.handle('jobs.cancel', { job: 'embed' })
  }

  async close(): Promise<void> {
    await this.api.close()
  }
}

/** One progress line on stderr: rewritten in place on a terminal, a line every 2 s otherwise (logs). */
export class ProgressLine {
  private last = 0
  private shown = false
  private readonly tty = process.stderr.isTTY

  show(text: string, force = false): void {
    const now = Date.now()
    if (!force && now - this.last < (this.tty ? 200 : 2000)) return
    this.last = now
    this.shown = true
    if (this.tty) process.stderr.write(`\r${text}\x1b[K`)
    else console.error(text)
  }

  end(): void {
    if (this.tty && this.shown) process.stderr.write('\n')
    this.shown = false
  }
}

/** A class name -> its id, for the verbs' class arguments; an unknown name is bad input naming the known ones. */
export function classByName(classes: { id: number; name: string }[], name: string, where: string): number {
  const c = classes.find((x) => x.name === name) ?? classes.find((x) => x.name.toLowerCase() === name.toLowerCase())
  if (!c) throw new CliError(`${where}: no class "${name}"; the project's classes: ${classes.map((x) => x.name).join(', ') || '(none yet)'}`, EXIT.usage)
  return c.id
}

/** A probability in [0, 1] from an option, or a usage error naming it. */
export function probability(value: string | undefined, option: string, v: { usage(message: string): CliError }): number {
  const p = Number(value)
  if (value === undefined || value.trim() === '' || !(p >= 0 && p <= 1)) throw v.usage(`--${option} must be a probability from 0 to 1, not "${value ?? ''}"`)
  return p
}

/** A whole number >= min from an option, or a usage error naming it. */
export function wholeNumber(value: string | undefined, option: string, min: number, v: { usage(message: string): CliError }): number {
  const n = Number(value)
  if (value === undefined || !Number.isInteger(n) || n < min) throw v.usage(`--${option} must be a whole number >= ${min}, not "${value ?? ''}"`)
  return n
}

/** 0.8312 -> "83.1%"; null -> "n/a". */
export function percent(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`
}
