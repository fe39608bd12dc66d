/**
 * Decision files: a person's (or a script's) decisions on images, one CSV row each, `path,decision`
 * (a header row naming a `decision` or `verdict` column may put it elsewhere). A decision is
 * `accept` or `reject` (the image's pseudo-label), or a class name (a human label: a seed label on
 * an unlabelled image, a correction on a labelled one). An empty decision leaves the image as it is,
 * so a file written by `suggest --out` or `audit --draw` can come back half filled in.
 *
 * Every row is checked before anything changes: a missing image, an unknown class or an accept
 * without a pseudo-label stops the whole file (exit 2, each bad line named) and nothing is applied.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { csvRow, parseCsv } from '../engine/exchange/csv'
import type { ImageInfo } from '../../preload/contract'
import { CliError, EXIT, type Session } from './session'

export interface Decision {
  line: number
  path: string
  decision: string
}

/** The decisions of `file` (paths relative to `folder`; absolute ones inside it are made relative). */
export async function readDecisions(file: string, folder: string): Promise<Decision[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.usage)
  }
  let rows
  try {
    rows = parseCsv(text)
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT.usage)
  }
  let column = 1
  const head = rows[0]?.fields.map((f) => f.trim().toLowerCase())
  if (head?.[0] === 'path') {
    rows.shift()
    const named = head.findIndex((f) => f === 'decision' || f === 'verdict')
    if (named < 0 && head.length > 2) throw new CliError(`${file}: the header has no "decision" (or "verdict") column; columns: ${head.join(', ')}`, EXIT.usage)
    if (named >= 0) column = named
  }
  return rows.map(({ line, fields }) => {
    const p = (fields[0] ?? '').trim()
    return { line, path: path.isAbsolute(p) ? path.relative(folder, p).split(path.sep).join('/') : p, decision: (fields[column] ?? '').trim() }
  })
}

export interface Applied {
  accepted: number
  rejected: number
  /** Human labels given, per class name (seed labels and corrections). */
  labelled: Record<string, number>
  /** Rows with an empty decision, or a class the image already had from a person. */
  unchanged: number
  /** Classes created for names not yet in the project (--create-classes). */
  createdClasses: string[]
}

/**
 * Checks every decision against the project, then applies them through the contract as one action
 * per kind (accept, reject, each class), each one undo step in the studio.
 */
export async function applyDecisions(session: Session, file: string, decisions: Decision[], opts: { createClasses: boolean }): Promise<Applied> {
  let classes = await session.call('classes.list', {})
  const byName = (name: string) => classes.find((c) => c.name === name) ?? classes.find((c) => c.name.toLowerCase() === name.toLowerCase())
  const problems: string[] = []
  const missingClasses = new Set<string>()
  // The last row for an image wins (a file may be appended to).
  const chosen = new Map<number, { d: Decision; image: ImageInfo }>()
  let unchanged = 0
  for (const d of decisions) {
    if (!d.path) {
      problems.push(`line ${d.line}: no path`)
      continue
    }
    const reply = await session.api.handle('images.get', { relPath: d.path })
    if (!reply.ok) {
      problems.push(`line ${d.line}: ${d.path}: ${reply.error.code === 'not_found' ? 'no such image in the project' : reply.error.message}`)
      continue
    }
    const image = reply.value as ImageInfo
    const word = d.decision.toLowerCase()
    if (d.decision === '') unchanged++
    else if (word === 'accept' || word === 'reject') {
      if (!['proposed', 'accepted', 'rejected'].includes(image.status)) problems.push(`line ${d.line}: ${d.path} has no pseudo-label to ${word} (it is ${image.status}); give a class name to label it`)
      else chosen.set(image.id, { d: { ...d, decision: word }, image })
    } else {
      if (!byName(d.decision)) missingClasses.add(d.decision)
      chosen.set(image.id, { d, image })
    }
  }
  if (missingClasses.size && !opts.createClasses)
    problems.push(`unknown classes: ${[...missingClasses].join(', ')} (the project has ${classes.map((c) => c.name).join(', ') || 'none yet'}); pass --create-classes to create them, or correct the file`)
  if (problems.length) {
    const shown = problems.slice(0, 20).join('\n  ')
    throw new CliError(`${file}: nothing was applied, because:\n  ${shown}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`, EXIT.usage)
  }
  const createdClasses: string[] = []
  for (const name of missingClasses) {
    await session.call('classes.create', { name })
    createdClasses.push(name)
  }
  if (createdClasses.length) classes = await session.call('classes.list', {})

  const accept: number[] = []
  const reject: number[] = []
  const seed = new Map<number, number[]>()
  const relabel = new Map<number, number[]>()
  for (const { d, image } of chosen.values()) {
    if (d.decision === 'accept') accept.push(image.id)
    else if (d.decision === 'reject') reject.push(image.id)
    else {
      const classId = byName(d.decision)!.id
      if (image.status === 'human' && image.classId === classId) unchanged++
      else {
        const into = image.status === 'unlabelled' ? seed : relabel
        into.set(classId, [...(into.get(classId) ?? []), image.id])
      }
    }
  }
  if (accept.length) await session.call('labels.review', { imageIds: accept, decision: 'accept' })
  if (reject.length) await session.call('labels.review', { imageIds: reject, decision: 'reject' })
  const labelled: Record<string, number> = {}
  const name = (id: number) => classes.find((c) => c.id === id)!.name
  for (const [classId, imageIds] of seed) {
    await session.call('labels.set', { imageIds, classId })
    labelled[name(classId)] = (labelled[name(classId)] ?? 0) + imageIds.length
  }
  for (const [classId, imageIds] of relabel) {
    await session.call('labels.relabel', { imageIds, classId })
    labelled[name(classId)] = (labelled[name(classId)] ?? 0) + imageIds.length
  }
  return { accepted: accept.length, rejected: reject.length, labelled, unchanged, createdClasses }
}

/** Writes a CSV of `header` and `rows` to `file`, which must not exist (a filled-in decision file is never overwritten). */
export async function writeNewCsv(file: string, header: string[], rows: (string | number | null)[][]): Promise<void> {
  try {
    await writeFile(file, [csvRow(header), ...rows.map(csvRow)].join('\n') + '\n', { flag: 'wx' })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EEXIST') throw new CliError(`${file} already exists; choose a path that does not (a decision file may hold a person's work, so it is never overwritten)`, EXIT.usage)
    throw new CliError(`cannot write ${file}: ${e.message}`, EXIT.failed)
  }
}

/** "ants 12, bees 3" */
export function perClassText(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k} ${v}`)
  return parts.length ? parts.join(', ') : 'none'
}

/** Checked before any work: an --out that exists is refused at once, not after a round or a draw. */
export async function outMustNotExist(file: string, v: { usage(message: string): CliError }): Promise<string> {
  const abs = path.resolve(file)
  if (await stat(abs).catch(() => null)) throw v.usage(`${abs} already exists; choose a path that does not (a decision file may hold a person's work, so it is never overwritten)`)
  return abs
}
