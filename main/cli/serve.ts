import { readFileSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { APP_ROOT } from '../engine/paths'
import { StudioApi } from '../app/studio'
import { defaultAppDataDir } from '../engine/project/locations'
import { isWildcard, validPublicHost } from '../server/guards'
import { loadTls, type TlsFiles } from '../server/tls'
import { parseReviewersFile, ReviewerError, reviewersOf, type Reviewer } from '../server/reviewers'
import { startWebHost } from '../server/webhost'
import { parseArgs, UsageError } from './args'

const USAGE = `usage: npm run serve -- [<folder>] [--root DIR] [--port N] [--host H] [--public-host NAME[,NAME...]] [--tls-cert FILE --tls-key FILE] [--reviewer NAME ...] [--reviewers FILE]
  <folder>             the project to open at start
  --root DIR           the only folder (and below) a browser may open or name files in (default: <folder>;
                       with neither, a browser can open only the demo). \`--root /\` allows the whole machine
  --port N             port to listen on (default 7878; 0 picks a free one)
  --host H             address to bind (default 127.0.0.1; 0.0.0.0 lets other machines connect)
  --public-host NAME   the name (NAME or NAME:PORT) browsers reach this server by; with --host 0.0.0.0 every
                       request's Host header must be one of these or a loopback name (defeats DNS rebinding)
  --tls-cert FILE      serve HTTPS with this PEM certificate ...
  --tls-key FILE       ... and its unencrypted PEM private key
  --reviewer NAME      a named reviewer with their own URL and token (repeat for each); their decisions carry the name
  --reviewers FILE     reviewers from a file: one name per line (\`name <token>\` keeps a token across restarts), or a JSON list`

/** Every `--reviewer NAME` (or `--reviewer=NAME`), which may repeat, and the other arguments. */
function takeReviewerFlags(args: string[]): { names: string[]; rest: string[] } {
  const names: string[] = []
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--reviewer') {
      const name = args[++i]
      if (name === undefined) throw new UsageError('--reviewer needs a name')
      names.push(name)
    } else if (arg.startsWith('--reviewer=')) names.push(arg.slice('--reviewer='.length))
    else rest.push(arg)
  }
  return { names, rest }
}

function reviewersFrom(names: string[], file: string | true | undefined): Reviewer[] {
  if (file === true) throw new UsageError('--reviewers needs a file')
  let text: string | null = null
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read the reviewers file ${file}: ${(err as Error).message}`)
    }
  }
  const fromFile = text === null || file === undefined ? [] : parseReviewersFile(text, file)
  const fromFlags = names.map((name, i) => ({ name, where: `--reviewer #${i + 1}` }))
  // One check over both, so that a name in the file and on the command line is caught.
  return reviewersOf([...fromFile.map((r) => ({ ...r, where: `${file}: ${r.name}` })), ...fromFlags])
}

/** The built renderer, next to the sources: out/renderer. */
export const RENDERER_DIR = path.join(APP_ROOT, 'out/renderer')

interface ServeOptions {
  folder: string | undefined
  root: string | undefined
  port: number
  host: string
  publicHosts: string[]
  tlsFiles: { cert: string; key: string } | null
  reviewers: Reviewer[]
}

function serveOptions(args: string[]): ServeOptions | 'help' {
  const { names, rest } = takeReviewerFlags(args)
  const { positional, options } = parseArgs(rest, ['port', 'host', 'root', 'public-host', 'tls-cert', 'tls-key', 'reviewers'])
  if (options.has('help')) return 'help'
  const text = (name: string): string | undefined => {
    const v = options.get(name)
    if (v === true) throw new UsageError(`--${name} needs a value`)
    return v
  }
  const port = Number(text('port') ?? 7878)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${String(options.get('port'))}"`)
  const publicHosts = (text('public-host') ?? '').split(',').filter((n) => n !== '')
  const bad = publicHosts.find((n) => !validPublicHost(n))
  if (bad !== undefined) throw new UsageError(`--public-host "${bad}" is not a host name (NAME or NAME:PORT, e.g. studio.lab.example or studio.lab.example:443)`)
  const cert = text('tls-cert')
  const key = text('tls-key')
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give the certificate and its key')
  const reviewers = reviewersFrom(names, options.get('reviewers'))
  return { folder: positional[0], root: text('root'), port, host: text('host') ?? '127.0.0.1', publicHosts, tlsFiles: cert && key ? { cert, key } : null, reviewers }
}

/** The real path of the folder a browser may open in (--root, else the folder served); null when neither is given. */
async function rootFolder(o: ServeOptions): Promise<string | null> {
  const given = o.root ?? o.folder
  if (given === undefined) return null
  const abs = path.resolve(given)
  const isDir = await stat(abs).then(
    (s) => s.isDirectory(),
    () => false,
  )
  if (!isDir) throw new UsageError(`${o.root !== undefined ? '--root' : 'the folder'} ${abs} is not a folder`)
  return realpath(abs)
}

export async function run(args: string[]): Promise<number> {
  let o: ServeOptions
  let root: string | null
  let tls: TlsFiles | undefined
  try {
    const parsed = serveOptions(args)
    if (parsed === 'help') {
      console.log(USAGE)
      return 0
    }
    o = parsed
    root = await rootFolder(o)
    if (o.tlsFiles) tls = await loadTls(o.tlsFiles.cert, o.tlsFiles.key)
  } catch (err) {
    if (err instanceof ReviewerError) console.error(err.message)
    else console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : (err as Error).message)
    return 2
  }

  const api = new StudioApi({ host: 'web', appDataDir: defaultAppDataDir(), root })
  if (o.folder) {
    // From the working directory, as the command line means it (a request's relative path is taken from --root).
    const reply = await api.handle('project.open', { folder: path.resolve(o.folder) })
    if (!reply.ok) {
      console.error(`cannot open ${o.folder}: ${reply.error.message}`)
      return 2
    }
    const p = api.info().project
    console.log(`opened ${p?.folder}: ${p?.imageCount} images, ${p?.unreadable.length} unreadable`)
  }
  const web = await startWebHost({ api, staticDir: RENDERER_DIR, port: o.port, host: o.host, publicHosts: o.publicHosts, reviewers: o.reviewers, ...(tls ? { tls } : {}) })
  if (o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1') {
    console.log(`listening on ${o.host}: anyone who can reach this machine and has the token can see the project's images`)
    if (!tls) console.log('without --tls-cert/--tls-key the token and the images cross the network unencrypted')
  }
  if (isWildcard(o.host) && o.publicHosts.length === 0)
    console.warn(`warning: bound to ${o.host} without --public-host, so the Host header is not checked (a DNS-rebinding page could reach the studio); add --public-host <the name browsers use>`)
  console.log(root === null ? 'browsers can open only the demo project (start with a folder or --root DIR to allow more)' : `browsers may open folders inside ${root}`)
  if (o.reviewers.length === 0) {
    console.log(`Pseudolabel Studio is served at ${web.url}`)
    console.log('Open that URL in a browser (the token in it is the key). Ctrl+C stops the server.')
  } else {
    console.log(`Pseudolabel Studio is served to ${o.reviewers.length} reviewers, each at their own URL (the token in it is theirs: send each only their own):`)
    for (const { reviewer, url } of web.urls) console.log(`  ${reviewer}: ${url}`)
    console.log('Ctrl+C stops the server.')
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await web.close()
  await api.close()
  return 0
}
