/**
 * "More like this": the images nearest to one image in the teacher's feature space (the same
 * L2-normalised, centred features the head is trained on), by exact cosine top-k (knn.ts `similar`).
 * Reading and transforming the embedding cache is the expensive part (about 0.5 GB at 100k images
 * of a 1280-d teacher), so the feature matrix is kept while the cache file stays as it was: the
 * second query of a session costs one matrix-vector product.
 */
import { stat } from 'node:fs/promises'
import { StudioError } from '../preload/contract'
import type { Project } from './engine/library/project'
import type { ImageRow } from './engine/store'
import { applyFeatures, fitFeatures } from './engine/selftrain/features'
import { similar } from './engine/selftrain/knn'
import { matrix, type Matrix } from './engine/selftrain/linalg'
import { loadEmbeddings } from './engine/teacher'

interface Features {
  /** The cache file's path, size and mtime when it was read. */
  key: string
  rowOf: Map<string, number>
  hashes: string[]
  X: Matrix
}

export class SimilarImages {
  private loaded: Promise<Features> | null = null
  private loadedKey: string | null = null

  /** Drops the kept features (the project closed). */
  clear(): void {
    this.loaded = null
    this.loadedKey = null
  }

  /**
   * The `k` images most like `imageId`, most similar first, the image itself left out. Images of
   * the cache that are no longer in the project (deleted files) are skipped.
   */
  async query(project: Project, cacheFile: string | null, imageId: number, k: number): Promise<{ row: ImageRow; similarity: number }[]> {
    if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
    const image = project.image(imageId)
    if (!image) throw new StudioError('not_found', `no image with id ${imageId} in the open project`)
    const f = await this.features(cacheFile)
    const row = f.rowOf.get(image.hash)
    if (row === undefined) throw new StudioError('not_found', `image ${image.path ?? imageId} has no embedding (the teacher could not read it); "more like this" needs one`)
    const query = matrix(1, f.X.cols, f.X.data.slice(row * f.X.cols, (row + 1) * f.X.cols))
    // A few spare neighbours stand in for the image itself and for cached images deleted since.
    const spare = 8
    const { index, sim } = similar(f.X, query, k + spare)
    const out: { row: ImageRow; similarity: number }[] = []
    for (let j = 0; j < index.length && out.length < k; j++) {
      const i = index[j]!
      if (i < 0 || i === row) continue
      const found = project.store.imageByHash(f.hashes[i]!)
      if (!found || found.path === null || found.error !== null || found.id === imageId) continue
      out.push({ row: found, similarity: sim[j]! })
    }
    return out
  }

  private async features(cacheFile: string): Promise<Features> {
    const st = await stat(cacheFile)
    const key = `${cacheFile}|${st.size}|${st.mtimeMs}`
    if (this.loaded && this.loadedKey === key) return this.loaded
    this.loadedKey = key
    this.loaded = (async () => {
      const emb = await loadEmbeddings(cacheFile, { scores: false })
      const pool = matrix(emb.ids.length, emb.dim, emb.data)
      const X = applyFeatures(fitFeatures(pool), pool)
      return { key, rowOf: new Map(emb.ids.map((h, i) => [h, i])), hashes: emb.ids, X }
    })()
    // A failed read is not kept: the next query tries again.
    this.loaded.catch(() => {
      if (this.loadedKey === key) this.clear()
    })
    return this.loaded
  }
}
