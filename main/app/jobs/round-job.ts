/**
 * A self-training round over the open project: read the teacher's embeddings from the cache, the
 * labels from the store, train and select in a worker thread (runRoundInWorker), then write the
 * proposals. Nothing is written until the round has finished, so a cancelled or failed round leaves
 * the labels as they were; its row in `rounds` says how it ended. Each proposal keeps its
 * confidence in the store and the round's full probability vectors in `<dataDir>/rounds/<id>.proba`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { StudioError, type AuditedPrecision, type RoundInfo, type RoundStage, type Settings } from '../../../preload/contract'
import { RoundEstimate } from './round-progress'
import type { Project } from '../../engine/project/project'
import type { ImageRow, RoundRow } from '../../engine/store'
import { applyFeatures, fitFeatures, type FeatureOptions, type FeatureTransform } from '../../engine/selftrain/features'
import { saveStudentHead } from '../../engine/exchange/student'
import { runRoundInWorker } from '../../engine/selftrain/in-worker'
import { matrix, type Matrix } from '../../engine/math/linalg'
import { margin } from '../../engine/selftrain/next'
import { loadEmbeddings, type LoadedManifest } from '../../engine/teacher'
import { classTextFor } from '../../engine/teacher/text'

/**
 * What a round takes from the settings, and the teacher whose embeddings it reads (`textAligned`: it
 * has a text tower; `manifest`: its manifest when the caller has loaded it already; `searchDirs`:
 * where its files are, defaultModelSearchDirs(appDataDir) in the app).
 */
export type RoundOptions = Partial<Pick<Settings, 'strategy' | 'strategyParam' | 'head' | 'prompts' | 'textPrior' | 'testTimeViews' | 'noisyStudent'>> & {
  teacher?: string
  textAligned?: boolean
  manifest?: LoadedManifest
  searchDirs?: string[]
  /** the teacher's augmented views' caches (TeacherPass.viewFiles), for testTimeViews and noisyStudent */
  viewFiles?: string[]
}

/** Input dropout of the noisy student (Settings.noisyStudent): the MLP head's default input dropout. */
export const NOISY_STUDENT_DROPOUT = 0.2

/**
 * The head's inputs for `rows`: their cached embeddings, through the feature transform fitted on
 * them. Rows without an embedding yet are an error: the caller waits for the teacher.
 */
export async function projectFeatures(rows: ImageRow[], cacheFile: string, features?: Partial<FeatureOptions>): Promise<{ images: ImageRow[]; X: Matrix; transform: FeatureTransform }> {
  const emb = await loadEmbeddings(cacheFile, { ids: rows.map((r) => r.hash), scores: false })
  const byHash = new Map(rows.map((r) => [r.hash, r]))
  const images = emb.ids.map((h) => byHash.get(h)!)
  if (images.length < rows.length) throw new Error(`${rows.length - images.length} images have no embedding yet; let the teacher finish first`)
  const pool = matrix(images.length, emb.dim, emb.data)
  const transform = fitFeatures(pool, features)
  return { images, X: applyFeatures(transform, pool), transform }
}

/** The head's inputs of each augmented view of `images`, through the clean features' transform. */
export async function viewFeatures(images: ImageRow[], viewFiles: string[], transform: FeatureTransform): Promise<Matrix[]> {
  return Promise.all(
    viewFiles.map(async (file, v) => {
      const emb = await loadEmbeddings(file, { ids: images.map((r) => r.hash), scores: false }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new Error(`view ${v + 1}'s embeddings are missing (${file}); run the teacher again (Settings) or turn the views off`)
        throw err
      })
      if (emb.ids.length < images.length) throw new Error(`${images.length - emb.ids.length} images have no view ${v + 1} yet; let the teacher finish first`)
      // loadEmbeddings gives the rows in the order asked for, so they line up with `images`
      return applyFeatures(transform, matrix(images.length, emb.dim, emb.data))
    }),
  )
}

