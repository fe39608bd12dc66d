/**
 * Label exports other tools read directly: class folders (one folder per class, the layout of
 * torchvision's ImageFolder and Keras), Ultralytics' classification layout (train/ and val/ of
 * class folders, plus names.txt) and COCO JSON. Each one takes the labels collectLabels() chose,
 * so the scope (reviewed only, or with proposals) is the same for every format.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ExportedLabel } from './labels'
import { placeFiles, type PlaceOptions } from './write'
import { rng } from '../math/linalg'

/** Characters no folder name may hold on some platform, and control characters. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[/\\:*?"<>|\u0000-\u001f]/g
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i

/** A folder or file name that is valid on Windows, macOS and Linux and stays recognisable. */
export function safeName(name: string): string {
  let s = name.normalize('NFC').replace(UNSAFE, '_').replace(/[. ]+$/, '').trim()
  if (s === '' || s === '.' || s === '..') s = '_'
  if (WINDOWS_RESERVED.test(s)) s = `${s}_`
  return s.slice(0, 120)
}

/**
 * Hands out names unique within one folder; case-insensitive, because macOS and Windows treat
 * "Cat.png" and "cat.png" as one file. A taken name gets -2, -3, ... before its extension.
 */
class UniqueNames {
  private readonly taken = new Set<string>()
  take(name: string): string {
    const ext = path.extname(name)
    const stem = name.slice(0, name.length - ext.length)
    for (let i = 1; ; i++) {
      const candidate = i === 1 ? name : `${stem}-${i}${ext}`
      const key = candidate.toLowerCase()
      if (!this.taken.has(key)) {
        this.taken.add(key)
        return candidate
      }
    }
  }
}

/** Class name -> folder name, unique across classes even where two names differ only in case. */
function classFolders(labels: readonly ExportedLabel[]): Map<string, string> {
  const names = new UniqueNames()
  const out = new Map<string, string>()
  for (const c of [...new Set(labels.map((l) => l.class))].sort()) out.set(c, names.take(safeName(c)))
  return out
}

export interface LayoutResult {
  /** Image files written (copied or linked). */
  files: number
  linked: number
  copied: number
  /** Things the user should know about the result, in words. */
  warnings: string[]
}

/** `<dest>/<class>/<file>` for every label; files with the same name in one class get -2, -3, ... */
export async function writeClassFolders(imageRoot: string, labels: readonly ExportedLabel[], dest: string, opts: PlaceOptions): Promise<LayoutResult> {
  const folders = classFolders(labels)
  const unique = new Map<string, UniqueNames>()
  const plan = labels.map((l) => {
    const folder = folders.get(l.class)!
    let names = unique.get(folder)
    if (!names) unique.set(folder, (names = new UniqueNames()))
    return { from: path.join(imageRoot, l.path), to: path.join(folder, names.take(safeName(path.basename(l.path)))) }
  })
  const placed = await placeFiles(plan, dest, opts)
  return { files: plan.length, ...placed, warnings: [] }
}

export interface YoloOptions extends PlaceOptions {
  /** Share of each class's images that go to val/ (0 to 0.9). */
  valRatio: number
  seed: number
}

/**
 * Ultralytics' classification dataset: `<dest>/train/<class>/*`, `<dest>/val/<class>/*` and
 * `names.txt`. Ultralytics (like torchvision's ImageFolder) numbers classes by their folder names
 * in sorted order, separately for each split, so every class must appear in both: the split is
 * stratified, each class with two or more images gives at least one to val, and names.txt lists
 * the folder names in that sorted order (line n is class index n).
 */
export async function writeYolo(imageRoot: string, labels: readonly ExportedLabel[], dest: string, opts: YoloOptions): Promise<LayoutResult & { train: number; val: number }> {
  const folders = classFolders(labels)
  const byClass = new Map<string, ExportedLabel[]>()
  for (const l of labels) byClass.set(l.class, [...(byClass.get(l.class) ?? []), l])
  const rand = rng(opts.seed)
  const plan: { from: string; to: string }[] = []
  const warnings: string[] = []
  let val = 0
  for (const [cls, items] of [...byClass].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Fisher-Yates over the path-sorted list: the same labels and seed give the same split.
    const order = items.map((_, i) => i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    const nVal = opts.valRatio > 0 && items.length >= 2 ? Math.min(items.length - 1, Math.max(1, Math.round(opts.valRatio * items.length))) : 0
    if (opts.valRatio > 0 && items.length < 2) warnings.push(`class "${cls}" has one image: it is in train/ only, and Ultralytics will number the val classes differently; label more images of it`)
    const folder = folders.get(cls)!
    const names = { train: new UniqueNames(), val: new UniqueNames() }
    order.forEach((idx, rank) => {
      const l = items[idx]!
      const split = rank < nVal ? 'val' : 'train'
      plan.push({ from: path.join(imageRoot, l.path), to: path.join(split, folder, names[split].take(safeName(path.basename(l.path)))) })
    })
    val += nVal
  }
  const placed = await placeFiles(plan, dest, opts)
  const sorted = [...folders.values()].sort()
  await writeFile(path.join(dest, 'names.txt'), sorted.map((n) => n + '\n').join(''), { flag: 'wx' })
  return { files: plan.length, ...placed, warnings, train: plan.length - val, val }
}

export interface CocoImage {
  width: number | null
  height: number | null
}

/**
 * COCO JSON, streamed in pieces (a large project's file is never one string in memory).
 *
 * COCO was made for detection; this is its image-level classification use: one annotation per
 * image with a category_id and no bbox, segmentation or area (as in COCO-style classification
 * exports of FiftyOne and Label Studio). Unreviewed proposals carry the round's calibrated
 * confidence as "score", the field COCO results use for a prediction's confidence; labels a person
 * made or accepted have none. "decided_by" names who set the label (a reviewer, or the round that
 * proposed it). file_name is the path relative to the image folder named in info.image_root.
 */
export function* cocoChunks(labels: readonly ExportedLabel[], images: ReadonlyMap<string, CocoImage>, classNames: readonly string[], imageRoot: string): Generator<string> {
  const catId = new Map(classNames.map((c, i) => [c, i + 1]))
  const info = { description: 'Pseudolabel Studio label export (image-level classification)', date_created: new Date().toISOString(), image_root: imageRoot }
  yield `{"info":${JSON.stringify(info)},\n"categories":${JSON.stringify(classNames.map((name, i) => ({ id: i + 1, name, supercategory: '' })))},\n"images":[\n`
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!
    const im = images.get(l.sha256)
    yield `${i ? ',\n' : ''}${JSON.stringify({ id: i + 1, file_name: l.path, width: im?.width ?? 0, height: im?.height ?? 0 })}`
  }
  yield '\n],\n"annotations":[\n'
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!
    const a: Record<string, unknown> = { id: i + 1, image_id: i + 1, category_id: catId.get(l.class) ?? 0 }
    if (l.status === 'proposed' && l.confidence !== null) a.score = +l.confidence.toFixed(6)
    if (l.decided_by !== null) a.decided_by = l.decided_by
    yield `${i ? ',\n' : ''}${JSON.stringify(a)}`
  }
  yield '\n]}\n'
}
