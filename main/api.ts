/**
 * The contract of preload/contract.ts, implemented once. Both transports (Electron IPC in
 * main/electron, HTTP in main/server) call `handle` for requests and `media` for image bytes; neither
 * does any work of its own. Every input is validated here, because the renderer is untrusted.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import {
  StudioError,
  type AppInfo,
  type ClassInfo,
  type LabelResult,
  type RequestInput,
  type ImageInfo,
  type MediaKind,
  type ProjectSummary,
  type Reply,
  type RequestName,
  type RequestResults,
  type Settings,
  type StudioEvent,
} from '../preload/contract'
import { requestSchemas } from '../preload/schemas'
import { CLASS_PALETTE, zeroPerStatus } from '../preload/vocabulary'
import { MAX_INPUT_PIXELS } from './engine/library/scan'
import { Project, type OpenOptions } from './engine/project/project'
import { DEMO_FOLDER, projectOpenOptions } from './engine/project/locations'
import { ClassConflict, StoreError, type ImageRow } from './engine/store'
import { PathRefused, resolveInside } from './engine/library/safe-path'
import { ProgressMeter } from './engine/progress'
import { DEFAULT_SETTINGS, listTeacherModels, loadSettings, saveSettings } from './settings'
import { TeacherPass } from './teacher-pass'
import { RoundJob, roundInfo } from './round-job'
import { defaultExportPath, exportLabels } from './engine/exchange/export'
import { exportStudent } from './engine/exchange/student'
import { forgetProject, recentProjects, rememberProject } from './recent'
import { suggestSeeds } from './suggest'
import { auditReport, roundAudits, startAudit } from './audit'
import { MapJob, mapLabels } from './map'
import { SimilarImages } from './similar'
import { filterIds, proposalCountsAbove, topProbabilities } from './queries'

export const STUDIO_VERSION = '0.1.0'

export interface HostOptions {
  host: AppInfo['host']
  /** Shows a native folder dialog; absent where the host has none (the web host). */
  pickFolder?: () => Promise<string | null>
  /** The app's own data folder, used for projects whose image folder is read-only. */
  appDataDir: string
}

/** Formats a browser shows as they are; others (TIFF, HEIF) are converted for the viewer. */
const BROWSER_FORMATS: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' }

/** How many unreadable files a project summary carries; the rest are counted. */
const UNREADABLE_LISTED = 500

export interface MediaReply {
  bytes: Buffer
  mime: string
}

export class StudioApi {
  private project: Project | null = null
  private readonly listeners = new Set<(event: StudioEvent) => void>()
  private settings: Settings | null = null
  /** The teacher's features kept for "more like this" while the embedding cache is unchanged. */
  private readonly similarImages = new SimilarImages()
  private readonly teacher: TeacherPass
  private readonly map = new MapJob((stage, done, total, perSecond, etaSeconds) => this.emit({ type: 'progress', job: 'map', stage, done, total, perSecond, etaSeconds }))
  private readonly rounds = new RoundJob((round, stage) => {
    this.emit({ type: 'round.status', round, stage })
    if (round.status === 'done') this.emit({ type: 'labels.changed', imageIds: [] })
  })

  constructor(private readonly hostOptions: HostOptions) {
    this.teacher = new TeacherPass(
      DEFAULT_SETTINGS.teacher,
      (status) => this.emit({ type: 'teacher.status', status }),
      (done, total, perSecond, etaSeconds) => this.emit({ type: 'progress', job: 'embed', stage: 'embedding images', done, total, perSecond, etaSeconds }),
    )
  }

