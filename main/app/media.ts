/**
 * Image bytes for the transports (Electron's custom protocol, the web host's media route). Both parse
 * the same path shape and get the same checks, so neither can read outside the project folder.
 */
import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import type { MediaKind } from '../../preload/contract'
import { MAX_INPUT_PIXELS } from '../engine/library/scan'
import type { Project } from '../engine/project/project'
import { PathRefused, resolveInside } from '../engine/library/safe-path'

/** Formats a browser shows as they are; others (TIFF, HEIF) are converted for the viewer. */
const BROWSER_FORMATS: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' }

export interface MediaReply {
  bytes: Buffer
  mime: string
}

/**
 * Image bytes of `project` for a transport. `rel` is checked twice: it must resolve inside the project
 * folder (no `..`, absolute paths or symlinks out), and it must be a file of one of the project's images.
 */
export async function projectMedia(project: Project, kind: MediaKind, rel: string): Promise<MediaReply> {
  const abs = await resolveInside(project.folder, rel)
  const image = project.store.images.byPath(rel)
  if (!image) throw new PathRefused(404, `not an image of the open project: ${rel}`)
  if (kind === 'thumb') return { bytes: await project.thumbnail(image.id, { priority: 1 }), mime: 'image/webp' }
  const mime = image.format ? BROWSER_FORMATS[image.format] : undefined
  if (mime) return { bytes: await readFile(abs), mime }
  // Browsers cannot show TIFF or HEIF: convert, keeping the full size up to a sane bound.
  const bytes = await sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .resize(4096, 4096, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 90 })
    .toBuffer()
  return { bytes, mime: 'image/webp' }
}

/**
 * Parses the path both transports use for images, `<kind>/<segments, each URI-encoded>`. A segment
 * that decodes to `..` or a slash is caught afterwards by resolveInside.
 */
export function parseMediaPath(rest: string): [MediaKind, string] {
  const slash = rest.indexOf('/')
  const kind = rest.slice(0, slash)
  if (slash < 0 || (kind !== 'thumb' && kind !== 'original')) throw new PathRefused(404, 'media paths are thumb/<path> or original/<path>')
  try {
    return [kind, rest.slice(slash + 1).split('/').map(decodeURIComponent).join('/')]
  } catch {
    throw new PathRefused(400, 'malformed percent-encoding in the path')
  }
}
