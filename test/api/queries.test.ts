/**
 * The grid's, viewer's and review queue's queries on a real project: real photos, the real teacher,
 * a real round. "More like this" finds an image's near-duplicates first; a round's probabilities
 * sum to one and agree with its proposals; "select all" and "accept all above" see the same
 * proposals as the per-class counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cp, mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import type { StudioApi } from '../../main/app/studio'
import type { ImageInfo, RequestName, StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset, openEmbedded, until } from '../studio-harness'

let folder = ''
let studio: StudioApi
const events: StudioEvent[] = []

const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)

/** Every image of the project, by name. */
async function all(): Promise<ImageInfo[]> {
  return (await call('images.page', { offset: 0, limit: 2000 })).images
}

beforeAll(async () => {
  // Eight ants and eight bees, and two near-duplicates of the first ant: smaller and recompressed,
  // and slightly cropped. Their content hashes differ, so they are images of their own.
  folder = await hymenopteraSubset('studio-queries-', 8)
  const original = path.join(folder, 'ants', (await readdir(path.join(folder, 'ants'))).sort()[0]!)
  const meta = await sharp(original).metadata()
  const w = meta.width!
  const h = meta.height!
  await mkdir(path.join(folder, 'copies'))
  // An exact copy is the same image (same content), listed as one of its files.
  await cp(original, path.join(folder, 'copies', 'exact.jpg'))
  await sharp(original).resize(Math.round(w * 0.7)).jpeg({ quality: 60 }).toFile(path.join(folder, 'copies', 'smaller.jpg'))
  await sharp(original)
    .extract({ left: Math.round(w * 0.04), top: Math.round(h * 0.04), width: Math.round(w * 0.92), height: Math.round(h * 0.92) })
    .jpeg({ quality: 85 })
    .toFile(path.join(folder, 'copies', 'cropped.jpg'))

  studio = await openEmbedded(folder, path.join(folder, '.appdata'), events)
}, 180_000)

afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
})

describe('more like this', () => {
  it("returns the image's near-duplicates first, without the image itself", async () => {
    const images = await all()
    const query = images.find((i) => i.relPath.startsWith('ants/'))!
    const found = await call('images.similar', { imageId: query.id, k: 5 })
    expect(found).toHaveLength(5)
    expect(found.map((f) => f.image.id)).not.toContain(query.id)
    expect(new Set(found.slice(0, 2).map((f) => f.image.relPath))).toEqual(new Set(['copies/smaller.jpg', 'copies/cropped.jpg']))
    const sims = found.map((f) => f.similarity)
    expect(sims).toEqual([...sims].sort((a, b) => b - a))
    expect(sims[0]).toBeLessThanOrEqual(1.0001)
    // The near-duplicates stand apart from the other photos.
    expect(sims[1]).toBeGreaterThan(sims[2]! + 0.1)

    // The second query uses the kept features and agrees with the first.
    const again = await call('images.similar', { imageId: query.id, k: 5 })
    expect(again.map((f) => f.image.id)).toEqual(found.map((f) => f.image.id))
  })

  it('lists the files of an image with exact duplicates', async () => {
    const images = await all()
    const query = images.find((i) => i.relPath.startsWith('ants/'))!
    expect(query.fileCount).toBe(2)
    expect(await call('images.files', { imageId: query.id })).toEqual([query.relPath, 'copies/exact.jpg'].sort())
  })

  it('says what is wrong with an unknown image', async () => {
    const reply = await studio.handle('images.similar', { imageId: 999_999, k: 5 })
    expect(reply.ok).toBe(false)
    if (!reply.ok) expect(reply.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no image with id 999999/) })
  })
})

describe('after a round', () => {
  let ants = 0
  let bees = 0
  beforeAll(async () => {
    ants = (await call('classes.create', { name: 'ants' })).id
    bees = (await call('classes.create', { name: 'bees' })).id
    const images = await all()
    const of = (cls: string) => images.filter((i) => i.relPath.startsWith(`${cls}/`)).slice(0, 2).map((i) => i.id)
    await call('labels.set', { imageIds: of('ants'), classId: ants })
    await call('labels.set', { imageIds: of('bees'), classId: bees })
    expect(await call('images.probabilities', { imageId: images[0]!.id })).toEqual([])
    const round = await call('rounds.start', {})
    await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === round.id && e.round.status !== 'running'))
    const ended = events.find((e) => e.type === 'round.status' && e.round.id === round.id && e.round.status !== 'running')
    expect(ended?.type === 'round.status' && ended.round.status).toBe('done')
  }, 120_000)

  it("gives an image's probabilities: they sum to 1 and the top one is its proposal's confidence", async () => {
    // The round scores every image; it proposes only the confident ones.
    const images = await all()
    let proposals = 0
    for (const image of images) {
      const probs = await call('images.probabilities', { imageId: image.id })
      // Two classes: the top five are both, and they are the whole distribution.
      expect(probs.map((p) => p.name).sort()).toEqual(['ants', 'bees'])
      expect(probs.reduce((s, p) => s + p.p, 0)).toBeCloseTo(1, 5)
      expect(probs[0]!.p).toBeGreaterThanOrEqual(probs[1]!.p)
      if (image.status !== 'proposed') continue
      proposals++
      expect(probs[0]!.classId).toBe(image.classId)
      expect(probs[0]!.p).toBeCloseTo(image.confidence!, 5)
    }
    expect(proposals).toBeGreaterThan(0)
  })

  it('counts the proposals above a threshold per class, lists their ids, and accepts them in one undoable action', async () => {
    const proposed = (await call('images.page', { offset: 0, limit: 100, status: 'proposed' })).images
    const confidences = proposed.map((p) => p.confidence!).sort((a, b) => a - b)
    const threshold = confidences[Math.floor(confidences.length / 2)]!
    const above = proposed.filter((p) => p.confidence! >= threshold)
    expect(above.length).toBeGreaterThan(0)
    const counts = await call('proposals.countAbove', { threshold })
    for (const cls of [ants, bees]) expect(counts.find((c) => c.classId === cls)?.count ?? 0).toBe(above.filter((p) => p.classId === cls).length)

    const ids = await call('images.ids', { status: 'proposed', minConfidence: threshold })
    expect(new Set(ids)).toEqual(new Set(above.map((p) => p.id)))
    // A range of a filter, by offset and limit, in the filter's order.
    const everything = await all()
    expect(await call('images.ids', { offset: 3, limit: 4 })).toEqual(everything.slice(3, 7).map((i) => i.id))

    const accepted = await call('proposals.acceptAbove', { threshold })
    expect(new Set(accepted.imageIds)).toEqual(new Set(ids))
    const after = await call('images.byIds', { imageIds: ids })
    expect(after.map((i) => i.status)).toEqual(ids.map(() => 'accepted'))
    expect(await call('proposals.countAbove', { threshold })).toEqual([])

    // One Ctrl+Z puts them all back to proposals.
    await call('labels.undo', {})
    expect((await call('images.byIds', { imageIds: ids })).map((i) => i.status)).toEqual(ids.map(() => 'proposed'))
  })
})