  private async currentSettings(): Promise<Settings> {
    this.settings ??= await loadSettings(this.hostOptions.appDataDir)
    return this.settings
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** Validates and runs one request. Never throws: failures come back as `{ ok: false, error }`. */
  async handle(name: string, input: unknown): Promise<Reply<unknown>> {
    try {
      if (!Object.hasOwn(requestSchemas, name)) throw new StudioError('invalid_input', `unknown request "${name}"`)
      const schema = requestSchemas[name as RequestName]
      const parsed = schema.safeParse(input ?? {})
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const field = issue?.path.join('.') || '(body)'
        throw new StudioError('invalid_input', `${name}: field ${field}: ${issue?.message ?? 'invalid'}`)
      }
      return { ok: true, value: await this.run(name as RequestName, parsed.data) }
    } catch (err) {
      return { ok: false, error: toErrorShape(err) }
    }
  }

  private async run(name: RequestName, input: unknown): Promise<RequestResults[RequestName]> {
    switch (name) {
      case 'app.info':
        return this.info()
      case 'dialog.pickFolder':
        return this.hostOptions.pickFolder ? this.hostOptions.pickFolder() : null
      case 'project.open':
        return this.open((input as RequestInput<'project.open'>).folder)
      case 'project.startAfresh': {
        const { folder } = input as RequestInput<'project.startAfresh'>
        const abs = await existingFolder(folder)
        await this.closeProject()
        Project.startAfresh(abs, this.openOptions(abs))
        return this.open(folder)
      }
      case 'images.page': {
        const { offset, limit, ...filter } = input as RequestInput<'images.page'>
        const page = this.requireProject().store.queries.page({ offset, limit, ...filter })
        return { total: page.total, offset: page.offset, images: page.items.map(imageInfo) }
      }
      case 'settings.get':
        return this.currentSettings()
      case 'settings.set': {
        const next = { ...(await this.currentSettings()), ...(input as RequestInput<'settings.set'>) }
        await saveSettings(this.hostOptions.appDataDir, next)
        this.settings = next
        return next
      }
      case 'teacher.models':
        return listTeacherModels()
      case 'teacher.status':
        return this.teacher.current()
      case 'teacher.run':
        await this.teacher.start(this.requireProject(), await this.currentSettings())
        return this.teacher.current()
      case 'jobs.cancel': {
        const { job } = input as RequestInput<'jobs.cancel'>
        return job === 'round' ? this.rounds.cancel() : job === 'map' ? this.map.cancel() : this.teacher.cancel()
      }
      case 'labels.export': {
        const { format, scope, link, valRatio } = input as RequestInput<'labels.export'>
        const project = this.requireProject()
        const dest = await defaultExportPath(project.paths.exports, format)
        const meter = new ProgressMeter()
        const result = await exportLabels(project, {
          format,
          scope,
          dest,
          mode: link ? 'link' : 'copy',
          ...(valRatio !== undefined ? { valRatio } : {}),
          onProgress: (done, total) => {
            if (meter.due(done, total)) this.emit({ type: 'progress', job: 'export', stage: 'copying images', ...meter.report(done, total) })
          },
        })
        return { ...result, fileName: path.basename(dest) }
      }
      case 'student.export': {
        const project = this.requireProject()
        const dest = await defaultExportPath(project.paths.exports, 'onnx')
        const student = await exportStudent(project, dest, { teacher: this.teacher.current().model })
        return { ...student, fileName: path.basename(dest) }
      }
      case 'project.openDemo':
        return this.open(DEMO_FOLDER)
      case 'projects.recent':
        return recentProjects(this.hostOptions.appDataDir)
      case 'projects.forget':
        return forgetProject(this.hostOptions.appDataDir, (input as RequestInput<'projects.forget'>).folder)
      case 'map.get':
        return this.map.get(this.requireProject(), this.teacher.cacheFile())
      case 'map.labels':
        return mapLabels(this.requireProject())
      case 'suggest.seeds': {
        const { count } = input as RequestInput<'suggest.seeds'>
        return (await suggestSeeds(this.requireProject(), this.teacher.cacheFile(), count)).map(imageInfo)
      }
      case 'audit.start':
        return (await startAudit(this.requireProject(), (input as RequestInput<'audit.start'>).perClass)).map(imageInfo)
      case 'audit.report':
        return auditReport(this.requireProject())
      case 'rounds.list': {
        const project = this.requireProject()
        const rounds = project.store.rounds.list()
        const audits = await roundAudits(project, rounds)
        return rounds.map((r) => roundInfo(r, audits.get(r.id) ?? null))
      }
      case 'rounds.start':
        return this.rounds.start(this.requireProject(), this.teacher.cacheFile(), await this.currentSettings())
      case 'classes.list':
        return this.classList()
      case 'classes.create': {
        // A new class keeps the colour it is first shown in, so deleting a class above it does not recolour it.
        const project = this.requireProject()
        const id = project.store.classes.ensure((input as RequestInput<'classes.create'>).name, CLASS_PALETTE[project.store.classes.list().length % CLASS_PALETTE.length])
        return this.classInfo(id)
      }
      case 'classes.rename': {
        const { id, name } = input as RequestInput<'classes.rename'>
        this.requireClass(id)
        this.requireProject().store.classes.rename(id, name)
        return this.classInfo(id)
      }
      case 'classes.delete': {
        const { id } = input as RequestInput<'classes.delete'>
        this.requireClass(id)
        return this.labelsChanged(this.requireProject().store.classes.delete(id, 'user').imageIds)
      }
      case 'classes.merge': {
        const { id, into } = input as RequestInput<'classes.merge'>
        this.requireClass(id)
        this.requireClass(into)
        return this.labelsChanged(this.requireProject().store.classes.merge(id, into, 'user').imageIds)
      }
      case 'classes.setColor': {
        const { id, color } = input as RequestInput<'classes.setColor'>
        this.requireClass(id)
        this.requireProject().store.classes.setColor(id, color)
        return this.classInfo(id)
      }
      case 'labels.set': {
        const { imageIds, classId } = input as RequestInput<'labels.set'>
        if (classId !== null) this.requireClass(classId)
        this.requireProject().store.labels.set(imageIds, classId)
        return this.labelsChanged(imageIds)
      }
      case 'labels.review': {
        const { imageIds, decision } = input as RequestInput<'labels.review'>
        this.requireProject().store.labels.review(imageIds, decision)
        return this.labelsChanged(imageIds)
      }
      case 'labels.relabel': {
        const { imageIds, classId } = input as RequestInput<'labels.relabel'>
        this.requireClass(classId)
        this.requireProject().store.labels.relabel(imageIds, classId)
        return this.labelsChanged(imageIds)
      }
      case 'labels.undo':
      case 'labels.redo': {
        const project = this.requireProject()
        const result = name === 'labels.undo' ? project.store.labels.undo() : project.store.labels.redo()
        return result ? this.labelsChanged(result.imageIds) : null
      }
      case 'images.history': {
        const { imageId } = input as RequestInput<'images.history'>
        const project = this.requireProject()
        const names = new Map(project.store.classes.listWithDeleted().map((c) => [c.id, c.deleted ? `${c.name} (deleted)` : c.name]))
        return project.store.labels
          .history(imageId)
          .map((e) => ({ id: e.id, classId: e.classId, className: e.classId === null ? null : (names.get(e.classId) ?? null), source: e.source, state: e.state, roundId: e.roundId, confidence: e.confidence, actor: e.actor, at: e.at, undone: e.undone }))
      }
      case 'images.ids': {
        const { offset, limit, ...filter } = input as RequestInput<'images.ids'>
        return filterIds(this.requireProject(), filter, offset, limit)
      }
      case 'images.byIds': {
        const project = this.requireProject()
        return (input as RequestInput<'images.byIds'>).imageIds.flatMap((id) => {
          const row = project.store.images.get(id)
          return row && row.path !== null ? [imageInfo(row)] : []
        })
      }
      case 'images.similar': {
        const { imageId, k } = input as RequestInput<'images.similar'>
        const found = await this.similarImages.query(this.requireProject(), this.teacher.cacheFile(), imageId, k)
        return found.map((f) => ({ image: imageInfo(f.row), similarity: f.similarity }))
      }
      case 'images.files': {
        const { imageId } = input as RequestInput<'images.files'>
        const project = this.requireProject()
        if (!project.store.images.get(imageId)) throw new StudioError('not_found', `no image with id ${imageId} in the open project`)
        return project.store.images.filesOf(imageId)
      }
      case 'images.probabilities':
        return topProbabilities(this.requireProject(), (input as RequestInput<'images.probabilities'>).imageId)
      case 'proposals.countAbove':
        return proposalCountsAbove(this.requireProject(), (input as RequestInput<'proposals.countAbove'>).threshold)
      case 'proposals.acceptAbove': {
        const { threshold, classId } = input as RequestInput<'proposals.acceptAbove'>
        const project = this.requireProject()
        if (classId !== undefined) this.requireClass(classId)
        const ids = filterIds(project, { status: 'proposed', minConfidence: threshold, sort: 'confidence', descending: true, ...(classId !== undefined ? { classId } : {}) })
        if (ids.length === 0) return { imageIds: [] }
        project.store.labels.review(ids, 'accept')
        return this.labelsChanged(ids)
      }
      case 'images.get': {
        const { relPath } = input as RequestInput<'images.get'>
        const row = this.requireProject().store.images.byPath(relPath)
        if (!row) throw new StudioError('not_found', `no image "${relPath}" in the open project`)
        return imageInfo(row)
      }
    }
  }

