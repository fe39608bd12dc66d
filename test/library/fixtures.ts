/** Real image files on disk for the library and store tests, made with sharp in a temp folder. */
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import sharp, { type Sharp } from 'sharp'

export function tempDir(prefix = 'pls-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

/** A noisy RGB(A) image, so that two calls with different seeds never give the same bytes. */
export function noise(width: number, height: number, seed: number, channels: 3 | 4 = 3): Sharp {
  const px = Buffer.alloc(width * height * channels)
  let x = seed * 2654435761 + 1
  for (let i = 0; i < px.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    px[i] = x >>> 24
  }
  return sharp(px, { raw: { width, height, channels } })
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td) >>> 0)
  return Buffer.concat([len, td, crc])
}

/** A tiny PNG whose header claims width x height pixels: a decompression bomb as far as a decoder knows. */
export function bombPng(width = 20000, height = 20000): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), pngChunk('IEND', Buffer.alloc(0))])
}

export interface Fixture {
  root: string
  good: Record<string, { width: number; height: number; format: string }>
  bad: string[]
}

/**
 * Writes a folder with every kind of image and bad file the indexer must handle. Good images map to
 * their expected upright size and format; `bad` lists paths that must be reported unreadable.
 */
export async function makeFixture(root = tempDir()): Promise<Fixture> {
  const good: Fixture['good'] = {}
  const put = async (rel: string, img: Sharp, width: number, height: number, format: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    await img.toFile(path.join(root, rel))
    good[rel] = { width, height, format }
  }
  await put('formats/a.jpg', noise(40, 30, 1).jpeg(), 40, 30, 'jpeg')
  await put('formats/b.png', noise(41, 31, 2).png(), 41, 31, 'png')
  await put('formats/c.webp', noise(42, 32, 3).webp(), 42, 32, 'webp')
  await put('formats/d.gif', noise(43, 33, 4).gif(), 43, 33, 'gif')
  await put('formats/e.tiff', noise(44, 34, 5).tiff(), 44, 34, 'tiff')
  await put('formats/f.avif', noise(46, 36, 6).avif({ effort: 0 }), 46, 36, 'heif')
  // EXIF orientation 6: stored 60x20, shown upright as 20x60.
  await put('kinds/rotated.jpg', noise(60, 20, 7).jpeg().withMetadata({ orientation: 6 }), 20, 60, 'jpeg')
  await put('kinds/gray.png', noise(30, 30, 8).grayscale().png(), 30, 30, 'png')
  await put('kinds/sixteen.png', noise(30, 30, 9).toColourspace('rgb16').png(), 30, 30, 'png')
  await put('kinds/cmyk.jpg', noise(30, 30, 10).toColourspace('cmyk').jpeg(), 30, 30, 'jpeg')
  await put('kinds/alpha.png', noise(30, 30, 11, 4).png(), 30, 30, 'png')
  await put('kinds/palette.png', noise(30, 30, 12).png({ palette: true, colours: 16 }), 30, 30, 'png')
  await put('kinds/big.jpg', noise(600, 400, 13).jpeg(), 600, 400, 'jpeg')

  // Skipped entirely: hidden folders, hidden files, the studio's folder, non-image names.
  mkdirSync(path.join(root, '.hidden'), { recursive: true })
  await noise(10, 10, 20).png().toFile(path.join(root, '.hidden/secret.png'))
  await noise(10, 10, 21).png().toFile(path.join(root, 'formats/.dotfile.png'))
  mkdirSync(path.join(root, '.pseudolabel/thumbs'), { recursive: true })
  await noise(10, 10, 22).png().toFile(path.join(root, '.pseudolabel/thumbs/x.png'))
  writeFileSync(path.join(root, 'formats/readme.txt'), 'not an image name')

  const bad: string[] = []
  const putBad = (rel: string, bytes: Buffer | string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), bytes)
    bad.push(rel)
  }
  putBad('bad/empty.jpg', Buffer.alloc(0))
  putBad('bad/text.jpg', 'hello, I am a text file with an image name\n')
  const jpg = await noise(200, 150, 30).jpeg().toBuffer()
  putBad('bad/truncated.jpg', jpg.subarray(0, Math.floor(jpg.length * 0.6)))
  const png = await noise(200, 150, 31).png().toBuffer()
  putBad('bad/truncated.png', png.subarray(0, Math.floor(png.length * 0.6)))
  putBad('bad/bomb.png', bombPng())
  // A symbolic link loop (a folder linking to its parent) and a link to itself.
  mkdirSync(path.join(root, 'loop'), { recursive: true })
  symlinkSync('..', path.join(root, 'loop/up'))
  bad.push('loop/up/')
  symlinkSync('self.jpg', path.join(root, 'bad/self.jpg'))
  bad.push('bad/self.jpg')
  return { root, good, bad }
}
