/**
 * What to label next. Before any round: typical images of the clusters no label covers yet
 * (engine/selftrain/seeds.ts suggestSeeds, the code the eval's `suggested_seeds` measures), the
 * images already labelled counting as covering their clusters. Once a round has scored every
 * image of every class: the most informative ones, the queue the eval's review_10pct measures
 * (next.ts reviewQueue: where the round's head and label propagation disagree, then the smallest
 * margin, spread out so one confusion does not take the whole list).
 */
import { readFile } from 'node:fs/promises'
import { StudioError } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import type { ImageRow } from '../engine/store'
import { suggestSeeds as pickSeeds } from '../engine/selftrain/seeds'
import { reviewQueue } from '../engine/selftrain/next'
import { propagateLabels } from '../engine/selftrain/propagate'
import { knnGraph } from '../engine/math/knn'
import { DEFAULT_ROUND_SETTINGS } from '../engine/selftrain/round'
import { projectFeatures } from './jobs/round-job'

/** Above this many images a fixed, evenly spread subsample is searched (labelled images always
 *  kept): clustering and the neighbour graph grow faster than the candidates (measured in
 *  test/selftrain/seeds.test.ts). */
const MAX_CANDIDATES = 20_000

export async function suggestSeeds(project: Project, cacheFile: string | null, count: number): Promise<ImageRow[]> {
  if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
  const all = project.store.queries.allImages()
  const stride = Math.max(1, Math.ceil(all.length / MAX_CANDIDATES))
  const rows = stride === 1 ? all : all.filter((r, i) => i % stride === 0 || r.status !== 'unlabelled')
  const { images, X } = await projectFeatures(rows, cacheFile)
  const scored = await lastRound(project, images)
  if (scored) {
    // a person's labels (and accepted proposals) are known; proposals and unlabelled images are not
    const known = (r: ImageRow) => r.status === 'human' || r.status === 'accepted'
    const slot = new Map(scored.classIds.map((id, c) => [id, c]))
    const labelled = images.flatMap((r, i) => (known(r) && r.classId !== null && slot.has(r.classId) ? [i] : []))
    const labels = { index: Int32Array.from(labelled), label: Int32Array.from(labelled, (i) => slot.get(images[i]!.classId!)!) }
    const C = scored.classIds.length
    const view = propagateLabels(knnGraph(X, DEFAULT_ROUND_SETTINGS.graphK), labels, C)
    const candidates = Int32Array.from(images.flatMap((r, i) => (r.status === 'unlabelled' || r.status === 'proposed' ? [i] : [])))
    return Array.from(reviewQueue(X, scored.proba, C, candidates, count, { viewProba: view, labelled: labels.index }), (i) => images[i]!)
  }
  const labelled = Int32Array.from(images.flatMap((r, i) => (r.status === 'unlabelled' ? [] : [i])))
  return Array.from(pickSeeds(X, count, { labelled }), (i) => images[i]!)
}

/**
 * The newest finished round's probabilities for `images` (rows in their order), or null when it
 * does not speak for all of them: no round yet, an image added since, or a class created since
 * (seeds, not the round's doubts, find a new class its first images).
 */
async function lastRound(project: Project, images: ImageRow[]): Promise<{ proba: Float32Array; classIds: number[] } | null> {
  const round = project.store.rounds.list().filter((r) => r.status === 'done').at(-1)
  if (!round) return null
  let meta: { classIds: number[]; hashes: string[] }
  let bytes: Buffer
  try {
    meta = JSON.parse(await readFile(project.paths.roundRows(round.id), 'utf8')) as typeof meta
    bytes = await readFile(project.paths.roundProba(round.id))
  } catch {
    return null // a round from before probability files were kept, or one whose files were removed
  }
  const C = meta.classIds.length
  const current = project.store.classes.list()
  if (current.length !== C || current.some((c) => !meta.classIds.includes(c.id))) return null
  // copied: a Buffer need not start on a 4-byte boundary
  const stored = new Float32Array(Uint8Array.from(bytes).buffer, 0, Math.floor(bytes.byteLength / 4))
  const rowOf = new Map(meta.hashes.map((h, i) => [h, i]))
  const proba = new Float32Array(images.length * C)
  for (let i = 0; i < images.length; i++) {
    const row = rowOf.get(images[i]!.hash)
    if (row === undefined || (row + 1) * C > stored.length) return null
    proba.set(stored.subarray(row * C, (row + 1) * C), i * C)
  }
  return { proba, classIds: meta.classIds }
}
