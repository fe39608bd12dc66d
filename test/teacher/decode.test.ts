import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadManifest } from '../../main/engine/teacher'
import type { Manifest } from '../../main/engine/teacher'
import { DECODE_VERSION, decodeInto } from '../../main/engine/teacher/preprocess'
import { preprocessHashOf } from '../../main/engine/teacher/model'
import { cacheFileName } from '../../main/engine/teacher/cache'
import { shardFileName } from '../../main/engine/teacher/shard'

let tmp: string
let manifest: Manifest

/** Writes a w x h RGB PNG whose pixel (x, y) is `px(x, y)`. */
async function png(name: string, w: number, h: number, px: (x: number, y: number) => [number, number, number]): Promise<string> {
  const raw = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set(px(x, y), (y * w + x) * 3)
  const file = path.join(tmp, name)
  await writeFile(file, await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer())
  return file
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'decode-test-'))
  manifest = (await loadManifest('mobilenetv2-12-int8')).manifest
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('the decode path', () => {
  it('keeps a solid colour exactly, at the offset asked, for every kernel and both geometries', async () => {
    const file = await png('solid.png', 40, 30, () => [200, 100, 50])
    for (const interpolation of ['bilinear', 'bicubic', 'lanczos3', 'nearest'] as const)
      for (const resize of ['shorter-side-then-centre-crop', 'squash'] as const) {
        const dest = new Uint8Array(7 + 224 * 224 * 3).fill(9)
        await decodeInto(file, { ...manifest.preprocess, interpolation, resize }, [224, 224], dest, 7)
        expect(Array.from(dest.subarray(0, 7))).toEqual(new Array(7).fill(9))
        const px = dest.subarray(7)
        for (let i = 0; i < px.length; i += 3) if (px[i] !== 200 || px[i + 1] !== 100 || px[i + 2] !== 50) throw new Error(`${interpolation} ${resize}: pixel ${i / 3} is ${px.subarray(i, i + 3).join(',')}`)
      }
  })

  it('scales the shorter side to resizeTo and crops the centre: a gradient lands where the geometry says', async () => {
    // 64 x 32: red rises 2 per column, green 3 per row. Shorter side 32 -> 256 is a scale of 8
    // (width 512); the centre 224 x 224 starts at x = 144, y = 16. Sampling at pixel centres, output
    // (c, r) sees source x = (c + 144 + 0.5) / 8 - 0.5, y = (r + 16 + 0.5) / 8 - 0.5, and a linear
    // ramp stays linear under any interpolating kernel away from the borders.
    const file = await png('gradient.png', 64, 32, (x, y) => [40 + 2 * x, 10 + 3 * y, 77])
    const dest = new Uint8Array(224 * 224 * 3)
    await decodeInto(file, manifest.preprocess, [224, 224], dest, 0)
    let worst = 0
    for (let r = 24; r < 200; r++)
      for (let c = 24; c < 200; c++) {
        const o = (r * 224 + c) * 3
        const red = 40 + 2 * ((c + 144 + 0.5) / 8 - 0.5)
        const green = 10 + 3 * ((r + 16 + 0.5) / 8 - 0.5)
        worst = Math.max(worst, Math.abs(dest[o]! - red), Math.abs(dest[o + 1]! - green), Math.abs(dest[o + 2]! - 77))
      }
    // Only the rounding to whole grey levels: a crop off by one source pixel would be 16 levels out.
    expect(worst).toBeLessThanOrEqual(0.6)
  })

  it('gives three equal channels for a grey image', async () => {
    const raw = Buffer.from(Array.from({ length: 16 * 16 }, (_, i) => i % 256))
    const file = path.join(tmp, 'grey.png')
    await writeFile(file, await sharp(raw, { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer())
    const dest = new Uint8Array(224 * 224 * 3)
    await decodeInto(file, manifest.preprocess, [224, 224], dest, 0)
    let unequal = 0
    for (let i = 0; i < dest.length; i += 3) if (dest[i] !== dest[i + 1] || dest[i] !== dest[i + 2]) unequal++
    expect(unequal).toBe(0)
    expect(new Set(dest).size).toBeGreaterThan(100) // the ramp survived, not one flat grey
  })

  it('names the file and the reason when it cannot decode', async () => {
    const file = path.join(tmp, 'broken.png')
    await writeFile(file, 'not a png')
    await expect(decodeInto(file, manifest.preprocess, [224, 224], new Uint8Array(224 * 224 * 3), 0)).rejects.toThrow(/unsupported image format|Input file/)
  })
})

describe('the embedding cache key', () => {
  it('changes with DECODE_VERSION, for a whole folder and for a shard', async () => {
    const key = (hash: string) => ({ modelSha256: manifest.file.sha256, preprocessHash: hash })
    const now = preprocessHashOf(manifest)
    // model.ts as it would be with the previous decoder: a fresh module graph with another DECODE_VERSION.
    vi.resetModules()
    vi.doMock('../../main/engine/teacher/preprocess', async (orig) => ({ ...(await orig<object>()), DECODE_VERSION: DECODE_VERSION - 1 }))
    const older = await import('../../main/engine/teacher/model')
    vi.doUnmock('../../main/engine/teacher/preprocess')
    const before = older.preprocessHashOf(manifest)
    expect(before).not.toBe(now)
    expect(cacheFileName(key(before))).not.toBe(cacheFileName(key(now)))
    const shard = { index: 0, count: 2 }
    expect(shardFileName(key(before), shard)).not.toBe(shardFileName(key(now), shard))
  })
})

describe('the normalisation in the graph', () => {
  it('gives the original model’s scores on pixels normalised in JavaScript (measured: identical)', async () => {
    const { Teacher } = await import('../../main/engine/teacher')
    const ort = await import('onnxruntime-node')
    const { TEST_TEACHER } = await import('../shared')
    const teacher = await Teacher.open('mobilenetv2-12-int8', { cacheDir: path.join(tmp, 'models'), provider: 'cpu', intraOpThreads: 1, reportNodes: false })
    try {
      const file = await png('colours.png', 48, 40, (x, y) => [(x * 5) % 256, (y * 6) % 256, (x * y) % 256])
      const px = new Uint8Array(224 * 224 * 3)
      await decodeInto(file, manifest.preprocess, [224, 224], px, 0)
      const { mean, std, scale } = manifest.preprocess
      const x = new Float32Array(3 * 224 * 224)
      for (let c = 0; c < 3; c++) for (let q = 0; q < 224 * 224; q++) x[c * 224 * 224 + q] = (px[q * 3 + c]! * scale - mean[c]!) / std[c]!
      const session = await ort.InferenceSession.create(TEST_TEACHER, { executionProviders: ['cpu'], intraOpNumThreads: 1 })
      const ref = (await session.run({ input: new ort.Tensor('float32', x, [1, 3, 224, 224]) })).output!.data as Float32Array
      await session.release()
      const { scores } = await teacher.infer(px.slice(), 1)
      // int8 model: an input at a quantisation boundary could round the other way on another CPU.
      let far = 0
      for (let i = 0; i < ref.length; i++) if (Math.abs(scores![i]! - ref[i]!) > 1e-3) far++
      expect(far).toBeLessThanOrEqual(ref.length / 100)
      expect(scores!.indexOf(Math.max(...scores!))).toBe(ref.indexOf(Math.max(...ref)))
    } finally {
      await teacher.close()
    }
  })
})
