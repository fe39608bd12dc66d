import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import path from 'node:path'
import sharp from 'sharp'
import { MAX_INPUT_PIXELS } from './scan'

/** Longest side of a thumbnail, in pixels. */
export const THUMB_SIZE = 256

/**
 * Returns a WebP thumbnail of `abs`, from the on-disk cache when it is there. `key` identifies the
 * image's content (the caller decides what: a content hash, or path + size + mtime).
 */
export async function thumbnail(abs: string, cacheDir: string, key: string): Promise<Buffer> {
  const name = createHash('sha1').update(key).digest('hex')
  const file = path.join(cacheDir, name.slice(0, 2), name + '.webp')
  try {
    return await readFile(file)
  } catch {
    // not cached yet
  }
  const bytes = await sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS })
    .rotate() // honour EXIF orientation
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer()
  try {
    await mkdir(path.dirname(file), { recursive: true })
    // Write then rename so that a crash never leaves a half-written thumbnail in the cache.
    const tmp = `${file}.${process.pid}.tmp`
    await writeFile(tmp, bytes)
    await rename(tmp, file)
  } catch {
    // A read-only folder or a full disk only costs us the cache, not the thumbnail.
  }
  return bytes
}
