/**
 * The one typed contract between the UI and main. Every request, its input schema, its result type
 * and every event the UI can receive is listed here. Input schemas live in schemas.ts and
 * are checked in main; this file holds the types and the few constants both sides share.
 */
import type { z } from 'zod'
import type { requestSchemas } from './schemas'
import type { ImageStatus, ImportAs, ImportConflict, ImportFormat, LabelSource, LabelState, HeadKind, ProviderName, ProviderSetting, RoundStatus, StrategyName, TeacherUse } from './vocabulary'

export type RequestName = keyof typeof requestSchemas
export type RequestInput<N extends RequestName> = z.infer<(typeof requestSchemas)[N]>

/** One image: its content is its identity; `relPath` is one of the files that hold it. */
export interface ImageInfo {
  id: number
  relPath: string
  width: number
  height: number
  format: string
  bytes: number
  /** How many files have exactly this content (exact duplicates are one image). */
  fileCount: number
  status: ImageStatus
  classId: number | null
  confidence: number | null
}

export interface UnreadableFile {
  relPath: string
  reason: string
}

export interface ProjectSummary {
  folder: string
  name: string
  /** Readable images, exact duplicates counted once. */
  imageCount: number
  /** Image files, duplicates counted each. */
  fileCount: number
  unreadableCount: number
  /** The first unreadable files (up to 500), each with the reason. */
  unreadable: UnreadableFile[]
  /** Where the studio keeps this project's database and caches. */
  dataDir: string
}

export interface Settings {
  teacher: string
  provider: ProviderSetting
  deviceId: number
  threads: number
  /** The pseudo-label selection strategy of the next rounds. */
  strategy: StrategyName
  /** The strategy's one knob in [0, 1] (threshold, floor or share); null: the strategy's own default. */
  strategyParam: number | null
  /** The head the next rounds train: logistic (linear) or an MLP with one hidden layer. */
  head: HeadKind
  /** With a text-aligned teacher: prompt templates for the class names, `{}` the name (their text
   *  embeddings are averaged); null keeps the teacher's own. */
  prompts: string[] | null
  /** With a text-aligned teacher: pull the head toward each class's text direction (a prior whose
   *  weight falls as labels grow). */
  textPrior: boolean
  /** A mirror's base URL: downloads take each file's path from it instead of the publisher's host (behind a firewall). */
  modelMirror: string | null
  /** Augmented views the teacher embeds per image (flip, resized crop, colour jitter; 0: none); each costs one more embedding per image. */
  views: number
  /** With views: rounds score each image on the mean of its clean and view embeddings (test-time averaging). */
  testTimeViews: boolean
  /** With views: the head trains on each training image's views too, with dropout on its inputs (Noisy Student). */
  noisyStudent: boolean
}

/** What a user can change when importing an ONNX file as a teacher (the wizard's fields). */
export interface TeacherImportChoices {
  id: string
  /** The embedding tensor: an output, or an inner tensor such as a classifier's input. */
  output: string
  /** For a token sequence [N, T, D]: the CLS token or the mean over tokens; null for [N, D]. */
  pooling: 'cls' | 'mean' | null
  size: [number, number]
  mean: [number, number, number]
  std: [number, number, number]
  resize: 'shorter-side-then-centre-crop' | 'squash'
}

/** What the studio recognised in an ONNX file, and the recipe it proposes (`models.inspect`). */
export interface TeacherInspection {
  path: string
  /** The image input, the outputs, the class scores, in sentences. */
  notes: string[]
  /** Embedding candidates, best first. */
  candidates: { tensor: string; note: string; dim: number | null; pooling: 'cls' | 'mean' | null }[]
  proposal: TeacherImportChoices
}

/** A recipe checked on the open project's images, and saved unless it was only a check. */
export interface TeacherImportResult {
  /** The teacher's id (it is listed by teachers.list once saved). */
  id: string
  dim: number
  checkedImages: number
  /** Where the manifest was saved; null for a check. */
  savedTo: string | null
}

