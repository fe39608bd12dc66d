/**
 * "More like this": the images nearest to one image in the teacher's feature space (the same
 * L2-normalised, centred features the head is trained on), by exact cosine top-k. The features
 * live in a worker thread (engine/selftrain/similar-index.ts) while the cache file stays as it
 * was: reading and transforming it costs seconds at 100k images, a query after that one
 * matrix-vector product, and neither runs on main's event loop.
 */
import { stat } from 'node:fs/promises'
import { StudioError } from '../../../preload/contract'
import type { Project } from '../../engine/project/project'
import type { ImageRow } from '../../engine/store'
import { SimilarityIndex } from '../../engine/selftrain/similar-index'

/** Spare neighbours that stand in for the image itself and for cached images deleted since. */
const SPARE = 8

export class SimilarImages {
  private readonly index = new SimilarityIndex()

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
    const found = await this.index.query(cacheFile, `${cacheFile}|${st.size}|${st.mtimeMs}`, image.hash, k + SPARE)
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
