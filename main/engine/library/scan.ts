import { opendir, stat, realpath } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'

/** Extensions the studio treats as images (lower case, with the dot). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif'])

/** The studio's own data folder inside a project folder; never scanned. */
export const STUDIO_DIR = '.pseudolabel'

export interface ScannedImage {
  /** Path relative to the project folder, always with forward slashes. */
  relPath: string
  size: number
  mtimeMs: number
  width: number
  height: number
  format: string
}

export interface UnreadableFile {
  relPath: string
  reason: string
}

export interface ScanResult {
  images: ScannedImage[]
  unreadable: UnreadableFile[]
}

export interface ScanOptions {
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
  /** How many files are probed at once; decoding headers is I/O-bound. */
  concurrency?: number
}

/** Decompression-bomb guard: images above this many pixels are refused, not decoded. */
export const MAX_INPUT_PIXELS = 268_402_689 // sharp's own default (16383 x 16383)

function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase())
}

function toRel(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/')
}

/**
 * Lists image files below `root`, recursively. Hidden entries and the studio's data folder are
 * skipped; symbolic links are followed only when they stay inside `root` and are not loops.
 */
export async function listImageFiles(root: string, signal?: AbortSignal): Promise<{ files: string[]; unreadable: UnreadableFile[] }> {
  const rootReal = await realpath(root)
  const files: string[] = []
  const unreadable: UnreadableFile[] = []
  const seenDirs = new Set<string>()

  async function walk(dir: string): Promise<void> {
    signal?.throwIfAborted()
    const real = await realpath(dir)
    if (seenDirs.has(real)) return // a symlink loop
    seenDirs.add(real)
    let handle
    try {
      handle = await opendir(dir)
    } catch (err) {
      unreadable.push({ relPath: toRel(root, dir) + '/', reason: `folder cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` })
      return
    }
    const subdirs: string[] = []
    for await (const entry of handle) {
      if (entry.name.startsWith('.')) continue
      const abs = path.join(dir, entry.name)
      if (entry.isDirectory()) subdirs.push(abs)
      else if (entry.isFile() && isImageName(entry.name)) files.push(abs)
      else if (entry.isSymbolicLink()) {
        let target: string
        try {
          target = await realpath(abs)
        } catch {
          if (isImageName(entry.name)) unreadable.push({ relPath: toRel(root, abs), reason: 'broken symbolic link' })
          continue
        }
        if (target !== rootReal && !target.startsWith(rootReal + path.sep)) {
          if (isImageName(entry.name)) unreadable.push({ relPath: toRel(root, abs), reason: 'symbolic link points outside the project folder' })
          continue
        }
        const st = await stat(abs)
        if (st.isDirectory()) subdirs.push(abs)
        else if (st.isFile() && isImageName(entry.name)) files.push(abs)
      }
    }
    subdirs.sort()
    for (const sub of subdirs) await walk(sub)
  }

  await walk(root)
  files.sort()
  return { files, unreadable }
}

/** Reads an image's header with sharp; the error message says why a file is unusable. */
export async function probeImage(abs: string): Promise<{ width: number; height: number; format: string; size: number; mtimeMs: number }> {
  const st = await stat(abs)
  if (st.size === 0) throw new Error('empty file (0 bytes)')
  const meta = await sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
  if (!meta.width || !meta.height) throw new Error('no image dimensions in the file header')
  if (meta.width * meta.height > MAX_INPUT_PIXELS) {
    throw new Error(`image is ${meta.width}x${meta.height} pixels, above the ${MAX_INPUT_PIXELS.toLocaleString('en')} pixel limit`)
  }
  // EXIF orientations 5-8 swap width and height once the image is shown upright.
  const swap = (meta.orientation ?? 1) >= 5
  return {
    width: swap ? meta.height : meta.width,
    height: swap ? meta.width : meta.height,
    format: meta.format ?? 'unknown',
    size: st.size,
    mtimeMs: st.mtimeMs,
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the input order in the output. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  async function worker(): Promise<void> {
    while (next < items.length) {
      signal?.throwIfAborted()
      const i = next++
      out[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** Lists every image below `root` and reads its header; unreadable files are reported with a reason. */
export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const { files, unreadable } = await listImageFiles(root, options.signal)
  const images: ScannedImage[] = []
  let done = 0
  await mapLimit(
    files,
    options.concurrency ?? 8,
    async (abs) => {
      const relPath = toRel(root, abs)
      try {
        images.push({ relPath, ...(await probeImage(abs)) })
      } catch (err) {
        unreadable.push({ relPath, reason: describeImageError(err) })
      }
      options.onProgress?.(++done, files.length)
    },
    options.signal,
  )
  images.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))
  unreadable.sort((a, b) => (a.relPath < b.relPath ? -1 : 1))
  return { images, unreadable }
}

/** Turns a sharp or file-system error into a sentence a user can act on. */
export function describeImageError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: the studio may not read this file'
  if (code === 'ENOENT') return 'file disappeared while it was being read'
  if (/unsupported image format/i.test(msg)) return 'not an image sharp can decode (wrong extension or unsupported format)'
  if (/pixel limit/i.test(msg)) return msg.includes('above the') ? msg : 'image is too large to decode safely (pixel limit exceeded)'
  if (/premature end|truncated|corrupt|VipsJpeg|bad|invalid/i.test(msg)) return `damaged image data: ${msg.split('\n')[0]}`
  return msg.split('\n')[0] ?? msg
}
