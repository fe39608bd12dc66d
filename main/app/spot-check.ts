/**
 * Spot-checks: a stratified random sample of the current proposals, a fixed number per class, for a
 * person to judge; each class's pseudo-label precision is then estimated from its sample with a
 * Wilson 95% interval. The sample is kept in `<dataDir>/audit.json` (earlier samples too, so every
 * round keeps the precision its own proposals were audited at); the verdicts are the ordinary label
 * events (accept, reject, relabel), so audited items also feed the next round. The report also
 * gives each reviewer's decisions over the whole project and, for reviewers who judged the same
 * images, their agreement (Cohen's kappa), from the actors of those events.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { StudioError, type AuditedPrecision, type AuditReport, type ReviewerAgreement, type ReviewerDecisions } from '../../preload/contract'
import type { Project } from '../engine/project/project'
import type { ImageRow, RoundRow } from '../engine/store'
import { auditSample, cohenKappa, wilson } from '../engine/selftrain/audit'

interface AuditItem {
  imageId: number
  classId: number
  /** the round that proposed it (absent in files written before rounds were recorded) */
  roundId?: number | null
}

interface AuditSample {
  createdAt: number
  items: AuditItem[]
}

/** The current sample at the top level; the ones it replaced in `earlier`. */
interface AuditFile extends AuditSample {
  earlier?: AuditSample[]
}

async function readAudit(project: Project): Promise<AuditFile | null> {
  try {
    return JSON.parse(await readFile(project.paths.audit, 'utf8')) as AuditFile
  } catch {
    return null
  }
}

/**
 * A person's verdict on an audited proposal, read from the image's current label: accepted (or
 * relabelled) as the proposed class is right, rejected or relabelled to another class is wrong;
 * still proposed, or withdrawn by a later round before anyone looked, is not judged.
 */
function verdict(row: ImageRow | null | undefined, item: AuditItem): boolean | null {
  if (!row) return null
  if (row.status === 'accepted' || row.status === 'human') return row.classId === item.classId
  if (row.status === 'rejected') return false
  return null
}

export async function startAudit(project: Project, perClass: number): Promise<ImageRow[]> {
  const classes = project.store.classes.list()
  const slot = new Map(classes.map((c, k) => [c.id, k]))
  const proposed = project.store.queries.allImages().filter((r) => r.status === 'proposed' && r.classId !== null && slot.has(r.classId))
  if (proposed.length === 0) throw new StudioError('invalid_input', 'nothing to audit: run a round first, so that there are proposals')
  const picks = auditSample(Int32Array.from(proposed, (r) => slot.get(r.classId!)!), classes.length, perClass, Date.now() % 100_000)
  const items = Array.from(picks, (i) => proposed[i]!)
  const before = await readAudit(project)
  const earlier = before ? [...(before.earlier ?? []), { createdAt: before.createdAt, items: before.items }] : []
  const file: AuditFile = { createdAt: Date.now(), items: items.map((r) => ({ imageId: r.id, classId: r.classId!, roundId: r.roundId })), earlier }
  await writeFile(project.paths.audit, JSON.stringify(file))
  return items
}

/**
 * Each person's decisions, and for every two people who judged the same images Cohen's kappa over
 * their latest judgement of each: the class they stand behind (a seed label, a correction, an
 * accepted proposal's class) or "rejected".
 */
export function reviewerFigures(project: Project): { reviewers: ReviewerDecisions[]; agreement: ReviewerAgreement[] } {
  const reviewers = new Map<string, ReviewerDecisions>()
  for (const { actor, source, state, count } of project.store.labels.decisionCounts()) {
    const r = reviewers.get(actor) ?? { actor, seeds: 0, accepted: 0, rejected: 0, relabelled: 0 }
    reviewers.set(actor, r)
    if (state === 'rejected') r.rejected += count
    else if (state === 'relabelled') r.relabelled += count
    else if (source === 'pseudo') r.accepted += count
    else r.seeds += count
  }
  const judged = new Map<string, Map<number, string>>()
  for (const j of project.store.labels.sharedJudgements()) {
    const mine = judged.get(j.actor) ?? new Map<number, string>()
    judged.set(j.actor, mine)
    mine.set(j.imageId, j.state === 'rejected' ? 'rejected' : `class ${j.classId}`)
  }
  const actors = [...judged.keys()].sort()
  const agreement: ReviewerAgreement[] = []
  for (let i = 0; i < actors.length; i++)
    for (let j = i + 1; j < actors.length; j++) {
      const a = judged.get(actors[i]!)!
      const b = judged.get(actors[j]!)!
      const shared = [...a.keys()].filter((id) => b.has(id))
      if (shared.length === 0) continue
      const k = cohenKappa(
        shared.map((id) => a.get(id)),
        shared.map((id) => b.get(id)),
      )
      agreement.push({ a: actors[i]!, b: actors[j]!, shared: k.shared, agreed: k.agreed, kappa: k.kappa })
    }
  return { reviewers: [...reviewers.values()], agreement: agreement.sort((x, y) => y.shared - x.shared) }
}

