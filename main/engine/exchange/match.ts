/**
 * An import in three steps: plan (read the source, find each row's image, decide what changes),
 * report (what a dry run shows, before anything is written), apply (one transaction, one undoable
 * action whose events name the source as their origin). Used by the studio
 * (main/app/handlers/import.ts) and the CLI (main/cli/import.ts) alike.
 *
 * Finding a row's image, in order:
 *   1. its path relative to the project folder;
 *   2. its file name, where exactly one image of the project has a file of that name;
 *   3. its content hash: the source's sha256 column (the studio's CSV and JSON), or for folder
 *      sources the file's own bytes, hashed only here, when 1 and 2 found nothing.
 * A path or name match is checked against what the source knows of the content (the sha256, or a
 * folder file's size): an export renames clashing files (x.png, x-2.png), so a name can point at
 * another image of the project; then the hash decides. A path whose content changed since (no hash
 * match anywhere) still counts: the file was edited, not replaced.
 */
import path from 'node:path'
import type { ImportAs, ImportConflict, ImportFormat } from '../../../preload/vocabulary'
import { hashFile } from '../library/identify'
import type { Project } from '../project/project'
import type { ImageRow } from '../store'
import { isFolderSource, isInside, readFailure, readSource, type SourceRow } from './import'
import { safeName } from './layouts'

/** How many names each list of the report shows. */
const FIRST = 10

export interface ImportOptions {
  format: ImportFormat
  /** The file (csv, json, coco, labelstudio) or folder (yolo, folders) to read. */
  source: string
  /** Imported labels as a person's (seed labels) or as proposals to review. Default human. */
  as?: ImportAs
  /** An image a person labelled with another class: keep that label (default) or replace it. */
  onConflict?: ImportConflict
  actor?: string
  signal?: AbortSignal
}

/** A count with the first few examples (names as the source gives them, with where they are). */
export interface Examples {
  count: number
  first: string[]
}

export interface ImportReport {
  format: ImportFormat
  source: string
  as: ImportAs
  onConflict: ImportConflict
  /** Rows (labels) the source holds, skipped ones included. */
  rows: number
  /** Rows matched to an image of the project, and how. */
  matched: number
  byPath: number
  byName: number
  byHash: number
  /** Rows whose image is not in the project. */
  unmatched: Examples
  /** Rows whose file name fits several images, and images the source gives two different classes. */
  ambiguous: Examples
  /** Rows without a usable label (no class, no annotation, a tie), each with why. */
  skipped: Examples
  /** Classes the import creates (it names them and the project has none of that name). */
  newClasses: string[]
  /** Images a person labelled with another class: kept or replaced, as onConflict says. */
  conflicts: { count: number; first: { path: string; current: string; imported: string }[] }
  /** Images that already have the imported class. */
  unchanged: number
  /** Labels the import writes (or would write, in a dry run). */
  toWrite: number
}

/** A plan: the report, and the labels to write. */
export interface ImportPlan {
  report: ImportReport
  writes: { imageId: number; className: string; confidence: number | null }[]
}

const note = (list: Examples, text: string) => {
  if (list.count++ < FIRST) list.first.push(text)
}

/** Forward slashes, no leading ./ ; absolute paths inside the project made relative to it. */
function normalise(p: string, folder: string): string {
  let s = p.replace(/\\/g, '/').replace(/^(\.\/)+/, '')
  if (path.isAbsolute(s) && isInside(folder, s)) s = path.relative(path.resolve(folder), s).split(path.sep).join('/')
  return s
}

/** The project's images by path, by file name and by hash, and its classes by name. */
class ProjectIndex {
  readonly byPath = new Map<string, number>()
  readonly byName = new Map<string, Set<number>>()
  readonly byHash = new Map<string, number>()
  readonly images = new Map<number, ImageRow>()

