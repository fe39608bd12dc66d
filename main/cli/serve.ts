import { readFileSync } from 'node:fs'
import path from 'node:path'
import { APP_ROOT } from '../engine/paths'
import { StudioApi } from '../app/studio'
import { defaultAppDataDir } from '../engine/project/locations'
import { parseReviewersFile, ReviewerError, reviewersOf, type Reviewer } from '../server/reviewers'
import { startWebHost } from '../server/webhost'
import { parseArgs, UsageError } from './args'

const USAGE = [
  'usage: npm run serve -- <folder> [--port N] [--host H] [--reviewer NAME ...] [--reviewers FILE]',
  '  --port N          port to listen on (default 7878; 0 picks a free one)',
  '  --host H          address to bind (default 127.0.0.1; 0.0.0.0 lets other machines connect)',
  '  --reviewer NAME   a named reviewer with their own URL and token (repeat for each); their decisions carry the name',
  '  --reviewers FILE  reviewers from a file: one name per line (`name <token>` keeps a token across restarts), or a JSON list',
].join('\n')

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

export async function run(args: string[]): Promise<number> {
  let folder: string | undefined
  let port: number
  let host: string
  let reviewers: Reviewer[]
  try {
    const { names, rest } = takeReviewerFlags(args)
    const { positional, options } = parseArgs(rest, ['port', 'host', 'reviewers'])
    if (options.has('help')) {
      console.log(USAGE)
      return 0
    }
    folder = positional[0]
    port = Number(options.get('port') ?? 7878)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${String(options.get('port'))}"`)
    const h = options.get('host') ?? '127.0.0.1'
    if (h === true) throw new UsageError('--host needs an address')
    host = h
    reviewers = reviewersFrom(names, options.get('reviewers'))
  } catch (err) {
    if (err instanceof ReviewerError) {
      console.error(err.message)
      return 2
    }
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }

  const api = new StudioApi({ host: 'web', appDataDir: defaultAppDataDir() })
  if (folder) {
    const reply = await api.handle('project.open', { folder })
    if (!reply.ok) {
      console.error(`cannot open ${folder}: ${reply.error.message}`)
      return 2
    }
    const p = api.info().project
    console.log(`opened ${p?.folder}: ${p?.imageCount} images, ${p?.unreadable.length} unreadable`)
  }
  const web = await startWebHost({ api, staticDir: RENDERER_DIR, port, host, reviewers })
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.log(`listening on ${host}: anyone who can reach this machine and has the token can see the project's images`)
  }
  if (reviewers.length === 0) {
    console.log(`Pseudolabel Studio is served at ${web.url}`)
    console.log('Open that URL in a browser (the token in it is the key). Ctrl+C stops the server.')
  } else {
    console.log(`Pseudolabel Studio is served to ${reviewers.length} reviewers, each at their own URL (the token in it is theirs: send each only their own):`)
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
