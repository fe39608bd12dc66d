import path from 'node:path'
import { APP_ROOT } from '../engine/paths'
import { StudioApi } from '../app/studio'
import { defaultAppDataDir } from '../engine/project/locations'
import { startWebHost } from '../server/webhost'
import { parseArgs, UsageError } from './args'

const USAGE = 'usage: npm run serve -- <folder> [--port N] [--host H]\n  --port N  port to listen on (default 7878; 0 picks a free one)\n  --host H  address to bind (default 127.0.0.1; 0.0.0.0 lets other machines connect)'

/** The built renderer, next to the sources: out/renderer. */
export const RENDERER_DIR = path.join(APP_ROOT, 'out/renderer')

export async function run(args: string[]): Promise<number> {
  let folder: string | undefined
  let port: number
  let host: string
  try {
    const { positional, options } = parseArgs(args, ['port', 'host'])
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
  } catch (err) {
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
  const web = await startWebHost({ api, staticDir: RENDERER_DIR, port, host })
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.log(`listening on ${host}: anyone who can reach this machine and has the token can see the project's images`)
  }
  console.log(`Pseudolabel Studio is served at ${web.url}`)
  console.log('Open that URL in a browser (the token in it is the key). Ctrl+C stops the server.')
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await web.close()
  await api.close()
  return 0
}