  constructor(project: Project) {
    for (const r of project.store.queries.allImages()) {
      this.images.set(r.id, r)
      this.byHash.set(r.hash, r.id)
    }
    for (const [p, f] of project.store.images.knownFiles()) {
      if (f.imageId === null || !this.images.has(f.imageId)) continue
      this.byPath.set(p, f.imageId)
      const name = path.posix.basename(p)
      let set = this.byName.get(name)
      if (!set) this.byName.set(name, (set = new Set()))
      set.add(f.imageId)
    }
  }
}

type Found = { imageId: number; how: 'path' | 'name' | 'hash' } | { ambiguous: number } | null

/** The row's image; a promise only when the file must be hashed (most rows are found without an await). */
function find(row: SourceRow, index: ProjectIndex, folder: string): Found | Promise<Found> {
  const p = normalise(row.path, folder)
  const fits = (id: number) => {
    const img = index.images.get(id)!
    if (row.sha256) return img.hash === row.sha256
    if (row.file) return img.bytes === row.file.size
    return true
  }
  const byPath = index.byPath.get(p)
  if (byPath !== undefined && fits(byPath)) return { imageId: byPath, how: 'path' }
  const named = index.byName.get(path.posix.basename(p))
  if (named?.size === 1) {
    const id = named.values().next().value!
    if (fits(id)) return { imageId: id, how: 'name' }
  }
  const byHash = (hash: string | null): Found => {
    const id = hash === null ? undefined : index.byHash.get(hash)
    if (id !== undefined) return { imageId: id, how: 'hash' }
    if (byPath !== undefined) return { imageId: byPath, how: 'path' }
    if (named && named.size > 1) return { ambiguous: named.size }
    return null
  }
  if (!row.file || row.sha256) return byHash(row.sha256)
  const file = row.file.abs
  return hashFile(file).then(byHash, (err: unknown) => {
    throw readFailure(err, file)
  })
}

/** The project's class for a name from the source: the same name, or for folder sources the class whose folder name (safeName) it is. */
function classResolver(project: Project, format: ImportFormat): (name: string) => { name: string; existing: boolean } {
  const live = project.store.classes.list().map((c) => c.name)
  const exact = new Set(live)
  const byFolder = new Map<string, string[]>()
  for (const n of live) byFolder.set(safeName(n), [...(byFolder.get(safeName(n)) ?? []), n])
  return (raw) => {
    const name = raw.trim()
    if (exact.has(name)) return { name, existing: true }
    const folder = isFolderSource(format) ? byFolder.get(name) : undefined
    if (folder?.length === 1) return { name: folder[0]!, existing: true }
    return { name, existing: false }
  }
}

/**
 * What importing `className` does to an image as it is now: nothing where it has that label already
 * (a person's, or any as a proposal), a conflict where a person gave it another class, else a write.
 */
function effectOf(img: ImageRow, className: string, names: ReadonlyMap<number, string>, as: ImportAs): { effect: 'write' | 'unchanged' | 'conflict'; current: string | null } {
  const current = img.classId === null ? null : (names.get(img.classId) ?? null)
  const personal = img.status === 'human' || img.status === 'accepted'
  if (current === className && (personal || as === 'proposal')) return { effect: 'unchanged', current }
  return { effect: personal && current !== null ? 'conflict' : 'write', current }
}

/** A person's label (`current`) the import's class differs from, for the report. */
function noteConflict(report: ImportReport, img: ImageRow, current: string | null, imported: string): void {
  if (report.conflicts.count++ < FIRST) report.conflicts.first.push({ path: img.path ?? img.hash, current: current!, imported })
}