/** A round's row as the contract gives it; `audited`: its precision from spot-checks (audit.ts roundAudits). */
export function roundInfo(r: RoundRow, audited: AuditedPrecision | null = null): RoundInfo {
  const summary = (r.summary ?? {}) as Partial<RoundInfo>
  return {
    id: r.id,
    status: r.status as RoundInfo['status'],
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    kfoldAccuracy: summary.kfoldAccuracy ?? null,
    ece: summary.ece ?? null,
    proposals: summary.proposals ?? 0,
    proposalsPerClass: summary.proposalsPerClass ?? {},
    trainedOn: summary.trainedOn ?? null,
    error: summary.error ?? null,
    // Rounds kept before stages reported their fraction: a kept stage has finished.
    stages: (summary.stages ?? []).map((s: RoundStage) => ({ ...s, fraction: s.fraction ?? (s.finishedAt === null ? 0 : 1) })),
    progress: null,
    auditedPrecision: audited,
    method: summary.method ?? null,
  }
}

/**
 * The running class prior (debias.ts) a finished round kept in its summary, by class id, for
 * today's classes: a class added since starts at an even share, a class deleted since drops out,
 * and the rest is re-normalised. Undefined when the round kept none (rounds before it was kept).
 */
export function keptClassPrior(summary: unknown, classes: { id: number }[]): Float64Array | undefined {
  const kept = (summary as { classPrior?: Record<string, number> } | null | undefined)?.classPrior
  if (!kept || classes.length === 0) return undefined
  const prior = Float64Array.from(classes, (c) => kept[c.id] ?? 1 / classes.length)
  const total = prior.reduce((a, b) => a + b, 0)
  return total > 0 ? prior.map((v) => v / total) : undefined
}

export class RoundJob {
  private abort: AbortController | null = null
  /** Settles once the running round has recorded how it ended. */
  private ending: Promise<void> = Promise.resolve()

  /** `progressMs`: the worker's least interval between progress messages within a stage (worker.ts). */
  constructor(
    private readonly report: (round: RoundInfo, stage: string) => void,
    private readonly progressMs?: number,
  ) {}

  get running(): boolean {
    return this.abort !== null
  }

  cancel(): boolean {
    const had = this.abort !== null
    this.abort?.abort()
    return had
  }

  /**
   * Cancels the running round and waits until it has recorded its end: before its project's
   * database closes (a round ending after that threw from its handlers and took the process down).
   */
  async stop(): Promise<void> {
    this.cancel()
    await this.ending
  }

  /**
   * Checks that a round can run and starts it; returns its row at once. The round goes on in the
   * background and reports through `report`.
   */
  /**
   * Rounds a crash or a killed process left marked running, closed as failed: no job runs for a
   * project just opened, and a round shown as running forever left no way to run another.
   */
  closeInterrupted(project: Project): void {
    if (this.abort) return
    for (const r of project.store.rounds.list()) if (r.status === 'running') project.store.rounds.finish(r.id, 'failed', { error: 'interrupted (the studio stopped during the round)' })
  }

