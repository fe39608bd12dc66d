/**
 * "More like this": the images nearest to one image in the teacher's feature space (the same
 * L2-normalised, centred features the head is trained on), by exact cosine top-k. The features
 * live in a worker thread (engine/selftrain/similar-index.ts) while the cache file stays as it
 * was: reading and transforming it costs a few seconds at 100k images (reported as job
 * 'similar'), a query after that one matrix-vector product, and neither runs on main's event
 * loop. `warm` loads them ahead of the first query (the studio calls it when the teacher pass
 * ends), so that the user's first "more like this" finds them ready.
 */
import { stat } from 'node:fs/promises'
import { StudioError } from '../../../preload/contract'
import type { Project } from '../../engine/project/project'
import type { ImageRow } from '../../engine/store'
import { SimilarityIndex } from '../../engine/selftrain/similar-index'
import { ProgressMeter } from '../../engine/progress'

/** What a load reports: rows read of the cache's records, with rate and ETA. */
export type SimilarLoadProgress = (done: number, total: number, perSecond: number, etaSeconds: number | null) => void

/** Spare neighbours that stand in for the image itself and for cached images deleted since. */
const SPARE = 8

export class SimilarImages {
  private readonly index: SimilarityIndex
  private meter = new ProgressMeter()

  constructor(private readonly report: SimilarLoadProgress = () => {}) {
    this.index = new SimilarityIndex((done, total) => {
      // a load's first report (done 0) starts its clock: rate and ETA from there
      if (done === 0) this.meter = new ProgressMeter()
      if (this.meter.due(done, total)) {
        const r = this.meter.report(done, total)
        report(r.done, r.total, r.perSecond, r.etaSeconds)
      }
    })
  }

  /** Loads the features of `cacheFile` now, ahead of any query; a failure waits for the query to say it. */
  async warm(cacheFile: string | null): Promise<void> {
    if (!cacheFile) return
    try {
      const st = await stat(cacheFile)
      await this.index.load(cacheFile, keyOf(cacheFile, st))
    } catch (err) {
      // a failed or cancelled load ends its progress bar; the query that needs it says why
      this.report(1, 1, 0, 0)
      throw err
    }
  }

  /** Where the last load's time went (see SimilarityIndex.lastLoad); for the bench. */
  get lastLoad() {
    return this.index.lastLoad
  }

  /** Rows the last query scored exactly; for the bench. */
  get lastCandidates() {
    return this.index.lastCandidates
  }

  /** Drops the kept features and their worker (the project closed). */
  clear(): void {
    this.index.close()
  }

  /**
   * The `k` images most like `imageId`, most similar first, the image itself left out. Images of
   * the cache that are no longer in the project (deleted files) are skipped.
   */
  async query(project: Project, cacheFile: string | null, imageId: number, k: number): Promise<{ row: ImageRow; similarity: number }[]> {
    if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
    const image = project.store.images.get(imageId)
    if (!image) throw new StudioError('not_found', `no image with id ${imageId} in the open project`)
    const st = await stat(cacheFile)
    const found = await this.index.query(cacheFile, keyOf(cacheFile, st), image.hash, k + SPARE)
    if (found.length === 0) throw new StudioError('not_found', `image ${image.path ?? imageId} has no embedding (the teacher could not read it); "more like this" needs one`)
    const out: { row: ImageRow; similarity: number }[] = []
    for (const f of found) {
      if (out.length === k) break
      if (f.hash === image.hash) continue
      const row = project.store.images.byHash(f.hash)
      if (!row || row.path === null || row.error !== null) continue
      out.push({ row, similarity: f.similarity })
    }
    return out
  }
}

/** A cache file's state: a grown or rewritten file is loaded afresh. */
const keyOf = (file: string, st: { size: number; mtimeMs: number }) => `${file}|${st.size}|${st.mtimeMs}`
