/**
 * The one typed contract between the UI and main. Every request, its input schema, its result type
 * and every event the UI can receive is listed here. Main validates inputs with these schemas (the
 * renderer is untrusted); the renderer only imports types from this file.
 */
import { z } from 'zod'

const relPath = z.string().min(1).max(4096)

/** Request name -> schema of its input. Main parses every input with it before acting. */
export const requestSchemas = {
  /** What the host can do and which project is open. */
  'app.info': z.object({}).strict(),
  /** Ask the user for a folder (Electron: a native dialog). Resolves to null when cancelled or unsupported. */
  'dialog.pickFolder': z.object({}).strict(),
  /** Open a folder as a project and index its images. */
  'project.open': z.object({ folder: z.string().min(1).max(4096) }).strict(),
  /** A page of the open project's images, in name order. */
  'images.page': z.object({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(2000) }).strict(),
  /** Facts about one image. */
  'images.get': z.object({ relPath }).strict(),
} as const

export type RequestName = keyof typeof requestSchemas
export type RequestInput<N extends RequestName> = z.infer<(typeof requestSchemas)[N]>

export interface ImageInfo {
  relPath: string
  width: number
  height: number
  format: string
  size: number
}

export interface UnreadableFile {
  relPath: string
  reason: string
}

export interface ProjectSummary {
  folder: string
  name: string
  imageCount: number
  unreadable: UnreadableFile[]
}

export interface AppInfo {
  version: string
  /** 'electron' inside the desktop app, 'web' when served by the web host. */
  host: 'electron' | 'web'
  /** Whether the host can show a native folder dialog. */
  canPickFolder: boolean
  project: ProjectSummary | null
}

export interface ImagePage {
  total: number
  offset: number
  images: ImageInfo[]
}

/** Request name -> result type. */
export interface RequestResults {
  'app.info': AppInfo
  'dialog.pickFolder': string | null
  'project.open': ProjectSummary
  'images.page': ImagePage
  'images.get': ImageInfo
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

export type StudioEvent = ProgressEvent | ProjectOpenedEvent

/** Every failure crossing the boundary carries one of these codes and a message a person can act on. */
export type ErrorCode = 'invalid_input' | 'not_found' | 'no_project' | 'forbidden' | 'unreadable' | 'cancelled' | 'unsupported' | 'internal'

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

/** The Electron IPC channel names, shared by preload and main. */
export const IPC_REQUEST = 'studio:request'
export const IPC_EVENT = 'studio:event'
/** The custom protocol that serves project images inside Electron. */
export const MEDIA_SCHEME = 'studio-media'

/** URL path of an image for both transports: `<kind>/<each segment URI-encoded>`. */
export function mediaPath(kind: MediaKind, rel: string): string {
  return `${kind}/${rel.split('/').map(encodeURIComponent).join('/')}`
}
