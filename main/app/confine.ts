/**
 * Which folders and files a request may name. The desktop app opens whatever its user picks; the web
 * host confines every path a request carries (a folder to open, a teacher's file) to its root
 * (`serve --root`, by default the folder served), because anyone holding its token could otherwise
 * read any folder of the machine. HostOptions.root says which applies.
 */
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import { StudioError } from '../../preload/contract'
import type { HostOptions } from './context'

/** Whether `p` is `root` or below it (both absolute; no file system access). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

/** Whether a listed folder may be shown to this host (recent projects): lexically, no disk access. */
export function mayName(host: HostOptions, folder: string): boolean {
  if (host.root === undefined) return true
  return host.root !== null && isInside(host.root, path.resolve(folder))
}

/**
 * The path a request named, as the host may use it: unchanged where nothing is confined; otherwise
 * its real path (relative paths are taken from the root), refused unless it lies inside the root
 * once every symbolic link and `..` is resolved. The caller uses the returned real path, so a link
 * cannot point elsewhere between the check and the use without being a new request.
 */
export async function confined(host: HostOptions, candidate: string, what: string): Promise<string> {
  const root = host.root
  if (root === undefined) return candidate
  if (root === null)
    throw new StudioError('forbidden', `this server was started without a folder or --root, so a browser cannot name a ${what}: restart it as \`npm run serve -- <folder>\` or with \`--root DIR\``)
  const abs = path.resolve(root, candidate)
  const outside = () => new StudioError('forbidden', `${abs} is outside ${root}, the only folder this server lets a browser name (its --root)`)
  let real: string
  try {
    real = await realpath(abs)
  } catch {
    // Whether something outside the root exists is not the browser's to learn: only inside is it "not found".
    if (!isInside(root, abs)) throw outside()
    throw new StudioError('not_found', `${what} not found: ${abs}`)
  }
  if (!isInside(root, real)) throw outside()
  return real
}