  start(project: Project, cacheFile: string | null, options: RoundOptions = {}): RoundInfo {
    if (this.abort) throw new StudioError('invalid_input', 'a round is already running; wait for it or cancel it')
    if (!cacheFile) throw new StudioError('invalid_input', 'the teacher has not embedded the project yet; wait for it to finish (see the status bar)')
    const classes = project.store.classes.list()
    const rows = project.store.queries.allImages()
    const labelled = new Set(rows.filter((r) => r.status === 'human' || r.status === 'accepted').map((r) => r.classId))
    const missing = classes.filter((c) => !labelled.has(c.id))
    if (classes.length < 2) throw new StudioError('invalid_input', 'a round needs at least two classes: create them in the Classes panel')
    // With a text tower the class names alone can propose (zero-shot), so a first round needs no label.
    const zeroShot = labelled.size === 0 && options.textAligned === true
    if (missing.length && !zeroShot) throw new StudioError('invalid_input', `label at least one image of each class first; none yet for: ${missing.map((c) => c.name).join(', ')}`)
    this.closeInterrupted(project)

    const round = project.store.rounds.list().length + 1
    // The strategy and head are kept with the round, so its metrics can be read against how it picked and trained.
    const selection = { strategy: options.strategy, strategyParam: options.strategyParam ?? undefined }
    const previous = project.store.rounds.list().findLast((r) => r.status === 'done')
    const id = project.store.rounds.start({ round, ...selection, head: options.head })
    const abort = new AbortController()
    this.abort = abort
    const info = () => roundInfo(project.store.rounds.list().find((r) => r.id === id)!)
    const estimate = new RoundEstimate(previous ? roundInfo(previous).stages : [], rows.length)
    this.ending = this.run(project, cacheFile, id, round, rows, estimate, abort.signal, { ...options, ...selection })
      .catch((err: unknown) => {
        const cancelled = abort.signal.aborted
        project.store.rounds.finish(id, cancelled ? 'cancelled' : 'failed', { error: cancelled ? 'cancelled' : (err as Error).message })
      })
      .finally(() => {
        this.abort = null
        const end = info()
        // A round that finished says so in its progress too (1, nothing left); one that did not has none.
        this.report(end.status === 'done' ? { ...end, progress: estimate.progress(Date.now()) } : end, 'finished')
      })
    return info()
  }

