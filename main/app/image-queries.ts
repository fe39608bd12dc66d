/**
 * Queries the grid, the viewer and the review queue make beyond one page of images: every id of a
 * filter ("select all", ranges past the loaded pages), proposals above a confidence threshold, and
 * an image's class probabilities from the last round.
 */
import { open, readFile, stat } from 'node:fs/promises'
import type { ClassProbability, ImageInfo } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import type { PageQuery } from '../engine/store'
import type { ProjectPaths } from '../engine/project/paths'
import { imageInfo } from './dto'

/** These images, in this order; ids no longer in the project (or with no file left) are left out. */
export function imagesByIds(project: Project, ids: readonly number[]): ImageInfo[] {
  return ids.flatMap((id) => {
    const row = project.store.images.get(id)
    return row && row.path !== null ? [imageInfo(row)] : []
  })
}

/** The ids of a filter in its order, from `offset`, at most `limit` of them (all when absent). */
export function filterIds(project: Project, filter: Omit<PageQuery, 'offset' | 'limit'>, offset = 0, limit?: number): number[] {
  return project.store.queries.pageIds({ ...filter, offset, ...(limit === undefined ? {} : { limit }) }).ids
}

/** Proposals waiting for review with confidence >= `threshold`, counted per class (classes without any are left out). */
export function proposalCountsAbove(project: Project, threshold: number): { classId: number; count: number }[] {
  return project.store.classes
    .list()
    .map((c) => ({ classId: c.id, count: project.store.queries.page({ status: 'proposed', classId: c.id, minConfidence: threshold, sort: 'confidence', limit: 1 }).total }))
    .filter((c) => c.count > 0)
}

/** A round's probability file and the rows it covers, read once per round. */
interface RoundProba {
  file: string
  /** The .json's mtime: a project started afresh numbers its rounds from 1 again. */
  mtimeMs: number
  classIds: number[]
  rowOf: Map<string, number>
}

const rounds = new Map<string, RoundProba>()

/**
 * The `top` most probable classes of an image in the newest finished round that scored it, from
 * `<dataDir>/rounds/<id>.proba` (n x classes float32, rows in the order of `<id>.json`'s hashes,
 * as main/app/jobs/round-job.ts writes them). Empty when no round has scored the image.
 */
export async function topProbabilities(project: Project, imageId: number, top = 5): Promise<ClassProbability[]> {
  const image = project.store.images.get(imageId)
  if (!image) return []
  const done = project.store.rounds.list().filter((r) => r.status === 'done')
  const names = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  for (const round of done.reverse()) {
    const r = await roundProba(project.paths, round.id)
    const row = r?.rowOf.get(image.hash)
    if (!r || row === undefined) continue
    const k = r.classIds.length
    const bytes = Buffer.alloc(k * 4)
    const fh = await open(r.file, 'r')
    try {
      await fh.read(bytes, 0, bytes.length, row * k * 4)
    } finally {
      await fh.close()
    }
    const p = new Float32Array(bytes.buffer, bytes.byteOffset, k)
    return r.classIds
      .map((classId, c) => ({ classId, name: names.get(classId) ?? `class ${classId} (deleted)`, p: p[c]! }))
      .sort((a, b) => b.p - a.p)
      .slice(0, top)
  }
  return []
}

async function roundProba(paths: ProjectPaths, id: number): Promise<RoundProba | null> {
  const file = paths.roundProba(id)
  const json = paths.roundRows(id)
  let meta: { classIds: number[]; hashes: string[] }
  let mtimeMs: number
  try {
    mtimeMs = (await stat(json)).mtimeMs
    const cached = rounds.get(file)
    if (cached?.mtimeMs === mtimeMs) return cached
    meta = JSON.parse(await readFile(json, 'utf8')) as typeof meta
  } catch {
    return null // a round from before probability files were kept, or one whose files were removed
  }
  rounds.delete(file)
  const r = { file, mtimeMs, classIds: meta.classIds, rowOf: new Map(meta.hashes.map((h, i) => [h, i])) }
  // Rounds are few, but each map holds every image's hash: keep the newest few.
  if (rounds.size >= 4) rounds.delete(rounds.keys().next().value as string)
  rounds.set(file, r)
  return r
}
