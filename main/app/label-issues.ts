/**
 * The open project's suspect human labels: the seed labels and corrections a person gave, judged by
 * k-fold heads on the teacher's embeddings (engine/selftrain/label-issues.ts) in a worker thread,
 * most suspect first. One check at a time: a request that arrives while one runs waits for it.
 * Labels a person kept (labels.keep) are judged with the others, but not listed again until their
 * label changes.
 */
import { StudioError, type LabelIssueInfo } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import { labelIssuesInWorker } from '../engine/selftrain/in-worker'
import { ProgressMeter } from '../engine/progress'
import { imageInfo } from './dto'
import { projectFeatures } from './jobs/round-job'

export type IssuesProgressReport = (done: number, total: number, perSecond: number, etaSeconds: number | null) => void

export class LabelIssuesJob {
  private checking: { project: Project; promise: Promise<LabelIssueInfo[]>; abort: AbortController } | null = null

  constructor(private readonly report: IssuesProgressReport) {}

  /** Stops a check in progress (its waiting requests fail with 'cancelled'). */
  cancel(): boolean {
    const had = this.checking !== null
    this.checking?.abort.abort()
    this.checking = null
    return had
  }

  find(project: Project, cacheFile: string | null): Promise<LabelIssueInfo[]> {
    if (this.checking?.project === project) return this.checking.promise
    this.cancel()
    const abort = new AbortController()
    const promise = projectLabelIssues(project, cacheFile, abort.signal, this.report).finally(() => {
      if (this.checking?.promise === promise) this.checking = null
    })
    this.checking = { project, promise, abort }
    return promise
  }
}

async function projectLabelIssues(project: Project, cacheFile: string | null, signal: AbortSignal, report: IssuesProgressReport): Promise<LabelIssueInfo[]> {
  if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
  const classes = project.store.classes.list()
  const slot = new Map(classes.map((c, k) => [c.id, k]))
  const rows = project.store.queries.allImages().filter((r) => r.status === 'human' && r.classId !== null && slot.has(r.classId))
  const { images, X } = await projectFeatures(rows, cacheFile)
  const labels = Int32Array.from(images, (r) => slot.get(r.classId!)!)
  const k = classes.length
  const meter = new ProgressMeter()
  let found
  try {
    found = await labelIssuesInWorker({ X, labels, k, options: {} }, signal, (done, total) => {
      if (!meter.due(done, total)) return
      const r = meter.report(done, total)
      report(done, total, r.perSecond, r.etaSeconds)
    })
  } catch (err) {
    if (signal.aborted) throw new StudioError('cancelled', 'the check for possible mistakes was cancelled')
    throw new StudioError('invalid_input', (err as Error).message)
  }
  const kept = project.store.labels.kept()
  return found.issues
    .filter((issue) => !kept.has(images[issue.row]!.id))
    .map((issue) => ({
      image: imageInfo(images[issue.row]!),
      classId: classes[issue.given]!.id,
      suggestedClassId: classes[issue.suggested]!.id,
      pGiven: found.proba[issue.row * k + issue.given]!,
      pSuggested: found.proba[issue.row * k + issue.suggested]!,
    }))
}
