/**
 * What a request handler may use of the studio: the open project, the app's settings, the long jobs
 * and the event channel. StudioApi (studio.ts) owns this state; handlers get it only through this
 * interface, so they cannot reach around it (replace the project, drop listeners).
 */
import type { LabelIssuesJob } from './label-issues'
import type { AppInfo, LabelResult, ProjectSummary, RequestInput, Settings, StudioEvent } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import type { MapJob } from './jobs/map-job'
import type { RoundJob } from './jobs/round-job'
import type { SimilarImages } from './jobs/similar-images'
import type { TeacherDownloads } from './jobs/teacher-downloads'
import type { TeacherPass } from './jobs/teacher-pass'

export interface HostOptions {
  host: AppInfo['host']
  /** Shows a native folder dialog; absent where the host has none (the web host). */
  pickFolder?: () => Promise<string | null>
  /** The app's own data folder, used for projects whose image folder is read-only. */
  appDataDir: string
  /**
   * Where requests may name folders and files (confine.ts): a real path (the web host's --root);
   * null: nowhere (a web host started with neither a folder nor --root); absent: anywhere (the
   * desktop app, whose user picks the folder).
   */
  root?: string | null
  /** false: opening a project does not start the teacher pass; `teacher.run` does (the CLI's
   *  verbs, most of which need no embeddings). Default true. */
  embedOnOpen?: boolean
  /** The least interval between a round's progress reports within a stage (worker.ts ROUND_PROGRESS_MS by default). */
  roundProgressMs?: number
}

/**
 * Who makes a request. The desktop app and a web host with one shared token have one user, 'user';
 * a web host serving named reviewers gives each their own token, and their requests carry the name.
 */
export interface Caller {
  /** The name label events and actions record (and undo and leases go by). */
  actor: string
  /** The reviewer's name when reviewers are named; null otherwise. */
  reviewer: string | null
  /** The client's id for this request (an idempotency key) when it sent one: a retry with the same id is not applied twice. */
  requestId: string | null
}

/** The one user of the desktop app, or of a web host with a single token. */
export const USER: Caller = { actor: 'user', reviewer: null, requestId: null }

export interface StudioContext {
  readonly host: HostOptions
  /** Who makes this request. */
  readonly caller: Caller
  /** The open project; refuses with `no_project` when none is. */
  requireProject(): Project
  emit(event: StudioEvent): void
  /** Tells listeners these images' labels changed and answers with them. */
  labelsChanged(imageIds: number[]): LabelResult
  settings(): Promise<Settings>
  /** Saves `patch` over the current settings and answers with the result. */
  updateSettings(patch: RequestInput<'settings.set'>): Promise<Settings>
  info(): AppInfo
  open(folder: string): Promise<ProjectSummary>
  startAfresh(folder: string): Promise<ProjectSummary>
  readonly jobs: {
    readonly teacher: TeacherPass
    readonly rounds: RoundJob
    readonly map: MapJob
    /** The check for possible mistakes among human labels (labels.issues), in a worker. */
    readonly issues: LabelIssuesJob
    /** The teacher's features kept for "more like this" while the embedding cache is unchanged. */
    readonly similar: SimilarImages
    /** Teacher downloads into the app's models folder, shared by every project. */
    readonly downloads: TeacherDownloads
  }
}