  private labelsChanged(imageIds: number[]): LabelResult {
    this.emit({ type: 'labels.changed', imageIds })
    return { imageIds }
  }

  private requireClass(id: number): void {
    if (!this.requireProject().store.classes.list().some((c) => c.id === id)) throw new StudioError('not_found', `no class with id ${id} in this project`)
  }

  private classList(): ClassInfo[] {
    const project = this.requireProject()
    const counts = new Map(project.store.queries.counts().byClass.map((c) => [c.classId, c.byStatus]))
    return project.store.classes.list().map((c) => ({ id: c.id, name: c.name, color: c.color, counts: counts.get(c.id) ?? zeroPerStatus() }))
  }

  private classInfo(id: number): ClassInfo {
    const found = this.classList().find((c) => c.id === id)
    if (!found) throw new StudioError('not_found', `no class with id ${id} in this project`)
    return found
  }

  info(): AppInfo {
    return {
      version: STUDIO_VERSION,
      host: this.hostOptions.host,
      canPickFolder: Boolean(this.hostOptions.pickFolder),
      project: this.project ? summary(this.project) : null,
    }
  }

  private openOptions(folder: string): OpenOptions {
    return projectOpenOptions(folder, this.hostOptions.appDataDir)
  }

  /** The settings a teacher pass over `project` runs with: the demo always uses the default teacher. */
  private async teacherSettings(project: Project): Promise<Settings> {
    const settings = await this.currentSettings()
    return project.folder === DEMO_FOLDER ? { ...settings, teacher: DEFAULT_SETTINGS.teacher } : settings
  }

