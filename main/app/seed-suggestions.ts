/**
 * What to label next, before any round: diverse, representative images (k-means++ seeding over the
 * embeddings, with the images already labelled counted as picks), so a handful of seed labels
 * covers the folder rather than its largest cluster.
 */
import { StudioError } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import type { ImageRow } from '../engine/store'
import { kmeansPlusPlus } from '../engine/math/kmeans'
import { projectFeatures } from './jobs/round-job'

/** Above this many images a fixed, evenly spread subsample is searched: k-means++ costs n x d per pick. */
const MAX_CANDIDATES = 20_000

export async function suggestSeeds(project: Project, cacheFile: string | null, count: number): Promise<ImageRow[]> {
  if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
  const all = project.store.queries.allImages()
  const stride = Math.max(1, Math.ceil(all.length / MAX_CANDIDATES))
  const rows = stride === 1 ? all : all.filter((r, i) => i % stride === 0 || r.status !== 'unlabelled')
  const { images, X } = await projectFeatures(rows, cacheFile)
  const labelled = Int32Array.from(images.flatMap((r, i) => (r.status === 'unlabelled' ? [] : [i])))
  const unlabelled = images.length - labelled.length
  const picks = kmeansPlusPlus(X, Math.min(count, unlabelled), 0, labelled)
  return Array.from(picks, (i) => images[i]!)
}