/** A teacher of the catalog (or one imported), with its state on this machine. */
export interface TeacherEntry {
  id: string
  name: string
  description: string
  licence: string | null
  /** What it is good at, in a sentence. */
  goodAt: string | null
  /** The publisher's page. */
  source: string | null
  /** All its files together; null when the manifest does not give every size. */
  bytes: number | null
  /** The teacher a fresh install uses (shipped; never removed). */
  default: boolean
  suggestedFor: TeacherUse[]
  /** Why the studio suggests it. */
  why: string | null
  state: 'installed' | 'not-downloaded' | 'downloading'
  /** Every missing file has a URL to download it from. */
  downloadable: boolean
  /** Downloaded or imported into the app's models folder, so it can be removed. */
  removable: boolean
  /** While downloading: bytes so far, the total (0 while unknown), speed and ETA. */
  progress: { done: number; total: number; bytesPerSecond: number; etaSeconds: number | null } | null
  /** It has a text tower (CLIP, SigLIP, MobileCLIP): classes by name, zero-shot rounds, the text prior. */
  textAligned: boolean
  /** Why the last download failed, or why the manifest cannot be used. */
  error: string | null
}

/** Which execution provider runs the teacher, and why when it is not the one asked for. */
export interface ProviderInfo {
  requested: ProviderSetting
  used: ProviderName
  attempts: { provider: string; ok: boolean; error?: string }[]
  /** A sentence for the user when `used` is not what was asked for. */
  fallback?: string
  /** Graph nodes per ONNX Runtime provider, once the first batch has run. */
  nodes?: Record<string, number>
}

export interface TeacherStatus {
  model: string
  modelName: string | null
  state: 'idle' | 'loading' | 'embedding' | 'done' | 'cancelled' | 'failed'
  /** Why it failed, in words a user can act on. */
  message: string | null
  provider: ProviderInfo | null
  /** Images with an embedding (from this pass or the cache), of `total`. */
  done: number
  total: number
  failed: number
  imagesPerSecond: number
}

export interface ClassInfo {
  id: number
  name: string
  color: string | null
  /** Images of this class per state. */
  counts: Record<ImageStatus, number>
}

export interface LabelEvent {
  id: number
  classId: number | null
  /** The class's name, also for a class deleted or merged away since (history keeps naming it). */
  className: string | null
  source: LabelSource
  state: LabelState
  roundId: number | null
  confidence: number | null
  actor: string
  /** Milliseconds since the epoch. */
  at: number
  undone: boolean
  /** The file or folder an imported label came from; null for labels made in the studio or by a round. */
  origin: string | null
}

/** What a label action changed; the UI refreshes those images. */
export interface LabelResult {
  imageIds: number[]
}

export interface RoundInfo {
  id: number
  status: RoundStatus
  startedAt: number
  finishedAt: number | null
  /** k-fold accuracy of the head on the human labels (null with too few labels to fold). */
  kfoldAccuracy: number | null
  /** Expected calibration error after temperature scaling. */
  ece: number | null
  proposals: number
  proposalsPerClass: Record<string, number>
  trainedOn: { human: number; accepted: number; unreviewed: number } | null
  error: string | null
  /** The round's stages so far (all of them once done), each timed: images per second and ETAs. */
  stages: RoundStage[]
  /** While it runs: the whole round's share done and seconds left (main/app/jobs/round-progress.ts); null otherwise. */
  progress: RoundProgress | null
  /** Precision of this round's proposals from the spot-check verdicts on them; null before any. */
  auditedPrecision: AuditedPrecision | null
  /** How it proposed: a head on the labels, the same pulled toward the class names' text, or the
   *  class names alone (zero-shot: no labels to calibrate on, so confidences are the raw softmax). */
  method: 'head' | 'text-prior' | 'zero-shot' | null
}

/** A round's audited precision: per class (Wilson 95%) and overall (weighted by its proposals per class). */
export interface AuditedPrecision {
  overall: number
  checked: number
  classes: { classId: number; name: string; checked: number; correct: number; precision: number; low: number; high: number }[]
}

