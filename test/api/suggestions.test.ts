/**
 * "Suggest N to label" on a real project (real photos, the real teacher): before any round,
 * typical images none of which is labelled; after a round, the images the round is least sure of.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { StudioApi } from '../../main/app/studio'
import type { ImageInfo, RequestName, StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset, openEmbedded, until } from '../studio-harness'

let folder = ''
let studio: StudioApi
const events: StudioEvent[] = []
const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)
const all = async (): Promise<ImageInfo[]> => (await call('images.page', { offset: 0, limit: 2000 })).images

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-suggestions-', 10)
  studio = await openEmbedded(folder, path.join(folder, '.appdata'), events)
}, 180_000)

afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
})

describe('suggestions to label', () => {
  it('before a round: distinct unlabelled images, both classes among four, none already labelled', async () => {
    const first = await call('suggest.seeds', { count: 4 })
    expect(first).toHaveLength(4)
    expect(new Set(first.map((i) => i.id)).size).toBe(4)
    expect(new Set(first.map((i) => i.relPath.split('/')[0]))).toEqual(new Set(['ants', 'bees']))
    expect(await call('suggest.seeds', { count: 4 })).toEqual(first) // the same folder, the same suggestions

    const ants = (await call('classes.create', { name: 'ants' })).id
    const bees = (await call('classes.create', { name: 'bees' })).id
    const images = await all()
    const of = (cls: string) => images.filter((i) => i.relPath.startsWith(`${cls}/`)).slice(0, 2).map((i) => i.id)
    await call('labels.set', { imageIds: of('ants'), classId: ants })
    await call('labels.set', { imageIds: of('bees'), classId: bees })
    const labelled = new Set([...of('ants'), ...of('bees')])
    const next = await call('suggest.seeds', { count: 5 })
    expect(next).toHaveLength(5)
    for (const i of next) expect(labelled.has(i.id)).toBe(false)
  })

  it("after a round: the images it is least sure of, never a person's label", async () => {
    const round = await call('rounds.start', {})
    await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === round.id && e.round.status !== 'running'))
    const images = await all()
    const open = images.filter((i) => i.status === 'unlabelled' || i.status === 'proposed')
    const margin = async (id: number) => {
      const p = await call('images.probabilities', { imageId: id })
      return p[0]!.p - p[1]!.p
    }
    const margins = new Map<number, number>()
    for (const i of open) margins.set(i.id, await margin(i.id))
    const picks = await call('suggest.seeds', { count: 2 })
    expect(picks).toHaveLength(2)
    for (const p of picks) expect(['unlabelled', 'proposed']).toContain(p.status)
    // informative: both among the half of the images left to label that the round is least sure of
    const unsure = [...margins.keys()].sort((a, b) => margins.get(a)! - margins.get(b)!).slice(0, Math.floor(margins.size / 2))
    for (const p of picks) expect(unsure).toContain(p.id)

    // a class created since the round: the round cannot speak for it, so seeds are suggested again
    await call('classes.create', { name: 'wasps' })
    const seeds = await call('suggest.seeds', { count: 3 })
    expect(seeds).toHaveLength(3)
    for (const p of seeds) expect(p.status).toBe('unlabelled')
  })
})
