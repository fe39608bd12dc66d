/**
 * Spot-checks: a stratified random sample of the current proposals, a fixed number per class, for a
 * person to judge; each class's pseudo-label precision is then estimated from its sample with a
 * Wilson 95% interval. The sample is kept in `<dataDir>/audit.json`; the verdicts are the ordinary
 * label events (accept, reject, relabel), so audited items also feed the next round.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { StudioError, type AuditReport } from '../preload/contract'
import type { Project } from './engine/library/project'
import type { ImageRow } from './engine/store'
import { auditSample, wilson } from './engine/selftrain/audit'

interface AuditFile {
  createdAt: number
  items: { imageId: number; classId: number }[]
}

const auditFile = (project: Project) => path.join(project.dataDir, 'audit.json')

export async function startAudit(project: Project, perClass: number): Promise<ImageRow[]> {
  const classes = project.classes()
  const slot = new Map(classes.map((c, k) => [c.id, k]))
  const proposed = project.allImages().filter((r) => r.status === 'proposed' && r.classId !== null && slot.has(r.classId))
  if (proposed.length === 0) throw new StudioError('invalid_input', 'nothing to audit: run a round first, so that there are proposals')
  const picks = auditSample(Int32Array.from(proposed, (r) => slot.get(r.classId!)!), classes.length, perClass, Date.now() % 100_000)
  const items = Array.from(picks, (i) => proposed[i]!)
  const file: AuditFile = { createdAt: Date.now(), items: items.map((r) => ({ imageId: r.id, classId: r.classId! })) }
  await writeFile(auditFile(project), JSON.stringify(file))
  return items
}

/** Precision per class from the current audit sample; null when no audit was started. */
export async function auditReport(project: Project): Promise<AuditReport | null> {
  let file: AuditFile
  try {
    file = JSON.parse(await readFile(auditFile(project), 'utf8')) as AuditFile
  } catch {
    return null
  }
  const classes = project.classes()
  const per = new Map(classes.map((c) => [c.id, { sampled: 0, checked: 0, correct: 0 }]))
  for (const item of file.items) {
    const counts = per.get(item.classId)
    const row = project.image(item.imageId)
    if (!counts || !row) continue
    counts.sampled++
    if (row.status === 'proposed') continue // not judged yet
    counts.checked++
    if (row.status === 'accepted' && row.classId === item.classId) counts.correct++
  }
  return {
    createdAt: file.createdAt,
    classes: classes.map((c) => {
      const n = per.get(c.id)!
      const w = wilson(n.correct, n.checked)
      return { classId: c.id, name: c.name, sampled: n.sampled, checked: n.checked, correct: n.correct, precision: n.checked ? w.estimate : null, low: w.low, high: w.high }
    }),
  }
}
