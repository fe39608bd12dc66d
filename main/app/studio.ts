/**
 * The studio's state behind the contract: the open project, the app's settings, the long jobs and
 * the event listeners, and the project lifecycle (open, start afresh, close). Both transports
 * (Electron IPC in main/electron, HTTP in main/server) call `handle` for requests and `media` for
 * image bytes; neither does any work of its own. The requests themselves are handlers/.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { StudioError, type AppInfo, type LabelResult, type MediaKind, type ProjectSummary, type Reply, type Settings, type StudioEvent } from '../../preload/contract'
import { Project } from '../engine/project/project'
import { ProgressMeter } from '../engine/progress'
import { USER, type Caller, type HostOptions, type StudioContext } from './context'
import { summary } from './dto'
import { fromStoreError, toErrorShape } from './errors'
import { dispatch, isRequestName } from './handlers'
import { MapJob } from './jobs/map-job'
import { LabelIssuesJob } from './label-issues'
import { RoundJob } from './jobs/round-job'
import { SimilarImages } from './jobs/similar-images'
import { TeacherDownloads } from './jobs/teacher-downloads'
import { TeacherPass } from './jobs/teacher-pass'
import { DEMO_FOLDER, projectOpenOptions } from '../engine/project/locations'
import { projectMedia, type MediaReply } from './media'
import { rememberProject } from './recent-projects'
import { DEFAULT_APP_SETTINGS, loadSettings, saveSettings } from './settings'

export const STUDIO_VERSION = '0.1.0'

export class StudioApi {
  private project: Project | null = null
  private readonly listeners = new Set<(event: StudioEvent) => void>()
  private settings: Settings | null = null
  private readonly jobs: StudioContext['jobs']
  /** What handlers may use of this studio; see context.ts. Each request adds its caller. */
  private readonly context: Omit<StudioContext, 'caller'>

  constructor(private readonly hostOptions: HostOptions) {
    this.jobs = {
      teacher: new TeacherPass(
        DEFAULT_APP_SETTINGS.teacher,
        hostOptions.appDataDir,
        (status) => {
          this.emit({ type: 'teacher.status', status })
          // the features for "more like this" load while the user looks at the grid, so the
          // first click finds them ready; not for the CLI's verbs (embedOnOpen false), which
          // do not ask for similar images
          if (status.state === 'done' && hostOptions.embedOnOpen !== false) void this.jobs.similar.warm(this.jobs.teacher.cacheFile()).catch(() => undefined)
        },
        (done, total, perSecond, etaSeconds) => this.emit({ type: 'progress', job: 'embed', stage: 'embedding images', done, total, perSecond, etaSeconds }),
      ),
      rounds: new RoundJob((round, stage) => {
        this.emit({ type: 'round.status', round, stage })
        if (round.status === 'done') this.emit({ type: 'labels.changed', imageIds: [] })
      }, hostOptions.roundProgressMs),
      map: new MapJob((stage, done, total, perSecond, etaSeconds) => this.emit({ type: 'progress', job: 'map', stage, done, total, perSecond, etaSeconds })),
      issues: new LabelIssuesJob((done, total, perSecond, etaSeconds) => this.emit({ type: 'progress', job: 'issues', stage: 'cross-validating', done, total, perSecond, etaSeconds })),
      similar: new SimilarImages((done, total, perSecond, etaSeconds) => this.emit({ type: 'progress', job: 'similar', stage: 'reading features', done, total, perSecond, etaSeconds })),
      downloads: new TeacherDownloads(
        hostOptions.appDataDir,
        (event) => this.emit(event),
        (id) => void this.teacherInstalled(id),
      ),
    }
    this.context = {
      host: hostOptions,
      jobs: this.jobs,
      requireProject: () => this.requireProject(),
      emit: (event) => this.emit(event),
      labelsChanged: (imageIds) => this.labelsChanged(imageIds),
      settings: () => this.currentSettings(),
      updateSettings: (patch) => this.updateSettings(patch),
      info: () => this.info(),
      open: (folder) => this.open(folder),
      startAfresh: (folder) => this.startAfresh(folder),
    }
  }

  private async currentSettings(): Promise<Settings> {
    this.settings ??= await loadSettings(this.hostOptions.appDataDir)
    return this.settings
  }

  private async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.currentSettings()), ...patch }
    await saveSettings(this.hostOptions.appDataDir, next)
    this.settings = next
    return next
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  private labelsChanged(imageIds: number[]): LabelResult {
    this.emit({ type: 'labels.changed', imageIds })
    return { imageIds }
  }

  /**
   * Validates and runs one request made by `caller` (the web host passes each reviewer's). Never
   * throws: failures come back as `{ ok: false, error }`.
   */
  async handle(name: string, input: unknown, caller: Caller = USER): Promise<Reply<unknown>> {
    try {
      if (!isRequestName(name)) throw new StudioError('invalid_input', `unknown request "${name}"`)
      return { ok: true, value: await dispatch(name, input, { ...this.context, caller }) }
    } catch (err) {
      return { ok: false, error: toErrorShape(err) }
    }
  }

  info(): AppInfo {
    return {
      version: STUDIO_VERSION,
      host: this.hostOptions.host,
      canPickFolder: Boolean(this.hostOptions.pickFolder),
      project: this.project ? summary(this.project) : null,
      reviewer: null,
    }
  }

  /** `actor`'s page is open (the web host's event stream): their review leases are renewed. */
  reviewerPresent(actor: string): void {
    this.leaseWrite(actor, 'renew', (leases) => leases.renew(actor, Date.now()))
  }

  /** `actor`'s last page closed: their review leases end after a grace period unless they come back. */
  reviewerLeft(actor: string): void {
    this.leaseWrite(actor, 'end', (leases) => leases.leave(actor, Date.now()))
  }

  /** The web host calls these from a timer and a socket's close: a failed write (disk full) is said, not thrown, or it would stop the server. */
  private leaseWrite(actor: string, what: string, write: (leases: Project['store']['leases']) => void): void {
    if (!this.project) return
    try {
      write(this.project.store.leases)
    } catch (err) {
      console.warn(`could not ${what} ${actor}'s review leases: ${(err as Error).message}`)
    }
  }

  /** The settings a teacher pass over `project` runs with: the demo always uses the default teacher. */
  private async teacherSettings(project: Project): Promise<Settings> {
    const settings = await this.currentSettings()
    return project.folder === DEMO_FOLDER ? { ...settings, teacher: DEFAULT_APP_SETTINGS.teacher } : settings
  }

  /** A teacher's files arrived: when it is the teacher in use, the open project is embedded with it now. */
  private async teacherInstalled(id: string): Promise<void> {
    const project = this.project
    if (!project) return
    const settings = await this.teacherSettings(project)
    if (settings.teacher === id && this.jobs.teacher.current().state !== 'embedding') await this.jobs.teacher.start(project, settings)
  }

  /** Opens `folder` as the project and brings its index up to date, reporting progress. */
  async open(folder: string): Promise<ProjectSummary> {
    const abs = await existingFolder(folder)
    await this.closeProject()
    let project: Project
    try {
      project = await Project.open(abs, projectOpenOptions(abs, this.hostOptions.appDataDir))
    } catch (err) {
      throw fromStoreError(err, abs)
    }
    const meter = new ProgressMeter()
    try {
      await project.index({
        onProgress: (done, total) => {
          if (meter.due(done, total)) this.emit({ type: 'progress', job: 'index', stage: 'reading images', ...meter.report(done, total) })
        },
      })
    } catch (err) {
      await project.close()
      throw err
    }
    this.project = project
    this.jobs.rounds.closeInterrupted(project)
    await rememberProject(this.hostOptions.appDataDir, abs).catch((err: unknown) => console.warn(`recent projects: could not save ${abs}: ${(err as Error).message}`))
    const embed = this.hostOptions.embedOnOpen !== false
    if (embed) await this.jobs.teacher.start(project, await this.teacherSettings(project))
    project.watch((change) => {
      if (!change.report || this.project !== project) return
      this.emit({ type: 'project.changed', project: summary(project) })
      // New images get embedded; those already in the cache are skipped.
      if (embed) void this.teacherSettings(project).then((settings) => this.jobs.teacher.start(project, settings))
    })
    const result = summary(project)
    this.emit({ type: 'project.opened', project: result })
    return result
  }

  /** Moves the folder's unusable database aside (kept, never deleted) and opens the folder anew. */
  private async startAfresh(folder: string): Promise<ProjectSummary> {
    const abs = await existingFolder(folder)
    await this.closeProject()
    Project.startAfresh(abs, projectOpenOptions(abs, this.hostOptions.appDataDir))
    return this.open(folder)
  }

  private async closeProject(): Promise<void> {
    const open = this.project
    this.project = null
    await this.jobs.teacher.cancel()
    await this.jobs.rounds.stop()
    this.jobs.map.cancel()
    this.jobs.issues.cancel()
    this.jobs.similar.clear()
    await open?.close()
  }

  /** Closes the open project (its database and watcher); the hosts call it on exit. */
  async close(): Promise<void> {
    await this.jobs.downloads.cancel()
    await this.closeProject()
  }

  private requireProject(): Project {
    if (!this.project) throw new StudioError('no_project', 'no project is open; open a folder first')
    return this.project
  }

  /** Image bytes of the open project for a transport; see projectMedia for the checks. */
  async media(kind: MediaKind, rel: string): Promise<MediaReply> {
    return projectMedia(this.requireProject(), kind, rel)
  }
}

async function existingFolder(folder: string): Promise<string> {
  const abs = path.resolve(folder)
  let st
  try {
    st = await stat(abs)
  } catch {
    throw new StudioError('not_found', `folder not found: ${abs}`)
  }
  if (!st.isDirectory()) throw new StudioError('invalid_input', `not a folder: ${abs}; choose the folder that holds your images`)
  return abs
}
