/** What counts as an image file, and small helpers the indexer, thumbnails and teacher share. */

/** Extensions the studio treats as images (lower case, with the dot). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif'])

/** Decompression-bomb guard: images above this many pixels are refused, not decoded. */
export const MAX_INPUT_PIXELS = 268_402_689 // sharp's own default (16383 x 16383)

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
