import { realpath } from 'node:fs/promises'
import path from 'node:path'

/**
 * Why a relative path was refused. `reason` is shown to the user; `status` is what the web host
 * answers (400 for a malformed path, 403 for one that leaves the folder, 404 for a missing file).
 */
export class PathRefused extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    reason: string,
  ) {
    super(reason)
    this.name = 'PathRefused'
  }
}

/**
 * Resolves `rel` (forward slashes, relative to `root`) to a real file path that lies inside `root`.
 * Refuses absolute paths, `..` and `.` segments, NUL bytes, backslashes, and symbolic links that
 * resolve outside the folder. This is the only way a transport turns a request into a file path.
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  if (rel.length === 0 || rel.length > 4096) throw new PathRefused(400, 'path is empty or too long')
  if (rel.includes('\0')) throw new PathRefused(400, 'path contains a NUL byte')
  if (rel.includes('\\')) throw new PathRefused(400, 'path contains a backslash; use forward slashes')
  if (rel.startsWith('/') || /^[a-zA-Z]:/.test(rel)) throw new PathRefused(403, 'absolute paths are not allowed; give a path relative to the project folder')
  const segments = rel.split('/')
  if (segments.some((s) => s === '..' || s === '.' || s === '')) throw new PathRefused(403, 'path segments "..", "." and empty ones are not allowed')
  const rootReal = await realpath(root)
  let real: string
  try {
    real = await realpath(path.join(rootReal, ...segments))
  } catch {
    throw new PathRefused(404, `no such file in the project folder: ${rel}`)
  }
  if (!real.startsWith(rootReal + path.sep)) throw new PathRefused(403, 'path resolves outside the project folder (symbolic link?)')
  return real
}
