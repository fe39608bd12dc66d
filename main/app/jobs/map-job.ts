/**
 * The embedding map of the open project: built from the teacher's cached embeddings in a worker
 * thread (engine/map), then kept in `<dataDir>/map/<key>.json`, keyed by the cache file, its size and
 * the project's images, so reopening a project shows its map at once and new images or a new
 * teacher rebuild it. Requests that arrive while a build runs wait for that same build.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { StudioError, type MapLabels, type MapPoints } from '../../../preload/contract'
import type { Project } from '../../engine/project/project'
import { buildMapInWorker } from '../../engine/map/in-worker'
import type { MapOptions } from '../../engine/map/layout'
import { ProgressMeter } from '../../engine/progress'
import type { ImageRow } from '../../engine/store'

/** Bump when the layout changes, so maps kept by an older version are rebuilt. */
export const MAP_VERSION = 1

interface StoredMap {
  version: number
  /** Content hashes, one per point; `coords` holds x, y for each in turn. */
  hashes: string[]
  coords: number[]
  landmarks: number
}

export type MapProgressReport = (stage: string, done: number, total: number, perSecond: number, etaSeconds: number | null) => void

export class MapJob {
  private building: { key: string; promise: Promise<StoredMap>; abort: AbortController } | null = null

  constructor(
    private readonly report: MapProgressReport,
    private readonly options: Partial<MapOptions> = {},
  ) {}

  get running(): boolean {
    return this.building !== null
  }

  /** Stops a build in progress (its waiting requests fail with 'cancelled'); nothing is written. */
  cancel(): boolean {
    const had = this.building !== null
    this.building?.abort.abort()
    this.building = null
    return had
  }

  /** The map of `project`, from the kept file or built now. */
  async get(project: Project, cacheFile: string | null): Promise<MapPoints> {
    if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; the map is drawn once it has finished (see the status bar)')
    const rows = project.store.queries.allImages()
    const hashes = rows.map((r) => r.hash).sort()
    const { size } = await stat(cacheFile)
    const key = createHash('sha256').update(`v${MAP_VERSION}\n${path.basename(cacheFile)}\n${size}\n${hashes.join('\n')}`).digest('hex').slice(0, 24)
    const file = project.paths.map(key)
    const stored = (await readStored(file)) ?? (await this.build(key, file, cacheFile, hashes))
    return mapPoints(stored, rows)
  }

  private build(key: string, file: string, cacheFile: string, hashes: string[]): Promise<StoredMap> {
    if (this.building?.key === key) return this.building.promise
    this.cancel()
    const abort = new AbortController()
    let stage = ''
    let meter = new ProgressMeter()
    const promise = buildMapInWorker(
      { cacheFile, ids: hashes, options: this.options },
      (s, done, total) => {
        if (s !== stage) {
          stage = s
          meter = new ProgressMeter()
        }
        if (meter.due(done, total)) {
          const r = meter.report(done, total)
          this.report(s, done, total, r.perSecond, r.etaSeconds)
        }
      },
      abort.signal,
    )
      .then(async (result) => {
        const stored: StoredMap = { version: MAP_VERSION, hashes: result.ids, coords: Array.from(result.coords, round5), landmarks: result.landmarks }
        await keep(file, stored)
        return stored
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) throw new StudioError('cancelled', 'the map was cancelled; open the Map again to build it')
        throw new StudioError('internal', `the map could not be built: ${(err as Error).message}`)
      })
      .finally(() => {
        if (this.building?.promise === promise) this.building = null
      })
    this.building = { key, promise, abort }
    return promise
  }
}

/** The label state of every image of the project, for recolouring the map. */
export function mapLabels(project: Project): MapLabels {
  return labelsOf(project.store.queries.allImages())
}

function labelsOf(rows: ImageRow[]): MapLabels {
  return { ids: rows.map((r) => r.id), status: rows.map((r) => r.status), classId: rows.map((r) => r.classId), confidence: rows.map((r) => r.confidence) }
}

function mapPoints(stored: StoredMap, rows: ImageRow[]): MapPoints {
  const byHash = new Map(rows.map((r) => [r.hash, r]))
  const kept: ImageRow[] = []
  const x: number[] = []
  const y: number[] = []
  stored.hashes.forEach((h, i) => {
    const row = byHash.get(h)
    if (!row) return
    kept.push(row)
    x.push(stored.coords[2 * i]!)
    y.push(stored.coords[2 * i + 1]!)
  })
  return { ...labelsOf(kept), relPaths: kept.map((r) => r.path ?? ''), x, y, landmarks: stored.landmarks }
}

/** Five decimals place a point to 1/100,000 of the map: finer than any screen, a third of the JSON. */
const round5 = (v: number) => Math.round(v * 1e5) / 1e5

async function readStored(file: string): Promise<StoredMap | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return null
  }
  try {
    const m = JSON.parse(text) as StoredMap
    if (m.version === MAP_VERSION && Array.isArray(m.hashes) && Array.isArray(m.coords) && m.coords.length === 2 * m.hashes.length) return m
  } catch {
    // A torn or foreign file is rebuilt below.
  }
  return null
}

/** Writes the map whole (temporary file, then rename) and removes the maps it replaces. */
async function keep(file: string, stored: StoredMap): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(stored))
  await rename(tmp, file)
  for (const name of await readdir(dir)) if (name !== path.basename(file)) await rm(path.join(dir, name), { force: true })
}