  private async run(
    project: Project,
    cacheFile: string,
    id: number,
    round: number,
    rows: ImageRow[],
    estimate: RoundEstimate,
    signal: AbortSignal,
    options: Omit<RoundOptions, 'strategyParam'> & { strategyParam?: number | undefined },
  ): Promise<void> {
    // Each stage reports its start, and the worker's stages their progress within (throttled there):
    // the UI shows each stage's share, the whole round's and the seconds left (round-progress.ts).
    const { stages } = estimate
    const send = (name: string) => {
      // A worker's message can come after a cancel (closing the project closes its store next).
      if (signal.aborted) return
      const now = Date.now()
      this.report({ ...roundInfo(project.store.rounds.list().find((r) => r.id === id)!), stages: stages.map((st) => ({ ...st })), progress: estimate.progress(now) }, name)
    }
    const enter = (name: string | null) => {
      estimate.enter(name, Date.now())
      if (name !== null) send(name)
    }
    const classes = project.store.classes.list()
    const labels = rows.some((r) => r.classId !== null && (r.status === 'human' || r.status === 'accepted'))
    // The class names' text directions, when the teacher has a text tower and they are used: always
    // with no label (zero-shot), with labels only as the head's prior (settings.textPrior).
    const useText = options.textAligned === true && options.teacher !== undefined && (!labels || options.textPrior !== false)
    if (useText) enter('embedding the class names')
    const text = useText ? await classTextFor(options.manifest ?? options.teacher!, classes.map((c) => c.name), options.prompts ?? null, options.searchDirs ? { searchDirs: options.searchDirs } : {}) : null
    enter('reading embeddings')
    // With text, the head works on the plain L2-normalised embeddings, where a text direction is a
    // classifier as it stands (zero-shot.ts says why).
    const { images, X, transform } = await projectFeatures(rows, cacheFile, text ? { power: 1, centre: false } : undefined)
    if (text && text.T.cols !== X.cols) throw new Error(`the text tower gives ${text.T.cols} values per class name but the image embeddings have ${X.cols}: the manifest's towers do not share one space`)
    const viewFiles = options.testTimeViews || options.noisyStudent ? (options.viewFiles ?? []) : []
    const views = viewFiles.length ? await viewFeatures(images, viewFiles, transform) : []
    const viewSettings = views.length ? { testTimeViews: options.testTimeViews === true, studentViews: options.noisyStudent === true, studentDropout: options.noisyStudent ? NOISY_STUDENT_DROPOUT : 0 } : {}
    signal.throwIfAborted()

    const slot = new Map(classes.map((c, k) => [c.id, k]))
    const pick = (status: ImageRow['status']) => {
      const index: number[] = []
      const label: number[] = []
      images.forEach((r, i) => {
        const k = r.classId === null ? undefined : slot.get(r.classId)
        if (r.status === status && k !== undefined) {
          index.push(i)
          label.push(k)
        }
      })
      return { index: Int32Array.from(index), label: Int32Array.from(label) }
    }
    const exclude = Int32Array.from(images.flatMap((r, i) => (r.status === 'rejected' ? [i] : [])))
    const classPrior = keptClassPrior(project.store.rounds.list().findLast((r) => r.status === 'done' && r.id !== id)?.summary, classes)
    // A worker's start (and the embeddings crossing to it) until its first stage reports.
    enter('starting the worker')
    const result = await runRoundInWorker(
      { X, classes: classes.length, human: pick('human'), accepted: pick('accepted'), unreviewed: pick('proposed'), exclude, ...(text ? { text } : {}), ...(views.length ? { views } : {}), ...(classPrior ? { classPrior } : {}) },
      { round, rounds: Math.max(5, round), textPrior: options.textPrior !== false, ...viewSettings, ...(options.head ? { head: options.head } : {}), ...(options.strategy ? { strategy: options.strategy } : {}), ...(options.strategyParam !== undefined ? { strategyParam: options.strategyParam } : {}) },
      signal,
      (stage, done, total) => {
        estimate.advance(stage, done, total, Date.now())
        send(stage)
      },
      this.progressMs,
    )
    signal.throwIfAborted()

    enter('writing proposals')
    // The round's full probability vectors, for audits and "why this label" views.
    const paths = project.paths
    await mkdir(paths.rounds, { recursive: true })
    // With a graph view (ensemble, agreement) the proposals' confidences come from the mean of the
    // head's and label propagation's probabilities: keep that mean, so the viewer's top-5 agrees with them.
    const proba = result.graphProba ? result.proba.map((p, i) => (p + result.graphProba![i]!) / 2) : result.proba
    await writeFile(paths.roundProba(id), Buffer.from(proba.buffer, proba.byteOffset, proba.byteLength))
    await writeFile(paths.roundRows(id), JSON.stringify({ classIds: classes.map((c) => c.id), hashes: images.map((r) => r.hash) }))
    // The head itself, for the student ONNX export (it lives only in the worker otherwise), and the
    // head's own calibrated probabilities: what the exported student reproduces, without the graph view.
    const head = { transform, weights: result.headWeights, temperature: result.metrics.temperature }
    await writeFile(paths.headProba(id), Buffer.from(result.proba.buffer, result.proba.byteOffset, result.proba.byteLength))
    await saveStudentHead(paths, { roundId: id, classIds: classes.map((c) => c.id), classNames: classes.map((c) => c.name), cacheFile, ...head })

    // The previous rounds' unreviewed proposals give way to this round's (decisions on them stay).
    for (const r of project.store.rounds.list()) if (r.id !== id) project.store.labels.retractRound(r.id)
    const { index, label, confidence } = result.proposals
    const k = classes.length
    // A round may propose nothing (every image labelled, or none confident enough): it still ends done.
    if (index.length > 0)
      project.store.labels.propose(
        id,
        Array.from(index, (i, j) => ({ imageId: images[i]!.id, classId: classes[label[j]!]!.id, confidence: confidence[j]!, uncertainty: 1 - margin(result.proba, i, k) })),
      )
    const perClass: Record<string, number> = {}
    classes.forEach((c, k2) => (perClass[c.name] = result.metrics.proposalsPerClass[k2] ?? 0))
    enter(null)
    project.store.rounds.finish(id, 'done', {
      stages,
      kfoldAccuracy: Number.isFinite(result.metrics.kfoldAccuracy) ? result.metrics.kfoldAccuracy : null,
      ece: result.metrics.ece,
      proposals: index.length,
      proposalsPerClass: perClass,
      trainedOn: result.metrics.trainedOn,
      method: result.metrics.method,
      classPrior: Object.fromEntries(classes.map((c, k2) => [c.id, result.classPrior[k2]!])),
    })
  }
}