/** Precision per class from the current audit sample, and the reviewers' figures; null when there is neither a sample nor a decision. */
export async function auditReport(project: Project): Promise<AuditReport | null> {
  const file = await readAudit(project)
  const figures = reviewerFigures(project)
  if (!file && figures.reviewers.length === 0) return null
  const classes = project.store.classes.list()
  const per = new Map(classes.map((c) => [c.id, { sampled: 0, checked: 0, correct: 0 }]))
  for (const item of file?.items ?? []) {
    const counts = per.get(item.classId)
    const row = project.store.images.get(item.imageId)
    if (!counts || !row) continue
    counts.sampled++
    const right = verdict(row, item)
    if (right === null) continue
    counts.checked++
    if (right) counts.correct++
  }
  return {
    createdAt: file?.createdAt ?? null,
    ...figures,
    classes: classes.map((c) => {
      const n = per.get(c.id)!
      const w = wilson(n.correct, n.checked)
      return { classId: c.id, name: c.name, sampled: n.sampled, checked: n.checked, correct: n.correct, precision: n.checked ? w.estimate : null, low: w.low, high: w.high }
    }),
  }
}

/**
 * Each round's audited precision: the verdicts on the audit items it proposed, over every sample
 * drawn so far. Per class with a Wilson 95% interval; overall as the stratified estimate (each
 * class's precision weighted by its share of the round's proposals, since the sample takes the
 * same number from every class). Rounds with no judged audit item are absent.
 */
export async function roundAudits(project: Project, rounds: RoundRow[]): Promise<Map<number, AuditedPrecision>> {
  const out = new Map<number, AuditedPrecision>()
  const file = await readAudit(project)
  if (!file) return out
  const seen = new Set<string>()
  const byRound = new Map<number, Map<number, { checked: number; correct: number }>>()
  for (const sample of [file, ...(file.earlier ?? [])])
    for (const item of sample.items) {
      if (item.roundId === undefined || item.roundId === null) continue
      // an image drawn in two samples of the same round counts once
      const key = `${item.roundId}:${item.imageId}`
      if (seen.has(key)) continue
      seen.add(key)
      const right = verdict(project.store.images.get(item.imageId), item)
      if (right === null) continue
      let per = byRound.get(item.roundId)
      if (!per) byRound.set(item.roundId, (per = new Map()))
      const counts = per.get(item.classId) ?? { checked: 0, correct: 0 }
      counts.checked++
      if (right) counts.correct++
      per.set(item.classId, counts)
    }
  const names = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  for (const [roundId, per] of byRound) {
    const proposed = ((rounds.find((r) => r.id === roundId)?.summary ?? {}) as { proposalsPerClass?: Record<string, number> }).proposalsPerClass ?? {}
    const classes = [...per].map(([classId, n]) => {
      const w = wilson(n.correct, n.checked)
      return { classId, name: names.get(classId) ?? `class ${classId}`, checked: n.checked, correct: n.correct, precision: w.estimate, low: w.low, high: w.high }
    })
    // weights: the round's proposals of each class (equal weights when the round did not record them)
    const weight = (c: (typeof classes)[number]) => proposed[c.name] ?? (Object.keys(proposed).length ? 0 : 1)
    const total = classes.reduce((a, c) => a + weight(c), 0)
    const overall = total > 0 ? classes.reduce((a, c) => a + weight(c) * c.precision, 0) / total : classes.reduce((a, c) => a + c.correct, 0) / classes.reduce((a, c) => a + c.checked, 0)
    out.set(roundId, { overall, checked: classes.reduce((a, c) => a + c.checked, 0), classes: classes.sort((a, b) => a.classId - b.classId) })
  }
  return out
}
