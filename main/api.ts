/**
 * The contract of preload/contract.ts, implemented once. Both transports (Electron IPC in
 * main/electron, HTTP in main/server) call `handle` for requests and `media` for image bytes; neither
 * does any work of its own. Every input is validated here, because the renderer is untrusted.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import {
  StudioError,
  type AppInfo,
  type ImageInfo,
  type MediaKind,
  type ProjectSummary,
  type Reply,
  type RequestName,
  type RequestResults,
  type StudioEvent,
} from '../preload/contract'
import { requestSchemas } from '../preload/schemas'
import { MAX_INPUT_PIXELS, scanFolder, STUDIO_DIR, type ScanResult } from './engine/library/scan'
import { thumbnail } from './engine/library/thumbnail'
import { PathRefused, resolveInside } from './engine/library/safe-path'
import { ProgressMeter } from './engine/progress'

export const STUDIO_VERSION = '0.1.0'

export interface HostOptions {
  host: AppInfo['host']
  /** Shows a native folder dialog; absent where the host has none (the web host). */
  pickFolder?: () => Promise<string | null>
}

interface OpenProject {
  folder: string
  scan: ScanResult
  byPath: Map<string, ImageInfo>
}

/** Formats a browser shows as they are; others (TIFF) are converted for the viewer. */
const BROWSER_FORMATS: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' }

export interface MediaReply {
  bytes: Buffer
  mime: string
}

export class StudioApi {
  private project: OpenProject | null = null
  private readonly listeners = new Set<(event: StudioEvent) => void>()

  constructor(private readonly hostOptions: HostOptions) {}

  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** Validates and runs one request. Never throws: failures come back as `{ ok: false, error }`. */
  async handle(name: string, input: unknown): Promise<Reply<unknown>> {
    try {
      if (!Object.hasOwn(requestSchemas, name)) throw new StudioError('invalid_input', `unknown request "${name}"`)
      const schema = requestSchemas[name as RequestName]
      const parsed = schema.safeParse(input ?? {})
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const field = issue?.path.join('.') || '(body)'
        throw new StudioError('invalid_input', `${name}: field ${field}: ${issue?.message ?? 'invalid'}`)
      }
      return { ok: true, value: await this.run(name as RequestName, parsed.data) }
    } catch (err) {
      return { ok: false, error: toErrorShape(err) }
    }
  }

  private async run(name: RequestName, input: unknown): Promise<RequestResults[RequestName]> {
    switch (name) {
      case 'app.info':
        return this.info()
      case 'dialog.pickFolder':
        return this.hostOptions.pickFolder ? this.hostOptions.pickFolder() : null
      case 'project.open':
        return this.open((input as { folder: string }).folder)
      case 'images.page': {
        const { offset, limit } = input as { offset: number; limit: number }
        const images = this.requireProject().scan.images
        return { total: images.length, offset, images: images.slice(offset, offset + limit).map(imageInfo) }
      }
      case 'images.get': {
        const { relPath } = input as { relPath: string }
        const image = this.requireProject().byPath.get(relPath)
        if (!image) throw new StudioError('not_found', `no image "${relPath}" in the open project`)
        return image
      }
    }
  }

  info(): AppInfo {
    return {
      version: STUDIO_VERSION,
      host: this.hostOptions.host,
      canPickFolder: Boolean(this.hostOptions.pickFolder),
      project: this.project ? summary(this.project) : null,
    }
  }

  /** Opens `folder` as the project: lists and probes its images, reporting progress. */
  async open(folder: string): Promise<ProjectSummary> {
    const abs = path.resolve(folder)
    let st
    try {
      st = await stat(abs)
    } catch {
      throw new StudioError('not_found', `folder not found: ${abs}`)
    }
    if (!st.isDirectory()) throw new StudioError('invalid_input', `not a folder: ${abs}; choose the folder that holds your images`)
    const meter = new ProgressMeter()
    const scan = await scanFolder(abs, {
      onProgress: (done, total) => {
        if (meter.due(done, total)) this.emit({ type: 'progress', job: 'index', stage: 'reading images', ...meter.report(done, total) })
      },
    })
    const project: OpenProject = { folder: abs, scan, byPath: new Map(scan.images.map((i) => [i.relPath, imageInfo(i)])) }
    this.project = project
    const result = summary(project)
    this.emit({ type: 'project.opened', project: result })
    return result
  }

  private requireProject(): OpenProject {
    if (!this.project) throw new StudioError('no_project', 'no project is open; open a folder first')
    return this.project
  }

  /**
   * Image bytes for a transport. `rel` is checked twice: it must resolve inside the project folder
   * (no `..`, absolute paths or symlinks out), and it must be one of the project's images.
   */
  async media(kind: MediaKind, rel: string): Promise<MediaReply> {
    const project = this.requireProject()
    const abs = await resolveInside(project.folder, rel)
    const image = project.byPath.get(rel)
    if (!image) throw new PathRefused(404, `not an image of the open project: ${rel}`)
    if (kind === 'thumb') {
      const key = `${rel}\0${image.size}\0${(await stat(abs)).mtimeMs}`
      return { bytes: await thumbnail(abs, path.join(projectDataDir(project.folder), 'thumbs'), key), mime: 'image/webp' }
    }
    const mime = BROWSER_FORMATS[image.format]
    if (mime) return { bytes: await readFile(abs), mime }
    // Browsers cannot show TIFF: convert, keeping the full size up to a sane bound.
    const bytes = await sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize(4096, 4096, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 90 })
      .toBuffer()
    return { bytes, mime: 'image/webp' }
  }
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

/**
 * Where the studio keeps a project's data: `<folder>/.pseudolabel`, or under STUDIO_DATA_DIR when
 * that is set (tests use it to leave the shared datasets untouched).
 */
export function projectDataDir(folder: string): string {
  const override = process.env.STUDIO_DATA_DIR
  if (!override) return path.join(folder, STUDIO_DIR)
  return path.join(override, 'projects', createHash('sha256').update(path.resolve(folder)).digest('hex').slice(0, 16))
}

function imageInfo(i: ImageInfo): ImageInfo {
  return { relPath: i.relPath, width: i.width, height: i.height, format: i.format, size: i.size }
}

function summary(p: OpenProject): ProjectSummary {
  return { folder: p.folder, name: path.basename(p.folder), imageCount: p.scan.images.length, unreadable: p.scan.unreadable }
}

export function toErrorShape(err: unknown): { code: StudioError['code']; message: string } {
  if (err instanceof StudioError) return { code: err.code, message: err.message }
  if (err instanceof PathRefused) return { code: err.status === 404 ? 'not_found' : 'forbidden', message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message }
}
