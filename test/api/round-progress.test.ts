/**
 * Progress inside a round, on real embeddings (the hymenoptera photos through the shipped teacher):
 * each long stage reports from inside it, stage shares and the whole round's share only grow and
 * end at 1, and from the second round on the whole round has an ETA from the start.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RoundStatusEvent, StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset, openEmbedded, until } from '../studio-harness'

const dirs: string[] = []
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

/** The stages that do most of a round's work (the default strategy, ensemble, builds the kNN graph). */
const LONG = ['cross-validating', 'fitting the head', 'building the kNN graph']

describe('progress inside a round', () => {
  it('reports within each long stage; shares only grow and end at 1; the ETA is there once a round has been timed; closing cancels', async () => {
    const folder = await hymenopteraSubset('studio-round-progress-')
    const appData = await mkdtemp(path.join(os.tmpdir(), 'studio-round-progress-data-'))
    dirs.push(folder, appData)
    const savedDataDir = process.env.STUDIO_DATA_DIR
    process.env.STUDIO_DATA_DIR = appData
    const events: StudioEvent[] = []
    // The rounds here take well under a second: report every 2 ms rather than every 100 ms, so that
    // each stage has room for several reports.
    const studio = await openEmbedded(folder, appData, events, { roundProgressMs: 2 })
    try {
      const images = (await callStudio(studio, 'images.page', { offset: 0, limit: 1000, sort: 'name' })).images
      for (const name of ['ants', 'bees']) {
        const cls = await callStudio(studio, 'classes.create', { name })
        await callStudio(studio, 'labels.set', { imageIds: images.filter((i) => i.relPath.startsWith(`${name}/`)).slice(0, 8).map((i) => i.id), classId: cls.id })
      }
      const runRound = async (): Promise<RoundStatusEvent[]> => {
        const started = await callStudio(studio, 'rounds.start')
        await until('the round', () => events.some((e) => e.type === 'round.status' && e.round.id === started.id && e.round.status !== 'running'))
        return events.filter((e): e is RoundStatusEvent => e.type === 'round.status' && e.round.id === started.id)
      }

      const first = await runRound()
      await callStudio(studio, 'proposals.acceptAbove', { threshold: 0.9 })
      const second = await runRound()

      for (const seen of [first, second]) {
        const end = seen.at(-1)!
        expect(end.round.status, end.round.error ?? '').toBe('done')
        expect(end.round.progress).toEqual({ fraction: 1, etaSeconds: 0 })
        const running = seen.filter((e) => e.round.status === 'running')
        // Each long stage reports from inside it, not just its start and end.
        for (const name of LONG) {
          const inside = running.filter((e) => e.stage === name && e.round.stages.at(-1)!.name === name).map((e) => e.round.stages.at(-1)!.fraction)
          expect(inside.length, `${name}: ${inside.join(' ')}`).toBeGreaterThan(2)
          expect(inside.filter((f) => f > 0 && f < 1).length, `${name}: ${inside.join(' ')}`).toBeGreaterThan(0)
          for (let i = 1; i < inside.length; i++) expect(inside[i]!).toBeGreaterThanOrEqual(inside[i - 1]!)
          expect(inside.at(-1)).toBe(1)
        }
        // The kept stages are the worker's own, in order, each finished at 1.
        const kept = (await callStudio(studio, 'rounds.list')).find((r) => r.id === end.round.id)!.stages
        expect(kept.map((s) => s.name)).toEqual(['reading embeddings', 'starting the worker', 'cross-validating', 'fitting the head', 'scoring images', 'building the kNN graph', 'propagating labels', 'selecting proposals', 'writing proposals'])
        expect(kept.every((s) => s.fraction === 1 && s.finishedAt !== null)).toBe(true)
        // The whole round's share never goes back.
        const whole = seen.map((e) => e.round.progress?.fraction ?? null).filter((f) => f !== null)
        for (let i = 1; i < whole.length; i++) expect(whole[i]!).toBeGreaterThanOrEqual(whole[i - 1]!)
      }

      // The first round has no time for its stages to come; the second has from its first report on,
      // and the share moves through the round rather than jumping at its end.
      expect(first.filter((e) => e.round.status === 'running').every((e) => e.round.progress?.etaSeconds === null)).toBe(true)
      const running = second.filter((e) => e.round.status === 'running')
      for (const e of running) expect(e.round.progress?.etaSeconds, e.stage).toBeGreaterThanOrEqual(0)
      const shares = running.map((e) => e.round.progress!.fraction!)
      expect(shares.filter((f) => f > 0.2 && f < 0.9).length).toBeGreaterThan(3)

      // Closing the studio while a round runs cancels it and records so before the database closes.
      const third = await callStudio(studio, 'rounds.start')
      await until('the third round to cross-validate', () => events.some((e) => e.type === 'round.status' && e.round.id === third.id && e.stage === 'cross-validating'))
      await studio.close()
      const again = await openEmbedded(folder, appData, [])
      try {
        expect((await callStudio(again, 'rounds.list')).find((r) => r.id === third.id)).toMatchObject({ status: 'cancelled', error: 'cancelled' })
      } finally {
        await again.close()
      }
    } finally {
      await studio.close()
      if (savedDataDir === undefined) delete process.env.STUDIO_DATA_DIR
      else process.env.STUDIO_DATA_DIR = savedDataDir
    }
  })
})
