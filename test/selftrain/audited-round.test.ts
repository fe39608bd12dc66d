/**
 * Per-round audited precision on a real project (real photos, the real teacher, real rounds): the
 * spot-check verdicts on a round's proposals give that round's precision, per class and overall,
 * in `rounds.list`; a later round keeps the earlier round's figure and starts with none of its own.
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

async function round(): Promise<number> {
  const started = await call('rounds.start')
  await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running'))
  return started.id
}

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-audited-', 10)
  studio = await openEmbedded(folder, path.join(folder, '.appdata'), events)
}, 180_000)

afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
})

describe('audited precision per round', () => {
  it('comes from the verdicts on the round’s audit sample and stays with that round', async () => {
    const ants = (await call('classes.create', { name: 'ants' })).id
    const bees = (await call('classes.create', { name: 'bees' })).id
    const images = (await call('images.page', { offset: 0, limit: 100 })).images
    const truth = (i: ImageInfo) => (i.relPath.startsWith('ants/') ? ants : bees)
    await call('labels.set', { imageIds: images.filter((i) => truth(i) === ants).slice(0, 2).map((i) => i.id), classId: ants })
    await call('labels.set', { imageIds: images.filter((i) => truth(i) === bees).slice(0, 2).map((i) => i.id), classId: bees })

    const first = await round()
    expect((await call('rounds.list')).find((r) => r.id === first)?.auditedPrecision).toBeNull()

    const sample = await call('audit.start', { perClass: 3 })
    expect(sample.length).toBeGreaterThan(0)
    // judge all but the last item: accept when the proposal is right, relabel when it is wrong
    const judged = sample.slice(0, -1)
    const right = new Map<number, { checked: number; correct: number }>()
    for (const item of judged) {
      const ok = item.classId === truth(item)
      if (ok) await call('labels.review', { imageIds: [item.id], decision: 'accept' })
      else await call('labels.relabel', { imageIds: [item.id], classId: truth(item) })
      const n = right.get(item.classId!) ?? { checked: 0, correct: 0 }
      n.checked++
      if (ok) n.correct++
      right.set(item.classId!, n)
    }
    const audited = (await call('rounds.list')).find((r) => r.id === first)!.auditedPrecision!
    expect(audited.checked).toBe(judged.length)
    for (const c of audited.classes) {
      expect(c).toMatchObject(right.get(c.classId)!)
      expect(c.precision).toBeCloseTo(c.correct / c.checked, 10)
      expect(c.low).toBeLessThanOrEqual(c.precision)
      expect(c.high).toBeGreaterThanOrEqual(c.precision)
    }
    expect(audited.overall).toBeGreaterThanOrEqual(Math.min(...audited.classes.map((c) => c.precision)))
    expect(audited.overall).toBeLessThanOrEqual(Math.max(...audited.classes.map((c) => c.precision)))

    // a second round withdraws the unjudged proposal: it does not count as a verdict on round 1
    const second = await round()
    const list = await call('rounds.list')
    expect(list.find((r) => r.id === first)!.auditedPrecision).toEqual(audited)
    expect(list.find((r) => r.id === second)!.auditedPrecision).toBeNull()
  }, 240_000)
})
