/**
 * What to label next, before any round: typical images of the clusters no label covers yet
 * (engine/selftrain/seeds.ts suggestSeeds, the code the eval's `suggested_seeds` measures), with
 * the images already labelled counted as covering their clusters.
 */
import { StudioError } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import type { ImageRow } from '../engine/store'
import { suggestSeeds as pickSeeds } from '../engine/selftrain/seeds'
import { projectFeatures } from './jobs/round-job'

/** Above this many images a fixed, evenly spread subsample is searched (labelled images always
 *  kept): clustering and the typicality graph grow with the candidates (measured in
 *  test/selftrain/seeds.test.ts). */
const MAX_CANDIDATES = 20_000

export async function suggestSeeds(project: Project, cacheFile: string | null, count: number): Promise<ImageRow[]> {
  if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
  const all = project.store.queries.allImages()
  const stride = Math.max(1, Math.ceil(all.length / MAX_CANDIDATES))
  const rows = stride === 1 ? all : all.filter((r, i) => i % stride === 0 || r.status !== 'unlabelled')
  const { images, X } = await projectFeatures(rows, cacheFile)
  const labelled = Int32Array.from(images.flatMap((r, i) => (r.status === 'unlabelled' ? [] : [i])))
  return Array.from(pickSeeds(X, count, { labelled }), (i) => images[i]!)
}
