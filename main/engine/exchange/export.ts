/**
 * One entry for every label export, used by the studio (main/app/handlers/export.ts) and the CLI alike: choose the
 * labels by scope, then write the format atomically at `dest` (see write.ts).
 */
import path from 'node:path'
import type { Project } from '../project/project'
import { collectLabels, formatLabels } from './labels'
import type { ExportScope, LabelFormat } from '../../../preload/vocabulary'
import { cocoChunks, writeClassFolders, writeYolo } from './layouts'
import { atomicFile, atomicFolder, freeName, type PlaceMode } from './write'


/** Formats written as a folder of images rather than one file. */
export const isFolderFormat = (f: LabelFormat): f is 'yolo' | 'folders' => f === 'yolo' || f === 'folders'

export interface LabelExportOptions {
  format: LabelFormat
  scope: ExportScope
  /** The file (csv, json, coco) or folder (yolo, folders) to create; it must not exist. */
  dest: string
  /** Folder formats: copy the images (default) or hard-link them where the filesystem allows. */
  mode?: PlaceMode
  /** yolo: share of each class in val/ (default 0.2) and the split's seed (default 0). */
  valRatio?: number
  seed?: number
  /** Folder formats report each image placed. */
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

export interface LabelExportResult {
  path: string
  /** Labels exported (one per image file). */
  rows: number
  /** Folder formats: images linked and copied. */
  linked: number
  copied: number
  warnings: string[]
  /** The file's text for csv and json (the studio offers it as a download); null otherwise. */
  content: string | null
}

/** `labels-<UTC time>` plus the format's extension, for a default destination. */
export function defaultExportName(format: LabelFormat, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19)
  return isFolderFormat(format) ? `labels-${stamp}-${format}` : `labels-${stamp}${format === 'coco' ? '.coco.json' : `.${format}`}`
}

/** A destination in `dir` that does not exist yet, named by defaultExportName. */
export function defaultExportPath(dir: string, format: LabelFormat | 'onnx', now = new Date()): Promise<string> {
  const name = format === 'onnx' ? `student-${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}.onnx` : defaultExportName(format, now)
  const dot = name.indexOf('.')
  return dot < 0 ? freeName(dir, name) : freeName(dir, name.slice(0, dot), name.slice(dot))
}

export async function exportLabels(project: Project, o: LabelExportOptions): Promise<LabelExportResult> {
  const rows = project.store.queries.allImages()
  const labels = collectLabels(project, rows, o.scope)
  const base = { path: o.dest, rows: labels.length, linked: 0, copied: 0, warnings: [] as string[], content: null }
  const place = { mode: o.mode ?? 'copy', ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(o.signal ? { signal: o.signal } : {}) }
  switch (o.format) {
    case 'csv':
    case 'json': {
      const content = formatLabels(labels, o.format)
      await atomicFile(o.dest, [content])
      return { ...base, content }
    }
    case 'coco': {
      const images = new Map(rows.map((r) => [r.hash, r]))
      await atomicFile(o.dest, cocoChunks(labels, images, project.store.classes.list().map((c) => c.name), path.resolve(project.folder)))
      return base
    }
    case 'folders': {
      const r = await atomicFolder(o.dest, (tmp) => writeClassFolders(project.folder, labels, tmp, place))
      return { ...base, linked: r.linked, copied: r.copied, warnings: r.warnings }
    }
    case 'yolo': {
      const r = await atomicFolder(o.dest, (tmp) => writeYolo(project.folder, labels, tmp, { ...place, valRatio: o.valRatio ?? 0.2, seed: o.seed ?? 0 }))
      return { ...base, linked: r.linked, copied: r.copied, warnings: r.warnings }
    }
  }
}