export interface RoundStage {
  name: string
  /** Images the stage works through. */
  images: number
  startedAt: number
  /** null while the stage runs. */
  finishedAt: number | null
  /** Share of the stage's work done, 0..1, reported from inside it (1 once finished). */
  fraction: number
}

/**
 * A running round's whole progress: stage fractions weighted by this round's own measured stage
 * speeds, with the previous round's durations for stages not started yet. `fraction` never goes
 * back; both are null while a stage still to come has nothing to estimate it by (a first round).
 */
export interface RoundProgress {
  fraction: number | null
  etaSeconds: number | null
}

/** One person's decisions over the whole project (live events; undone ones do not count). */
export interface ReviewerDecisions {
  actor: string
  /** Labels given to unlabelled or labelled images by hand. */
  seeds: number
  /** Pseudo-labels accepted, rejected, corrected to another class. */
  accepted: number
  rejected: number
  relabelled: number
}

/**
 * Two people who judged the same images, each by their latest judgement of it (the class they
 * stand behind, or "rejected"): how many they share, how many alike, and Cohen's kappa.
 */
export interface ReviewerAgreement {
  a: string
  b: string
  shared: number
  agreed: number
  /** null when chance agreement is certain (both gave one and the same answer throughout). */
  kappa: number | null
}

export interface AuditReport {
  /** When the current spot-check sample was drawn; null before the first (the reviewer figures stand alone). */
  createdAt: number | null
  reviewers: ReviewerDecisions[]
  /** Pairs of reviewers with images in common, most shared first. */
  agreement: ReviewerAgreement[]
  classes: {
    classId: number
    name: string
    /** Proposals of this class in the sample, how many a person judged, how many were right. */
    sampled: number
    checked: number
    correct: number
    /** correct / checked with its Wilson 95% interval; null before any verdict. */
    precision: number | null
    low: number
    high: number
  }[]
}

export interface LabelExport {
  /** Where the file or folder was written (inside the project's data folder). */
  path: string
  fileName: string
  rows: number
  /** The file's text for CSV and JSON, offered as a download; null for COCO and the folder formats. */
  content: string | null
  /** Folder formats: images hard-linked and copied. */
  linked: number
  copied: number
  /** What the user should know about the result (e.g. a class with too few images for val/). */
  warnings: string[]
}

/** A count with the first few examples (names as the import source gives them, with where they are). */
export interface ImportExamples {
  count: number
  first: string[]
}

/**
 * What a label import found (`labels.import`): shown by a dry run before anything is written, and
 * again once applied. An applied import is one action: one undo takes it back.
 */
export interface LabelImport {
  format: ImportFormat
  /** The file or folder read (on the machine main runs on). */
  source: string
  as: ImportAs
  onConflict: ImportConflict
  /** Rows (labels) in the source, skipped ones included. */
  rows: number
  /** Rows matched to an image of the project, and how: path, unique file name, content hash. */
  matched: number
  byPath: number
  byName: number
  byHash: number
  unmatched: ImportExamples
  /** File names several images share, and images the source gives two different classes. */
  ambiguous: ImportExamples
  /** Rows without a usable label (no class, no annotation, a tie), each with why. */
  skipped: ImportExamples
  /** Classes the import creates. */
  newClasses: string[]
  /** Images a person labelled with another class: kept or replaced, as `onConflict` says. */
  conflicts: { count: number; first: { path: string; current: string; imported: string }[] }
  /** Images that already have the imported class. */
  unchanged: number
  /** Labels the import writes (a dry run: would write). */
  toWrite: number
  /** The images labelled; empty for a dry run. */
  imageIds: number[]
}

export interface StudentExport {
  /** The .onnx file, inside the project's data folder. */
  path: string
  fileName: string
  /** The round whose head it carries. */
  roundId: number
  /** Class names in the order of the `probabilities` output. */
  classes: string[]
  bytes: number
}

export interface RecentProject {
  folder: string
  name: string
  /** Milliseconds since the epoch. */
  openedAt: number
  /** False when the folder is gone (moved, deleted, an unplugged disk). */
  exists: boolean
  demo: boolean
}

