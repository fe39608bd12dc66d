/**
 * The engine's rows as the contract's result types. The renderer sees only these shapes, so the store
 * can change its rows without the UI noticing.
 */
import path from 'node:path'
import { StudioError, type ClassInfo, type ImageInfo, type LabelEvent, type ProjectSummary } from '../../preload/contract'
import { zeroPerStatus } from '../../preload/vocabulary'
import type { Project } from '../engine/project/project'
import type { ImageRow } from '../engine/store'

/** How many unreadable files a project summary carries; the rest are counted. */
const UNREADABLE_LISTED = 500

export function imageInfo(row: ImageRow): ImageInfo {
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

export function summary(p: Project): ProjectSummary {
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

export function classList(project: Project): ClassInfo[] {
  const counts = new Map(project.store.queries.counts().byClass.map((c) => [c.classId, c.byStatus]))
  return project.store.classes.list().map((c) => ({ id: c.id, name: c.name, color: c.color, counts: counts.get(c.id) ?? zeroPerStatus() }))
}

export function classInfo(project: Project, id: number): ClassInfo {
  const found = classList(project).find((c) => c.id === id)
  if (!found) throw new StudioError('not_found', `no class with id ${id} in this project`)
  return found
}

/** Every label event of one image, oldest first; a deleted class keeps its name, marked as deleted. */
export function labelHistory(project: Project, imageId: number): LabelEvent[] {
  const names = new Map(project.store.classes.listWithDeleted().map((c) => [c.id, c.deleted ? `${c.name} (deleted)` : c.name]))
  return project.store.labels
    .history(imageId)
    .map((e) => ({ id: e.id, classId: e.classId, className: e.classId === null ? null : (names.get(e.classId) ?? null), source: e.source, state: e.state, roundId: e.roundId, confidence: e.confidence, actor: e.actor, at: e.at, undone: e.undone, origin: e.origin }))
}
