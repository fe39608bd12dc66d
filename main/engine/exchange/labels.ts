/**
 * Label export: one row per image file with its current label. Which labels go out is the user's
 * choice: only those a person stands behind (seed labels, corrections, accepted pseudo-labels), or
 * also the unreviewed proposals (with their confidence, so they can be told apart).
 */
import type { Project } from '../project/project'
import type { ImageRow } from '../store'
import type { ExportScope } from '../../../preload/vocabulary'
import { csvRow } from './csv'

export type ExportFormat = 'csv' | 'json'

export interface ExportedLabel {
  path: string
  class: string
  /** human: a person's label; accepted: a pseudo-label a person accepted; proposed: not reviewed. */
  status: 'human' | 'accepted' | 'proposed'
  confidence: number | null
  round: number | null
  sha256: string
  /** Who set the label: the reviewer (`user` with a single token), `round N` for a proposal, an import. Named as in the files. */
  decided_by: string | null
}

export function collectLabels(project: Project, images: readonly ImageRow[], scope: ExportScope): ExportedLabel[] {
  const names = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  const decidedBy = project.store.labels.decidedBy()
  const out: ExportedLabel[] = []
  for (const row of images) {
    if (row.classId === null || !row.path) continue
    if (row.status !== 'human' && row.status !== 'accepted' && !(scope === 'with-proposals' && row.status === 'proposed')) continue
    const label = { class: names.get(row.classId) ?? String(row.classId), status: row.status, confidence: row.confidence, round: row.roundId, sha256: row.hash, decided_by: decidedBy.get(row.id) ?? null }
    // Exact duplicates are one image with one label; every file of it is listed.
    for (const file of row.fileCount > 1 ? project.store.images.filesOf(row.id) : [row.path]) out.push({ path: file, ...label })
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

export function formatLabels(labels: readonly ExportedLabel[], format: ExportFormat): string {
  if (format === 'json') return JSON.stringify({ labels }, null, 1) + '\n'
  // decided_by came last, after the first release: readers that pick columns by header read both.
  const header = ['path', 'class', 'status', 'confidence', 'round', 'sha256', 'decided_by']
  const lines = labels.map((l) => csvRow([l.path, l.class, l.status, l.confidence === null ? null : +l.confidence.toFixed(4), l.round, l.sha256, l.decided_by]))
  return [header.join(','), ...lines].join('\r\n') + '\r\n'
}