export interface AppInfo {
  version: string
  /** 'electron' inside the desktop app, 'web' when served by the web host. */
  host: 'electron' | 'web'
  /** Whether the host can show a native folder dialog. */
  canPickFolder: boolean
  project: ProjectSummary | null
  /** Who is calling, when the web host serves named reviewers (each with their own token); null otherwise. */
  reviewer: string | null
}

/** One image of a "more like this" list: its cosine similarity to the query in the teacher's feature space. */
export interface SimilarImage {
  image: ImageInfo
  similarity: number
}

/** A human label the out-of-sample head contradicts: its class and the one the head suggests, with both probabilities. */
export interface LabelIssueInfo {
  image: ImageInfo
  classId: number
  suggestedClassId: number
  /** The k-fold head's probability of the given class and of the suggested one (held out: it never saw this label). */
  pGiven: number
  pSuggested: number
}

/** A class's probability for one image, from a round's calibrated head. */
export interface ClassProbability {
  classId: number
  name: string
  p: number
}

export interface ImagePage {
  total: number
  offset: number
  images: ImageInfo[]
}

/** The label state of images on the map, one entry per image in each array (same order as `ids`). */
export interface MapLabels {
  ids: number[]
  status: ImageStatus[]
  classId: (number | null)[]
  confidence: (number | null)[]
}

/**
 * The embedding map: each image at (x[i], y[i]), both in [0, 1], near the images the teacher sees as
 * alike. Images without an embedding are left out.
 */
export interface MapPoints extends MapLabels {
  relPaths: string[]
  x: number[]
  y: number[]
  /** Images the layout placed directly; the others sit among their nearest of these. */
  landmarks: number
}

/** Request name -> result type. */
export interface RequestResults {
  'app.info': AppInfo
  'dialog.pickFolder': string | null
  'project.open': ProjectSummary
  'project.startAfresh': ProjectSummary
  'images.page': ImagePage
  'images.get': ImageInfo
  'images.ids': number[]
  'images.byIds': ImageInfo[]
  'images.similar': SimilarImage[]
  'images.files': string[]
  /** Empty when no round has scored the image yet. */
  'images.probabilities': ClassProbability[]
  'proposals.countAbove': { classId: number; count: number }[]
  'proposals.acceptAbove': LabelResult
  'classes.list': ClassInfo[]
  'classes.create': ClassInfo
  'classes.rename': ClassInfo
  /** Clears the labels of the class's images (recorded events, one undo step) and removes the class. */
  'classes.delete': LabelResult
  /** Moves every image of `id` to `into` (recorded events, one undo step) and removes `id`. */
  'classes.merge': LabelResult
  'classes.setColor': ClassInfo
  'labels.set': LabelResult
  'labels.review': LabelResult
  'labels.relabel': LabelResult
  /** Most suspect first; empty when the head agrees with every label. */
  'labels.issues': LabelIssueInfo[]
  /** Recorded as label events of kind 'check' (undoable, in the history); empty when none of the images has a human label. */
  'labels.keep': LabelResult
  /** null when there was nothing to undo or redo. */
  'labels.undo': LabelResult | null
  'labels.redo': LabelResult | null
  /** Proposals leased to the caller (theirs first, then free ones), most confident first. */
  'review.take': ImageInfo[]
  'review.release': null
  'images.history': LabelEvent[]
  'labels.export': LabelExport
  /** A dry run reports and writes nothing; otherwise one undoable action (labels.changed names its images). */
  'labels.import': LabelImport
  'student.export': StudentExport
  'project.openDemo': ProjectSummary
  'projects.recent': RecentProject[]
  'projects.forget': RecentProject[]
  'audit.start': ImageInfo[]
  /** null when there is neither a spot-check sample nor a decision by anyone. */
  'audit.report': AuditReport | null
  'suggest.seeds': ImageInfo[]
  /** Computed on first request (progress as job 'map'), then read from the project's data folder. */
  'map.get': MapPoints
  'map.labels': MapLabels
  'rounds.list': RoundInfo[]
  'rounds.start': RoundInfo
  'settings.get': Settings
  'settings.set': Settings
  'teacher.status': TeacherStatus
  'teacher.run': TeacherStatus
  'models.inspect': TeacherInspection
  'models.import': TeacherImportResult
  'teachers.list': TeacherEntry[]
  /** Starts the download in the background (progress as job 'download'); answers with the teacher, downloading. */
  'teachers.pull': TeacherEntry
  'teachers.useFile': TeacherEntry
  'teachers.remove': TeacherEntry[]
  'jobs.cancel': boolean
}

