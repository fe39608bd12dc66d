/**
 * The teacher's pass over the open project: load the model on the provider the settings ask for
 * (falling back, with the reason, when that provider cannot load), then embed every image not yet
 * in the cache. It runs in the background after a project opens; the status it reports is what the
 * UI shows (which provider runs, which nodes it took, why a fallback happened, progress).
 */
import path from 'node:path'
import type { Settings, TeacherStatus } from '../../../preload/contract'
import type { Project } from '../../engine/project/project'
import { ProgressMeter } from '../../engine/progress'
import { defaultModelSearchDirs, embedImages, loadManifest, modelCacheDir, openCacheFor, openViewCachesFor, Teacher, type EmbedItem, type ProviderReport } from '../../engine/teacher'

const idle = (model: string): TeacherStatus => ({ model, modelName: null, state: 'idle', message: null, provider: null, done: 0, total: 0, failed: 0, imagesPerSecond: 0 })

export class TeacherPass {
  private status: TeacherStatus
  private abort: AbortController | null = null
  private running: Promise<void> = Promise.resolve()
  private lastCacheFile: string | null = null
  private lastViewFiles: string[] = []

  constructor(
    model: string,
    /** The app's data folder, whose models/ holds the downloaded and imported teachers. */
    private readonly appDataDir: string,
    private readonly report: (status: TeacherStatus) => void,
    private readonly progress: (done: number, total: number, perSecond: number, etaSeconds: number | null) => void,
  ) {
    this.status = idle(model)
  }

  current(): TeacherStatus {
    return this.status
  }

  /** The embedding cache of the last finished pass; null until one has finished. */
  cacheFile(): string | null {
    return this.status.state === 'done' ? this.lastCacheFile : null
  }

  /** The caches of the augmented views (settings.views of them) of the last finished pass. */
  viewFiles(): string[] {
    return this.status.state === 'done' ? this.lastViewFiles : []
  }

  private set(patch: Partial<TeacherStatus>): void {
    this.status = { ...this.status, ...patch }
    this.report(this.status)
  }

  /** Cancels the pass; what it embedded stays in the cache. Resolves once it has stopped. */
  async cancel(): Promise<boolean> {
    const had = this.abort !== null
    this.abort?.abort()
    await this.running
    return had
  }

  /** Starts a pass over `project` (cancelling one in progress) and returns at once. */
  async start(project: Project, settings: Settings): Promise<void> {
    await this.cancel()
    const abort = new AbortController()
    this.abort = abort
    this.status = idle(settings.teacher)
    this.running = this.run(project, settings, abort.signal).finally(() => {
      if (this.abort === abort) this.abort = null
    })
  }

  private async run(project: Project, settings: Settings, signal: AbortSignal): Promise<void> {
    const teacherDir = project.paths.teacher
    let teacher: Teacher | null = null
    try {
      this.set({ state: 'loading' })
      const searchDirs = defaultModelSearchDirs(this.appDataDir)
      const manifest = await loadManifest(settings.teacher, searchDirs)
      this.set({ modelName: manifest.manifest.name })
      teacher = await Teacher.open(manifest, { cacheDir: modelCacheDir(teacherDir), searchDirs, provider: settings.provider, deviceId: settings.deviceId, intraOpThreads: settings.threads })
      signal.throwIfAborted()
      const items = await projectImages(project, signal)
      this.set({ state: 'embedding', provider: providerInfo(teacher.provider), total: items.length })
      const cache = await openCacheFor(teacher, teacherDir)
      const views = await openViewCachesFor(teacher, teacherDir, settings.views)
      const meter = new ProgressMeter(500)
      try {
        const summary = await embedImages(teacher, cache, items, {
          signal,
          views,
          onProgress: (p) => {
            if (!meter.due(p.done, p.total)) return
            this.progress(p.done, p.total, p.imagesPerSecond, p.etaSeconds)
            this.set({ done: p.done - p.failed, failed: p.failed, imagesPerSecond: p.imagesPerSecond, provider: providerInfo(teacher?.provider) })
          },
        })
        this.lastCacheFile = summary.cacheFile
        this.lastViewFiles = views.map((v) => v.file)
        this.set({
          state: 'done',
          done: summary.total - summary.failed.length,
          failed: summary.failed.length,
          imagesPerSecond: summary.imagesPerSecond,
          provider: providerInfo(summary.provider),
          message: summary.failed.length ? `${summary.failed.length} images could not be embedded; first: ${summary.failed[0]?.reason}` : null,
        })
      } finally {
        await cache.close()
        for (const v of views) await v.close()
      }
    } catch (err) {
      if (signal.aborted) this.set({ state: 'cancelled', message: 'cancelled; embedded images are kept and the next run resumes' })
      else this.set({ state: 'failed', message: (err as Error).message })
    } finally {
      await teacher?.close()
    }
  }
}

/**
 * Every readable image of the project, keyed by content hash, in name order. Read a chunk at a time,
 * yielding between chunks: the pass starts as a project opens, and reading a million rows at once
 * held the event loop for 15 s under load (the studio answered nothing meanwhile: no first page, no "select all").
 */
async function projectImages(project: Project, signal: AbortSignal): Promise<EmbedItem[]> {
  const chunk = 20_000
  const items: EmbedItem[] = []
  let after: { path: string; id: number } | null = null
  for (;;) {
    const rows = project.store.queries.pathsAfter(after, chunk)
    for (const r of rows) items.push({ id: r.hash, absPath: path.join(project.folder, r.path) })
    const last = rows.at(-1)
    if (!last || rows.length < chunk) return items
    after = last
    await new Promise((resolve) => setImmediate(resolve))
    // Closing the project or a folder change waits for this pass: stop between chunks.
    signal.throwIfAborted()
  }
}

function providerInfo(report: ProviderReport | undefined): TeacherStatus['provider'] {
  if (!report) return null
  return { requested: report.requested, used: report.used, attempts: report.attempts, fallback: report.fallback, nodes: report.nodes }
}
