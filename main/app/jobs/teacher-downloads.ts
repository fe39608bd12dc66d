/**
 * Teacher downloads in the background, for every host: one at a time (a second would only halve the
 * bandwidth of the first), progress as ProgressEvent job 'download' (stage: the teacher's id), its
 * end as a `teacher.download` event. A cancel keeps the `.part` file, so pulling again resumes.
 */
import { StudioError, type StudioEvent, type TeacherEntry } from '../../../preload/contract'
import type { TeacherFileRole } from '../../../preload/vocabulary'
import { ProgressMeter } from '../../engine/progress'
import { DownloadError } from '../../engine/teacher/download'
import { listTeachers, pullTeacher, removeTeacher, TeacherInstallError, useLocalFile, type TeacherListing } from '../../engine/teacher/install'

type Progress = NonNullable<TeacherEntry['progress']>

export class TeacherDownloads {
  private running: { id: string; abort: AbortController; progress: Progress; done: Promise<void> } | null = null
  /** The last failure per teacher, shown in its catalog entry until it is pulled again. */
  private readonly errors = new Map<string, string>()

  constructor(
    private readonly appDataDir: string,
    private readonly emit: (event: StudioEvent) => void,
    /** Called once a teacher's files are in place (the studio reruns the teacher pass when it is the one in use). */
    private readonly installed: (id: string) => void,
  ) {}

  async list(): Promise<TeacherEntry[]> {
    return (await listTeachers(this.appDataDir)).map((t) => this.entryOf(t))
  }

  /** Starts pulling `id` and answers at once with its entry, downloading. */
  async start(id: string, mirror: string | null): Promise<TeacherEntry> {
    const busy = () => {
      if (this.running && this.running.id !== id) throw new StudioError('invalid_input', `"${this.running.id}" is downloading; wait for it or cancel it first`)
    }
    busy()
    const listing = await this.find(id)
    // Another teacher's download may have started while this one was looked up.
    busy()
    if (!this.running) {
      if (listing.installed) return this.entryOf(listing)
      if (!listing.downloadable) throw new StudioError('unsupported', listing.error ?? `teacher "${id}" has no download URL; use "I already have the file"`)
      this.errors.delete(id)
      const abort = new AbortController()
      const progress: Progress = { done: 0, total: listing.bytes ?? 0, bytesPerSecond: 0, etaSeconds: null }
      const meter = new ProgressMeter(250)
      const done = pullTeacher(id, {
        appDataDir: this.appDataDir,
        mirror,
        signal: abort.signal,
        onProgress: (p) => {
          Object.assign(progress, { done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds })
          if (meter.due(p.done, p.total)) this.emit({ type: 'progress', job: 'download', stage: id, done: p.done, total: p.total, perSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds })
        },
      }).then(
        () => {
          this.emit({ type: 'teacher.download', id, state: 'done', message: null })
          this.installed(id)
        },
        (err: unknown) => {
          const cancelled = abort.signal.aborted
          const message = cancelled ? 'cancelled; what was downloaded is kept and the next download resumes' : (err as Error).message
          if (!cancelled) this.errors.set(id, message)
          this.emit({ type: 'teacher.download', id, state: cancelled ? 'cancelled' : 'failed', message })
        },
      )
      this.running = { id, abort, progress, done: done.finally(() => (this.running = null)) }
      this.emit({ type: 'teacher.download', id, state: 'downloading', message: null })
    }
    return this.entryOf(listing)
  }

  /** Cancels the download in progress (its .part stays for a resume); false when none runs. */
  async cancel(): Promise<boolean> {
    const r = this.running
    if (!r) return false
    r.abort.abort()
    await r.done
    return true
  }

  async useFile(id: string, file: string, role: TeacherFileRole | undefined): Promise<TeacherEntry> {
    if (this.running?.id === id) throw new StudioError('invalid_input', `"${id}" is downloading; cancel it first`)
    const listing = await useLocalFile(id, file, { appDataDir: this.appDataDir, ...(role ? { role } : {}) }).catch(toStudioError)
    this.errors.delete(id)
    this.installed(id)
    return this.entryOf(listing)
  }

  async remove(id: string): Promise<TeacherEntry[]> {
    if (this.running?.id === id) await this.cancel()
    await removeTeacher(id, this.appDataDir).catch(toStudioError)
    this.errors.delete(id)
    return this.list()
  }

  private async find(id: string): Promise<TeacherListing> {
    const listing = (await listTeachers(this.appDataDir)).find((t) => t.id === id)
    if (!listing) throw new StudioError('not_found', `no teacher "${id}" in the catalog or the models folders`)
    return listing
  }

  private entryOf(t: TeacherListing): TeacherEntry {
    const downloading = this.running?.id === t.id
    return {
      id: t.id,
      name: t.name,
      description: t.description,
      licence: t.licence,
      goodAt: t.goodAt,
      source: t.source,
      bytes: t.bytes,
      default: t.default,
      suggestedFor: t.suggestedFor,
      why: t.why,
      textAligned: t.textAligned,
      state: downloading ? 'downloading' : t.installed ? 'installed' : 'not-downloaded',
      downloadable: t.downloadable,
      removable: t.removable,
      progress: downloading && this.running ? { ...this.running.progress } : null,
      error: this.errors.get(t.id) ?? t.error,
    }
  }
}

/** Engine failures of installing, in the contract's codes. */
function toStudioError(err: unknown): never {
  if (err instanceof TeacherInstallError) throw new StudioError(err.kind === 'not_found' ? 'not_found' : err.kind === 'refused' ? 'forbidden' : 'invalid_input', err.message)
  if (err instanceof DownloadError && err.kind === 'unwritable') throw new StudioError('forbidden', err.message)
  throw err
}
