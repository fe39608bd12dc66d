/**
 * The open project's suspect human labels: the seed labels and corrections a person gave, judged by
 * k-fold heads on the teacher's embeddings (engine/selftrain/label-issues.ts), most suspect first.
 */
import { StudioError, type LabelIssueInfo } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import { labelIssues } from '../engine/selftrain/label-issues'
import { imageInfo } from './dto'
import { projectFeatures } from './jobs/round-job'

export async function projectLabelIssues(project: Project, cacheFile: string | null): Promise<LabelIssueInfo[]> {
  if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
  const classes = project.store.classes.list()
  const slot = new Map(classes.map((c, k) => [c.id, k]))
  const rows = project.store.queries.allImages().filter((r) => r.status === 'human' && r.classId !== null && slot.has(r.classId))
  const { images, X } = await projectFeatures(rows, cacheFile)
  const labels = Int32Array.from(images, (r) => slot.get(r.classId!)!)
  let found
  try {
    found = labelIssues(X, labels, classes.length)
  } catch (err) {
    throw new StudioError('invalid_input', (err as Error).message)
  }
  const k = classes.length
  return found.issues.map((issue) => ({
    image: imageInfo(images[issue.row]!),
    classId: classes[issue.given]!.id,
    suggestedClassId: classes[issue.suggested]!.id,
    pGiven: found.proba[issue.row * k + issue.given]!,
    pSuggested: found.proba[issue.row * k + issue.suggested]!,
  }))
}