  /** Opens `folder` as the project and brings its index up to date, reporting progress. */
  async open(folder: string): Promise<ProjectSummary> {
    const abs = await existingFolder(folder)
    await this.closeProject()
    let project: Project
    try {
      project = await Project.open(abs, this.openOptions(abs))
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
    await rememberProject(this.hostOptions.appDataDir, abs).catch((err: unknown) => console.warn(`recent projects: could not save ${abs}: ${(err as Error).message}`))
    await this.teacher.start(project, await this.teacherSettings(project))
    project.watch((change) => {
      if (!change.report || this.project !== project) return
      this.emit({ type: 'project.changed', project: summary(project) })
      // New images get embedded; those already in the cache are skipped.
      void this.teacherSettings(project).then((settings) => this.teacher.start(project, settings))
    })
    const result = summary(project)
    this.emit({ type: 'project.opened', project: result })
    return result
  }

  private async closeProject(): Promise<void> {
    const open = this.project
    this.project = null
    await this.teacher.cancel()
    this.rounds.cancel()
    this.map.cancel()
    this.similarImages.clear()
    await open?.close()
  }

  /** Closes the open project (its database and watcher); the hosts call it on exit. */
  async close(): Promise<void> {
    await this.closeProject()
  }

  private requireProject(): Project {
    if (!this.project) throw new StudioError('no_project', 'no project is open; open a folder first')
    return this.project
  }

  /**
   * Image bytes for a transport. `rel` is checked twice: it must resolve inside the project folder
   * (no `..`, absolute paths or symlinks out), and it must be a file of one of the project's images.
   */
  async media(kind: MediaKind, rel: string): Promise<MediaReply> {
    const project = this.requireProject()
    const abs = await resolveInside(project.folder, rel)
    const image = project.store.images.byPath(rel)
    if (!image) throw new PathRefused(404, `not an image of the open project: ${rel}`)
    if (kind === 'thumb') return { bytes: await project.thumbnail(image.id, { priority: 1 }), mime: 'image/webp' }
    const mime = image.format ? BROWSER_FORMATS[image.format] : undefined
    if (mime) return { bytes: await readFile(abs), mime }
    // Browsers cannot show TIFF or HEIF: convert, keeping the full size up to a sane bound.
    const bytes = await sharp(abs, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize(4096, 4096, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 90 })
      .toBuffer()
    return { bytes, mime: 'image/webp' }
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

function fromStoreError(err: unknown, folder: string): unknown {
  if (!(err instanceof StoreError)) return err
  switch (err.code) {
    case 'open_elsewhere':
      return new StudioError('open_elsewhere', `${folder} is open in another studio window or process; close it there first`)
    case 'no_writable_location':
      return new StudioError('forbidden', err.message)
    default:
      return new StudioError('unusable_database', `${err.message} Start afresh to keep the old database aside (nothing is deleted) and index the folder anew.`)
  }
}

/**
 * Parses the path both transports use for images, `<kind>/<segments, each URI-encoded>`. A segment
 * that decodes to `..` or a slash is caught afterwards by resolveInside.
 */
export function parseMediaPath(rest: string): [MediaKind, string] {
  const slash = rest.indexOf('/')
  const kind = rest.slice(0, slash)
  if (slash < 0 || (kind !== 'thumb' && kind !== 'original')) throw new PathRefused(404, 'media paths are thumb/<path> or original/<path>')
  try {
    return [kind, rest.slice(slash + 1).split('/').map(decodeURIComponent).join('/')]
  } catch {
    throw new PathRefused(400, 'malformed percent-encoding in the path')
  }
}

function imageInfo(row: ImageRow): ImageInfo {
  return {
    id: row.id,
    relPath: row.path ?? '',
    width: row.width ?? 0,
    height: row.height ?? 0,
    format: row.format ?? 'unknown',
    bytes: row.bytes,
    fileCount: row.fileCount,
    status: row.status,
    classId: row.classId,
    confidence: row.confidence,
  }
}

function summary(p: Project): ProjectSummary {
  const counts = p.store.queries.counts()
  const unreadable = p.store.images.unreadableFiles(0, UNREADABLE_LISTED)
  return {
    folder: p.folder,
    name: path.basename(p.folder),
    imageCount: counts.images,
    fileCount: counts.files,
    unreadableCount: unreadable.total,
    unreadable: unreadable.items.map((u) => ({ relPath: u.path, reason: u.reason })),
    dataDir: p.dataDir,
  }
}

export function toErrorShape(err: unknown): { code: StudioError['code']; message: string } {
  if (err instanceof StudioError) return { code: err.code, message: err.message }
  if (err instanceof ClassConflict) return { code: 'invalid_input', message: err.message }
  if (err instanceof PathRefused) return { code: err.status === 404 ? 'not_found' : 'forbidden', message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message }
}
