/**
 * Reads width, height and EXIF orientation straight from the bytes of the common formats (JPEG,
 * PNG, GIF, WebP). At 100k images a round trip through sharp per file costs more than reading and
 * hashing the file; these few byte lookups cost microseconds. Anything this does not recognise
 * goes to sharp, which has the final word (and the thumbnail's full decode catches what slips by).
 */
export interface Header {
  format: 'jpeg' | 'png' | 'gif' | 'webp'
  /** As stored, before orientation. */
  width: number
  height: number
  orientation: number
}

export function readHeader(b: Buffer): Header | null {
  if (b.length < 16) return null
  if (b[0] === 0xff && b[1] === 0xd8) return jpeg(b)
  if (b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR' && b.length >= 24) {
    return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20), orientation: 1 }
  }
  const six = b.toString('latin1', 0, 6)
  if (six === 'GIF87a' || six === 'GIF89a') return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8), orientation: 1 }
  if (b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' && b.length >= 30) return webp(b)
  return null
}

function webp(b: Buffer): Header | null {
  const chunk = b.toString('latin1', 12, 16)
  if (chunk === 'VP8 ' && b.readUIntBE(23, 3) === 0x9d012a) return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff, orientation: 1 }
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = b.readUInt32LE(21)
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, orientation: 1 }
  }
  if (chunk === 'VP8X') {
    // EXIF orientation in extended WebP is rare and would need the EXIF chunk: leave it to sharp.
    if ((b[20] as number) & 0x08) return null
    return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1, orientation: 1 }
  }
  return null
}

function jpeg(b: Buffer): Header | null {
  let at = 2
  let orientation = 1
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null
    const m = b[at + 1] as number
    if (m === 0xff) {
      at++
      continue
    }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      at += 2
      continue
    }
    const len = b.readUInt16BE(at + 2)
    if (m === 0xe1 && b.toString('latin1', at + 4, at + 10) === 'Exif\0\0') orientation = exifOrientation(b, at + 10, at + 2 + len) ?? orientation
    // SOF markers (not DHT c4, JPG c8, DAC cc): precision, height, width.
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return { format: 'jpeg', height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7), orientation }
    }
    if (m === 0xda) return null // scan before any frame header: not a JPEG we understand
    at += 2 + len
  }
  return null
}

function exifOrientation(b: Buffer, tiff: number, end: number): number | null {
  if (tiff + 8 > end || end > b.length) return null
  const le = b.toString('latin1', tiff, tiff + 2) === 'II'
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o))
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const ifd = tiff + u32(tiff + 4)
  if (ifd + 2 > end) return null
  const n = u16(ifd)
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12
    if (e + 12 > end) return null
    if (u16(e) === 0x0112) {
      const v = u16(e + 8)
      return v >= 1 && v <= 8 ? v : null
    }
  }
  return null
}
