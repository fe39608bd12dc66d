/**
 * Identity and facts of one file: its content hash (sha256, streamed for large files) and what
 * sharp reads from its header, plus a cheap structural check that catches truncated files without
 * decoding every pixel (a full decode of 100k images would not fit the indexing budget; files that
 * pass here but fail to decode are caught when their thumbnail is made).
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream, readFileSync } from 'node:fs'
import sharp, { type Metadata } from 'sharp'
import { MAX_INPUT_PIXELS, describeImageError } from './scan'
import type { FileContent } from '../store/images'
import { readHeader } from './header'

/** Files up to this size are read once into memory, hashed and probed from the same buffer. */
const WHOLE_READ_LIMIT = 32 * 1024 * 1024

/** sha256 of a file, read in chunks so that a large file never sits in memory or blocks for long. */
export async function hashFile(abs: string, h: Hash = createHash('sha256')): Promise<string> {
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  // a copy: a caller that passed its hash goes on updating it (a resumed download)
  return h.copy().digest('hex')
}

/**
 * Reads a file's content identity and image facts. File-system errors (permission, vanished,
 * a folder named like an image) are thrown; problems with the content come back as `error`.
 *
 * Files up to 32 MB are read synchronously: on a local disk that is several times cheaper than a
 * thread-pool round trip per file, and the indexer yields to the event loop every few
 * milliseconds. Larger files are streamed.
 */
export async function identifyFile(abs: string, size: number): Promise<FileContent> {
  if (size > WHOLE_READ_LIMIT) {
    const hash = await hashFile(abs)
    return { hash, bytes: size, ...(await probe(abs, null)) }
  }
  return identifyBuffer(readFileSync(abs))
}

/** Identity and facts of bytes already in memory. */
export async function identifyBuffer(buf: Buffer): Promise<FileContent> {
  const hash = createHash('sha256').update(buf).digest('hex')
  if (buf.length === 0) return { hash, bytes: 0, width: null, height: null, format: null, error: 'empty file (0 bytes)' }
  const head = readHeader(buf)
  if (head && head.width > 0 && head.height > 0) return { hash, bytes: buf.length, ...facts(head.format, head.width, head.height, head.orientation, buf) }
  return { hash, bytes: buf.length, ...(await probe(buf, buf)) }
}

type Facts = Pick<FileContent, 'width' | 'height' | 'format' | 'error'>

function facts(format: string, storedWidth: number, storedHeight: number, orientation: number, buf: Buffer | null): Facts {
  // Orientations 5-8 swap width and height once the image is shown upright.
  const swap = orientation >= 5
  const width = swap ? storedHeight : storedWidth
  const height = swap ? storedWidth : storedHeight
  if (storedWidth * storedHeight > MAX_INPUT_PIXELS) {
    return { width, height, format, error: `image is ${storedWidth}x${storedHeight} pixels, above the ${MAX_INPUT_PIXELS.toLocaleString('en')} pixel limit (a decompression bomb or a huge scan)` }
  }
  return { width, height, format, error: buf ? structuralProblem(buf, format) : null }
}

async function probe(input: string | Buffer, buf: Buffer | null): Promise<Facts> {
  let meta: Metadata
  try {
    meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
  } catch (err) {
    return { width: null, height: null, format: null, error: describeImageError(err) }
  }
  const format = meta.format ?? null
  if (!meta.width || !meta.height) return { width: null, height: null, format, error: 'no image dimensions in the file header' }
  if (meta.width * meta.height > MAX_INPUT_PIXELS) return facts(format ?? 'unknown', meta.width, meta.height, meta.orientation ?? 1, null)
  // Animated or multi-page images: one page is what a person sees and labels.
  const pageHeight = (meta.pages ?? 1) > 1 && meta.pageHeight ? meta.pageHeight : meta.height
  return facts(format ?? 'unknown', meta.width, pageHeight, meta.orientation ?? 1, buf)
}

/** A reason when the bytes end before the image does; null when they look complete. */
export function structuralProblem(buf: Buffer, format: string | null): string | null {
  switch (format) {
    case 'jpeg':
      return jpegComplete(buf) ? null : 'truncated file: the JPEG data ends before its end marker'
    case 'png':
      return buf.lastIndexOf('IEND', undefined, 'latin1') > 8 ? null : 'truncated file: the PNG has no end chunk'
    case 'gif':
      return buf.subarray(Math.max(0, buf.length - 16)).includes(0x3b) ? null : 'truncated file: the GIF has no trailer'
    case 'webp': {
      if (buf.length < 12) return 'truncated file'
      return buf.readUInt32LE(4) + 8 <= buf.length ? null : 'truncated file: shorter than its RIFF header says'
    }
    case 'heif': {
      // ISO base media boxes: size (4 bytes, big-endian) + type; the last box must fit in the file.
      let at = 0
      while (at + 8 <= buf.length) {
        let len = buf.readUInt32BE(at)
        if (len === 1 && at + 16 <= buf.length) len = Number(buf.readBigUInt64BE(at + 8))
        if (len === 0) return null // "to the end of the file"
        if (len < 8) return 'damaged file: invalid box size'
        at += len
      }
      return at === buf.length ? null : 'truncated file: shorter than its boxes say'
    }
    default:
      return null // TIFF and others: left to the full decode at thumbnail time
  }
}

/**
 * Walks the JPEG segments up to the first scan, then looks for the end marker after it. Walking by
 * segment length skips an EXIF thumbnail, whose own end marker would otherwise hide a truncation.
 */
function jpegComplete(buf: Buffer): boolean {
  let at = 2
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return false
    const marker = buf[at + 1] as number
    if (marker === 0xff) {
      at += 1 // fill byte
      continue
    }
    if (marker === 0xda) break // start of scan: entropy-coded data follows
    if (marker >= 0xd0 && marker <= 0xd9) {
      at += 2
      continue
    }
    at += 2 + buf.readUInt16BE(at + 2)
  }
  if (at + 4 > buf.length) return false
  return buf.indexOf(Buffer.from([0xff, 0xd9]), at) !== -1
}
