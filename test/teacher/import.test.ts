import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_TEACHER, dataset } from '../shared'
import { Teacher, loadManifest } from '../../main/engine/teacher'
import type { Manifest } from '../../main/engine/teacher'
import { checkOnImages, importTeacher, inspectFile, sampleImages } from '../../main/engine/teacher/import'
import { preprocessHashOf } from '../../main/engine/teacher/model'
import { decodeInto } from '../../main/engine/teacher/preprocess'
import { importVerb } from '../../main/cli/models-import'
import { HALF_DIM, NHWC_DIM, SIZE, TOKENS, TOKEN_DIM, batchOfOneModel, convReference, float16Model, halfWeights, meanColourModel, nhwcUint8Model, nhwcWeights, tokenModel } from './tiny-models'

let tmp: string
let images: string[]
const files: Record<string, string> = {}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'import-test-'))
  images = await sampleImages(path.join(dataset('hymenoptera'), 'pool'), 6)
  for (const [name, bytes] of Object.entries({ tokens: tokenModel(), tokens18: tokenModel(18), nhwc: nhwcUint8Model(), half: float16Model(), dynamic: meanColourModel(1), batchOfOne: batchOfOneModel(), batchOfTwo: batchOfOneModel(2), grey: meanColourModel('n', 1, [8, 8]) })) {
    files[name] = path.join(tmp, `${name}.onnx`)
    await writeFile(files[name], bytes)
  }
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const opts = (dryRun = true) => ({ modelsDir: path.join(tmp, 'models'), images, dryRun })

/** The RGB bytes the teacher is fed for each image under `m`'s recipe. */
async function decoded(m: Manifest, imgs: string[]): Promise<Uint8Array[]> {
  const [h, w] = m.input.size
  return Promise.all(
    imgs.map(async (img) => {
      const px = new Uint8Array(h * w * 3)
      await decodeInto(img, m.preprocess, m.input.size, px, 0)
      return px
    }),
  )
}