/** Reads the source and decides every change; writes nothing. Bad input throws ImportError. */
export async function planImport(project: Project, o: ImportOptions): Promise<ImportPlan> {
  const as = o.as ?? 'human'
  const onConflict = o.onConflict ?? 'keep'
  const index = new ProjectIndex(project)
  const report: ImportReport = {
    format: o.format,
    source: o.source,
    as,
    onConflict,
    rows: 0,
    matched: 0,
    byPath: 0,
    byName: 0,
    byHash: 0,
    unmatched: { count: 0, first: [] },
    ambiguous: { count: 0, first: [] },
    skipped: { count: 0, first: [] },
    newClasses: [],
    conflicts: { count: 0, first: [] },
    unchanged: 0,
    toWrite: 0,
  }
  // One entry per image (bounded by the project, not by the source's size).
  const chosen = new Map<number, { className: string; confidence: number | null; where: string } | 'contradicted'>()
  const resolve = classResolver(project, o.format)
  for await (const batch of readSource(o.format, o.source, project.folder, o.signal)) {
    for (const row of batch) {
      o.signal?.throwIfAborted()
      report.rows++
      if (row.skip !== null) {
        note(report.skipped, `${row.path} (${row.where}): ${row.skip}`)
        continue
      }
      let found = find(row, index, project.folder)
      if (found instanceof Promise) found = await found
      if (found === null) {
        note(report.unmatched, `${row.path} (${row.where})`)
        continue
      }
      if ('ambiguous' in found) {
        note(report.ambiguous, `${row.path} (${row.where}): ${found.ambiguous} images have a file of that name`)
        continue
      }
      report.matched++
      report[found.how === 'path' ? 'byPath' : found.how === 'name' ? 'byName' : 'byHash']++
      const className = resolve(row.class).name
      const before = chosen.get(found.imageId)
      if (before === 'contradicted') continue
      if (before && before.className !== className) {
        // Exact duplicates are one image: two files of it labelled differently cannot both hold.
        note(report.ambiguous, `${row.path} (${row.where}): "${className}", but ${before.where} gives the same image "${before.className}"`)
        chosen.set(found.imageId, 'contradicted')
        continue
      }
      if (!before) chosen.set(found.imageId, { className, confidence: row.confidence, where: `${row.path} (${row.where})` })
    }
  }

  const names = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  const writes: ImportPlan['writes'] = []
  const created = new Set<string>()
  for (const [imageId, c] of chosen) {
    if (c === 'contradicted') continue
    const img = index.images.get(imageId)!
    const { effect, current } = effectOf(img, c.className, names, as)
    if (effect === 'unchanged') {
      report.unchanged++
      continue
    }
    if (effect === 'conflict') {
      noteConflict(report, img, current, c.className)
      if (onConflict === 'keep') continue
    }
    writes.push({ imageId, className: c.className, confidence: c.confidence })
    if (!resolve(c.className).existing) created.add(c.className)
  }
  report.newClasses = [...created].sort()
  report.toWrite = writes.length
  return { report, writes }
}

/** Writes a plan as one undoable action (origin: the source); returns the images it labelled. */
export function applyImport(project: Project, plan: ImportPlan, actor = 'user'): number[] {
  // The plan read the project before its awaits; a person may have labelled some of its images since
  // (another window, another reviewer). Checked again here, synchronously up to the write, so that a
  // label onConflict 'keep' keeps is never overwritten; the report counts those images too.
  const report = plan.report
  const names = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  const writes = plan.writes.filter((w) => {
    const img = project.store.images.get(w.imageId)
    if (img === null) return false
    const { effect, current } = effectOf(img, w.className, names, report.as)
    if (effect === 'unchanged') report.unchanged++
    else if (effect === 'conflict' && report.onConflict === 'keep') noteConflict(report, img, current, w.className)
    else return true
    return false
  })
  report.toWrite = writes.length
  // The classes to create: those still written to, and not made meanwhile (a class a person made is
  // not the import's to take away on undo).
  const used = new Set(writes.map((w) => w.className))
  const live = new Set(names.values())
  report.newClasses = report.newClasses.filter((n) => used.has(n) && !live.has(n))
  if (writes.length === 0) return []
  return project.store.labels.importLabels(writes, report.newClasses, { as: report.as, origin: report.source, actor }, project.store.classes).imageIds
}

/** Plans and, unless `dryRun`, applies: the one entry for the studio and the CLI. */
export async function importLabels(project: Project, o: ImportOptions & { dryRun?: boolean }): Promise<{ report: ImportReport; imageIds: number[] }> {
  const plan = await planImport(project, o)
  return { report: plan.report, imageIds: o.dryRun ? [] : applyImport(project, plan, o.actor) }
}