/** Long work reports progress; `total` is 0 while it is not known yet. */
export interface ProgressEvent {
  type: 'progress'
  job: string
  stage: string
  done: number
  total: number
  perSecond: number
  etaSeconds: number | null
}

export interface ProjectOpenedEvent {
  type: 'project.opened'
  project: ProjectSummary
}

/** Sent by the web transport itself (not by main) when its link to the server drops or returns. */
export interface ConnectionEvent {
  type: 'connection'
  online: boolean
}

/** The folder changed on disk while open (files added, removed or changed) and was re-indexed. */
export interface ProjectChangedEvent {
  type: 'project.changed'
  project: ProjectSummary
}

/** Labels changed (by this window, another browser on the web host, or a round). */
export interface LabelsChangedEvent {
  type: 'labels.changed'
  /** Empty when any image may have changed (a round wrote its proposals). */
  imageIds: number[]
}

export interface RoundStatusEvent {
  type: 'round.status'
  round: RoundInfo
  stage: string
}

export interface TeacherStatusEvent {
  type: 'teacher.status'
  status: TeacherStatus
}

/** A teacher's download started, finished, failed or was cancelled (progress itself is a ProgressEvent, job 'download'). */
export interface TeacherDownloadEvent {
  type: 'teacher.download'
  id: string
  state: 'downloading' | 'done' | 'failed' | 'cancelled'
  message: string | null
}

export type StudioEvent = TeacherDownloadEvent | ProgressEvent | ProjectOpenedEvent | ProjectChangedEvent | LabelsChangedEvent | RoundStatusEvent | TeacherStatusEvent | ConnectionEvent

/** Every failure crossing the boundary carries one of these codes and a message a person can act on. */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'no_project'
  | 'forbidden'
  | 'unreadable'
  | 'cancelled'
  | 'unsupported'
  /** Another studio process has this project open. */
  | 'open_elsewhere'
  /** The project's database is corrupt, foreign or newer: `project.startAfresh` keeps it aside and starts anew. */
  | 'unusable_database'
  /** Another reviewer holds the image (a review lease): take other proposals instead. */
  | 'conflict'
  | 'internal'

export interface StudioErrorShape {
  code: ErrorCode
  message: string
}

export class StudioError extends Error implements StudioErrorShape {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'StudioError'
  }
}

/** What a transport returns for every request: never a thrown exception across the boundary. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: StudioErrorShape }

export type MediaKind = 'thumb' | 'original'

/** The contract as the renderer sees it, whichever transport carries it. */
export interface Studio {
  call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestResults[N]>
  /** Subscribe to events; returns the unsubscribe function. */
  onEvent(listener: (event: StudioEvent) => void): () => void
  /** A URL the renderer can put in <img src>, for an image of the open project. */
  mediaUrl(kind: MediaKind, relPath: string): string
}

/** What preload exposes as window.studioBridge: raw replies, unwrapped by renderer/transport. */
export interface ElectronBridge {
  invoke(name: string, input: unknown): Promise<Reply<unknown>>
  subscribe(listener: (event: StudioEvent) => void): () => void
}

/** The Electron IPC channel names, shared by preload and main. */
export const IPC_REQUEST = 'studio:request'
export const IPC_EVENT = 'studio:event'
/** The custom protocol that serves project images inside Electron. */
export const MEDIA_SCHEME = 'studio-media'

/** URL path of an image for both transports: `<kind>/<each segment URI-encoded>`. */
export function mediaPath(kind: MediaKind, rel: string): string {
  return `${kind}/${rel.split('/').map(encodeURIComponent).join('/')}`
}