describe('importing the shipped teacher with no manifest', () => {
  it('finds the pre-classifier feature: the shipped manifest is what it proposes', async () => {
    const shipped = (await loadManifest('mobilenetv2-12-int8')).manifest
    const { inspection, proposal } = await inspectFile(TEST_TEACHER)
    expect(inspection.image).toMatchObject({ layout: 'NCHW', dtype: 'float32', batch: 'dynamic', size: [224, 224], channels: 3 })
    expect(inspection.scores).toEqual({ tensor: 'output', kind: 'logits', count: 1000 })
    expect(proposal.outputs).toEqual(shipped.outputs)
    expect(proposal.input).toEqual(shipped.input)
    expect(proposal.preprocess).toEqual(shipped.preprocess)
    expect(proposal.file.sha256).toBe(shipped.file.sha256)
  })

  it('saves a manifest whose embeddings equal the shipped manifest\'s (to 1e-5) on real images', async () => {
    const r = await importTeacher(TEST_TEACHER, {}, opts(false))
    // The shipped id is taken by the shipped manifest: the import gets the next free one.
    expect(r.manifest.id).toBe('mobilenetv2-12-int8-2')
    expect(r.saved).toBe(path.join(tmp, 'models', 'mobilenetv2-12-int8-2.json'))
    const imported = await loadManifest(r.saved as string)
    const cache = path.join(tmp, 'edited')
    const a = await Teacher.open('mobilenetv2-12-int8', { cacheDir: cache, provider: 'cpu', intraOpThreads: 1, reportNodes: false })
    const b = await Teacher.open(imported, { cacheDir: cache, provider: 'cpu', intraOpThreads: 1, reportNodes: false })
    try {
      const px = await decoded(a.manifest, r.images)
      const batch = () => {
        const all = new Uint8Array(px.length * px[0]!.length)
        px.forEach((p, i) => all.set(p, i * p.length))
        return all
      }
      const ea = (await a.infer(batch(), px.length)).embeddings
      const eb = (await b.infer(batch(), px.length)).embeddings
      let maxDiff = 0
      for (let i = 0; i < ea.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ea[i]! - eb[i]!))
      console.log(`shipped vs imported on ${px.length} hymenoptera images: max |diff| = ${maxDiff}`)
      expect(ea.length).toBe(px.length * 1280)
      expect(maxDiff).toBeLessThanOrEqual(1e-5)
      // And the check's own run gave the same vectors.
      for (let i = 0; i < ea.length; i++) expect(Math.abs(r.embeddings[i]! - ea[i]!)).toBeLessThanOrEqual(1e-5)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('a token-sequence model [N, 1+T, D]', () => {
  /** The raw sequence, flattened: the same output with no pooling is [N, T*D]. */
  async function rawTokens(m: Manifest): Promise<Float32Array> {
    const raw = { ...m, outputs: { embedding: { tensor: 'last_hidden_state', dim: TOKENS * TOKEN_DIM } } }
    return (await checkOnImages(raw, images)).embeddings
  }

  it('proposes CLS pooling for a class token and a square grid, and pools to token 0', async () => {
    const { inspection } = await inspectFile(files.tokens!)
    expect(inspection.candidates[0]).toMatchObject({ tensor: 'last_hidden_state', pooling: 'cls', dim: TOKEN_DIM })
    const r = await importTeacher(files.tokens!, {}, opts())
    expect(r.manifest.outputs.embedding).toMatchObject({ pooling: 'cls', dim: TOKEN_DIM })
    const raw = await rawTokens(r.manifest)
    for (let i = 0; i < r.images.length; i++) {
      for (let d = 0; d < TOKEN_DIM; d++) expect(r.embeddings[i * TOKEN_DIM + d]).toBeCloseTo(raw[i * TOKENS * TOKEN_DIM + d]!, 6)
    }
  })

  it.each(['tokens', 'tokens18'])('mean pooling gives the mean over the tokens (%s: ReduceMean before and after opset 18)', async (model) => {
    const r = await importTeacher(files[model]!, { pooling: 'mean' }, opts())
    const raw = await rawTokens(r.manifest)
    for (let i = 0; i < r.images.length; i++) {
      for (let d = 0; d < TOKEN_DIM; d++) {
        let s = 0
        for (let t = 0; t < TOKENS; t++) s += raw[(i * TOKENS + t) * TOKEN_DIM + d]!
        expect(r.embeddings[i * TOKEN_DIM + d]).toBeCloseTo(s / TOKENS, 5)
      }
    }
  })

  it('the pooling names the cache: cls and mean never share embeddings', async () => {
    const cls = (await inspectFile(files.tokens!)).proposal
    const mean = (await inspectFile(files.tokens!, { pooling: 'mean' })).proposal
    expect(preprocessHashOf(cls)).not.toBe(preprocessHashOf(mean))
  })
})

describe('other input layouts and types', () => {
  it('an NHWC uint8 model with a [N, D, 1, 1] output: fed raw bytes, flattened', async () => {
    const { inspection } = await inspectFile(files.nhwc!)
    expect(inspection.image).toMatchObject({ layout: 'NHWC', dtype: 'uint8', size: [SIZE, SIZE] })
    expect(inspection.candidates.map((c) => c.tensor)).toEqual(['features', 'constant'])
    const r = await importTeacher(files.nhwc!, {}, opts())
    expect(r.manifest.outputs.embedding.dim).toBe(NHWC_DIM)
    const px = await decoded(r.manifest, r.images)
    const w = nhwcWeights()
    px.forEach((p, i) => {
      const ref = convReference(p, w, NHWC_DIM, (byte) => byte)
      ref.forEach((v, d) => expect(r.embeddings[i * NHWC_DIM + d]).toBeCloseTo(v, 2))
    })
  })

  it('a float16 model: normalised in float32, cast to float16 in the graph, float16 output cast back', async () => {
    const { inspection } = await inspectFile(files.half!)
    expect(inspection.image).toMatchObject({ layout: 'NCHW', dtype: 'float16' })
    const r = await importTeacher(files.half!, {}, opts())
    expect(r.manifest.input.dtype).toBe('float16')
    const p = r.manifest.preprocess
    const px = await decoded(r.manifest, r.images)
    const w = halfWeights()
    px.forEach((bytes, i) => {
      const ref = convReference(bytes, w, HALF_DIM, (byte, c) => (byte * p.scale - p.mean[c]!) / p.std[c]!)
      // float16 keeps 11 significant bits: about 1e-3 of each value, and of the sum.
      ref.forEach((v, d) => expect(Math.abs(r.embeddings[i * HALF_DIM + d]! - v)).toBeLessThan(0.01 * (1 + Math.abs(v))))
    })
  })

  it('dynamic spatial size (224 proposed) and a fixed batch of 1 (a graph that does not depend on it runs batches)', async () => {
    const { inspection, proposal } = await inspectFile(files.dynamic!)
    expect(inspection.image).toMatchObject({ layout: 'NCHW', batch: 1, size: null })
    expect(inspection.notes[0]).toContain('fixed batch of 1, dynamic size (224x224 proposed)')
    expect(proposal.input.size).toEqual([224, 224])
    expect(proposal.preprocess.resizeTo).toBe(256)
    const r = await importTeacher(files.dynamic!, {}, opts())
    expect(r.manifest.outputs.embedding.dim).toBe(3)
    expect(r.images.length).toBe(6)
  })

  it('a graph that needs its fixed batch of 1 runs one image at a time, the same embeddings as each alone', async () => {
    const { proposal } = await inspectFile(files.batchOfOne!)
    const m = { ...proposal, input: { ...proposal.input, size: [SIZE, SIZE] as [number, number] }, preprocess: { ...proposal.preprocess, resize: 'squash' as const } }
    const together = await checkOnImages(m, images)
    expect(together.embeddings.length).toBe(images.length * 3)
    const alone = await Promise.all(images.slice(0, 2).map((image) => checkOnImages(m, [image])))
    alone.forEach((r, i) => r.embeddings.forEach((v, d) => expect(together.embeddings[i * 3 + d]).toBeCloseTo(v, 5)))
  })

  it('a graph that needs its fixed batch of 2 runs an odd batch and a single image, padded, the same embeddings as each alone', async () => {
    const { proposal } = await inspectFile(files.batchOfTwo!)
    const m = { ...proposal, input: { ...proposal.input, size: [SIZE, SIZE] as [number, number] }, preprocess: { ...proposal.preprocess, resize: 'squash' as const } }
    const odd = images.slice(0, 5)
    const together = await checkOnImages(m, odd)
    expect(together.embeddings.length).toBe(odd.length * 3)
    const alone = await Promise.all(odd.slice(3).map((image) => checkOnImages(m, [image])))
    alone.forEach((r, i) => r.embeddings.forEach((v, d) => expect(together.embeddings[(3 + i) * 3 + d]).toBeCloseTo(v, 5)))
  })

  it('a greyscale (1-channel) input is recognised and refused with the reason', async () => {
    await expect(inspectFile(files.grey!)).rejects.toThrow(/takes 1 channel \(greyscale\): the studio feeds RGB/)
  })

  it('a float16 model\'s float16 scores are cast to float32 too', async () => {
    const { proposal } = await inspectFile(files.half!)
    const m = { ...proposal, outputs: { ...proposal.outputs, scores: { tensor: 'embedding', kind: 'logits' as const, count: 1 } } }
    const r = await checkOnImages(m, images)
    expect(r.manifest.outputs.scores?.count).toBe(HALF_DIM)
  })

  it('a wrong guess (an output that is the same for every image) gets a clear message', async () => {
    await expect(importTeacher(files.nhwc!, { output: 'constant' }, opts())).rejects.toThrow(/embeddings are identical for every image.*"constant" is probably not an image feature; pick another output/)
  })
})

describe('models import (CLI)', () => {
  const folder = () => path.join(dataset('hymenoptera'), 'pool')
  it('checks and saves; exit 0', async () => {
    const env = process.env.STUDIO_DATA_DIR
    process.env.STUDIO_DATA_DIR = path.join(tmp, 'appdata')
    try {
      expect(await importVerb([files.tokens!, '--id', 'tiny-vit', '--check-folder', folder()])).toBe(0)
      expect((await loadManifest(path.join(tmp, 'appdata', 'models', 'tiny-vit.json'))).manifest.outputs.embedding.pooling).toBe('cls')
      // The same id again is refused rather than overwritten.
      expect(await importVerb([files.tokens!, '--id', 'tiny-vit', '--check-folder', folder()])).toBe(2)
    } finally {
      if (env === undefined) delete process.env.STUDIO_DATA_DIR
      else process.env.STUDIO_DATA_DIR = env
    }
  })
  it('a wrong guess exits 1, bad usage 2', async () => {
    expect(await importVerb([files.nhwc!, '--output', 'constant', '--check-folder', folder(), '--dry-run'])).toBe(1)
    expect(await importVerb([files.nhwc!, '--pooling', 'max', '--check-folder', folder()])).toBe(2)
    expect(await importVerb([path.join(tmp, 'missing.onnx')])).toBe(2)
  })
})
