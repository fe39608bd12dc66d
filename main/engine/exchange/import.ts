/**
 * Reading labels in: every format the studio exports (CSV, JSON, COCO, YOLO, class folders), any
 * CSV with a path column and a class column, and Label Studio's JSON export. Each reader turns its
 * source into SourceRows (where in the source, the image as the source names it, the class, a
 * confidence when the source has one); match.ts finds the project's images for them.
 *
 * Memory: CSV is streamed record by record (a 1 GB file is read in 1 MB chunks, and a record is
 * capped, so an unclosed quote cannot swallow the file). JSON formats are one JSON value each, so
 * they are parsed whole, up to JSON_LIMIT bytes: above it the message says so and suggests CSV.
 * Folder formats list files, never read them here (their bytes are hashed in match.ts, only when
 * neither the path nor the file name finds the image).
 */
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { TextDecoder } from 'node:util'
import type { ImportFormat } from '../../../preload/vocabulary'
import { IMAGE_EXTENSIONS } from '../library/scan'

/** A source the studio cannot import, with a message that names the file (and line) and what to do. */
export class LabelImportError extends Error {
  override name = 'LabelImportError'
}

/** One label as the source gives it. */
export interface SourceRow {
  /** Where in the source, for messages: "line 12", "images[3]", "tasks[0]" or the file inside the folder. */
  where: string
  /** The image as the source names it: relative to the project folder (or the source's image root), or absolute. */
  path: string
  /** The class name; empty when the source gives the image none (`skip` says why). */
  class: string
  confidence: number | null
  /** sha256 of the image's bytes, when the source records it (the studio's CSV and JSON). */
  sha256: string | null
  /** Folder sources: the file itself (its size checks a name match; its bytes are hashed when nothing else matches). */
  file: { abs: string; size: number } | null
  /** Why this row carries no usable label (no annotation, a tie between categories, several choices); null when it does. */
  skip: string | null
}

/** JSON formats are parsed whole: above this size the import refuses, and says to use CSV. */
export const JSON_LIMIT = 200_000_000
/** A CSV record longer than this is an error (most likely an unclosed quote), so memory stays bounded. */
export const MAX_CSV_RECORD = 1 << 16

/** Formats whose source is a folder of images rather than one file. */
export const isFolderSource = (f: ImportFormat): f is 'yolo' | 'folders' => f === 'yolo' || f === 'folders'

/** Split folders of a dataset (ImageNet, Ultralytics, Hugging Face imagefolder): a class folder may sit below one. */
const SPLITS = new Set(['train', 'val', 'valid', 'validation', 'test'])

/** Column names recognised in a CSV header (lower case), first match wins. */
const PATH_COLUMNS = ['path', 'file', 'file_name', 'filename', 'filepath', 'file_path', 'image', 'image_path', 'relpath']
const CLASS_COLUMNS = ['class', 'label']
const CONFIDENCE_COLUMNS = ['confidence', 'score', 'probability']

const SHA256 = /^[0-9a-f]{64}$/

/** The rows of `source` in `format`, a batch at a time; bad input throws LabelImportError before (or instead of) the rest. */
export async function* readSource(format: ImportFormat, source: string, projectFolder: string, signal?: AbortSignal): AsyncGenerator<SourceRow[]> {
  const st = await stat(source).catch((err: NodeJS.ErrnoException) => {
    throw new LabelImportError(err.code === 'ENOENT' ? `${source} does not exist; give the path of the ${isFolderSource(format) ? 'folder' : 'file'} to import` : `cannot read ${source}: ${err.code ?? err.message}`)
  })
  if (isFolderSource(format)) {
    if (!st.isDirectory()) throw new LabelImportError(`${source} is a file, not a folder: the ${format === 'yolo' ? 'YOLO classification layout' : 'class folders import'} reads a folder (of ${format === 'yolo' ? 'train/<class>/<file>' : '<class>/<file>'})`)
    yield* readFolders(format, source, projectFolder, signal)
    return
  }
  if (st.isDirectory()) throw new LabelImportError(`${source} is a folder, not a file: ${format} imports read one file (class folders and YOLO read a folder)`)
  if (format === 'csv') {
    yield* readCsv(source, signal)
    return
  }
  if (st.size > JSON_LIMIT) {
    throw new LabelImportError(`${source} is ${(st.size / 1e6).toFixed(1)} MB: JSON imports are read whole, up to ${JSON_LIMIT / 1e6} MB. Export the labels as CSV (read as a stream, any size) or split the file.`)
  }
  const doc = parseJson(await readText(source, signal), source)
  if (format === 'json') yield [...studioJsonRows(doc, source)]
  else if (format === 'coco') yield [...cocoRows(doc, source, projectFolder)]
  else yield [...labelStudioRows(doc, source)]
}

// ---------------------------------------------------------------- text and encodings

/** The text encoding from a byte-order mark (UTF-8 when there is none), and the mark's length. */
function sniffEncoding(head: Buffer): { encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; skip: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', skip: 3 }
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 }
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', skip: 2 }
  return { encoding: 'utf-8', skip: 0 }
}

/** Decoded text of `file`, chunk by chunk: UTF-8, or UTF-16 with a byte-order mark; other bytes are an error naming the offset. */
async function* textChunks(file: string, signal?: AbortSignal): AsyncGenerator<string> {
  let decoder: TextDecoder | null = null
  let offset = 0
  let encoding = 'utf-8'
  const stream = createReadStream(file, { highWaterMark: 1 << 20 })
  try {
    for await (const raw of stream) {
      signal?.throwIfAborted()
      let chunk = raw as Buffer
      if (!decoder) {
        const sniff = sniffEncoding(chunk)
        encoding = sniff.encoding
        decoder = new TextDecoder(encoding, { fatal: true })
        chunk = chunk.subarray(sniff.skip)
        offset = sniff.skip
      }
      yield decodeOrExplain(decoder, chunk, file, offset, encoding, true)
      offset += chunk.length
    }
    if (decoder) yield decodeOrExplain(decoder, new Uint8Array(0), file, offset, encoding, false)
  } catch (err) {
    throw readFailure(err, file)
  } finally {
    stream.destroy()
  }
}

function decodeOrExplain(decoder: TextDecoder, chunk: Uint8Array, file: string, offset: number, encoding: string, more: boolean): string {
  try {
    return decoder.decode(chunk, { stream: more })
  } catch {
    throw new LabelImportError(
      `${file} is not ${encoding === 'utf-8' ? 'UTF-8' : encoding.toUpperCase()} text (undecodable bytes in the 1 MB from byte ${offset.toLocaleString('en')}): its encoding is unknown. Save it as UTF-8 (in a spreadsheet: "CSV UTF-8") and import it again.`,
    )
  }
}

/** An error reading `file`, in words (permission, vanished); ImportErrors and cancels pass through. */
export function readFailure(err: unknown, file: string): Error {
  if (err instanceof LabelImportError || (err as Error)?.name === 'AbortError') return err as Error
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'EACCES' || code === 'EPERM') return new LabelImportError(`cannot read ${file}: no permission (${code}); make it readable or copy it somewhere you can read`)
  if (code === 'ENOENT') return new LabelImportError(`${file} does not exist (was it moved while importing?)`)
  if (code === 'EISDIR') return new LabelImportError(`${file} is a folder, not a file`)
  return new LabelImportError(`cannot read ${file}: ${(err as Error)?.message ?? String(err)}`)
}

async function readText(file: string, signal?: AbortSignal): Promise<string> {
  let text = ''
  for await (const chunk of textChunks(file, signal)) text += chunk
  return text
}

// ---------------------------------------------------------------- CSV

/**
 * CSV records as a stream, RFC 4180: fields quoted with ", quotes doubled, line breaks allowed in a
 * quoted field; records end with \n or \r\n. The delimiter is the header's: a comma, else a semicolon
 * or a tab (spreadsheets in many locales write semicolons). `line` is where the record starts.
 */
export async function* csvRecords(file: string, signal?: AbortSignal): AsyncGenerator<{ line: number; fields: string[] }[]> {
  let delimiter = -1
  let delimiterChar = ','
  let fields: string[] = []
  let field = ''
  // 0: outside quotes, 1: inside a quoted field, 2: a quote inside a quoted field (closing, or the first of "")
  let state = 0
  let closed = false // the field was quoted and is closed: only a delimiter or the record's end may follow
  let started = false // the record has a character (a blank line is no record)
  let line = 1
  let recordLine = 1
  let recordLength = 0
  const malformed = (what: string, at = recordLine) => new LabelImportError(`${file} line ${at}: ${what}; fix that line (or re-export the file) and import again`)
  const endField = () => {
    fields.push(closed || !field.endsWith('\r') ? field : field.slice(0, -1))
    field = ''
    closed = false
  }
  for await (const text of textChunks(file, signal)) {
    // Records go out a chunk at a time: one await per record would cost more than parsing it.
    const batch: { line: number; fields: string[] }[] = []
    if (delimiter < 0) {
      const firstLine = text.slice(0, text.indexOf('\n') >>> 0)
      delimiter = firstLine.includes(',') ? 44 : firstLine.includes(';') ? 59 : firstLine.includes('\t') ? 9 : 44
      delimiterChar = String.fromCharCode(delimiter)
    }
    const tooLong = () => malformed(`a record longer than ${MAX_CSV_RECORD.toLocaleString('en')} characters (an unclosed quote?)`)
    let i = 0
    while (i < text.length) {
      if (state === 1) {
        // Inside quotes everything up to the next quote is data, line breaks included.
        const q = text.indexOf('"', i)
        const end = q < 0 ? text.length : q
        for (let k = text.indexOf('\n', i); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) line++
        field += text.slice(i, end)
        recordLength += end - i + 1
        if (recordLength > MAX_CSV_RECORD) throw tooLong()
        if (q >= 0) state = 2
        i = end + 1
        continue
      }
      if (state === 0 && !started && !closed && field === '' && fields.length === 0) {
        // Fast path: a whole record in this chunk without a quote is split by the engine.
        const nl = text.indexOf('\n', i)
        if (nl >= 0 && nl - i <= MAX_CSV_RECORD) {
          const seg = text.slice(i, nl)
          if (!seg.includes('"')) {
            const cut = seg.endsWith('\r') ? seg.slice(0, -1) : seg
            if (cut !== '') batch.push({ line: recordLine, fields: cut.split(delimiterChar) })
            line++
            recordLine = line
            i = nl + 1
            continue
          }
        }
      }
      const c = text.charCodeAt(i)
      if (state === 2) {
        if (c === 34) {
          field += '"'
          state = 1
          i++
          continue
        }
        state = 0
        closed = true
      }
      if (c === delimiter) {
        endField()
        started = true
      } else if (c === 10) {
        if (started || (field !== '' && field !== '\r') || closed) {
          endField()
          batch.push({ line: recordLine, fields })
        }
        fields = []
        field = ''
        closed = false
        started = false
        line++
        recordLine = line
        recordLength = 0
      } else if (closed) {
        if (c !== 13) throw malformed(`a character after a quoted field's closing quote (a quote inside a field is doubled: "")`, line)
      } else if (c === 34) {
        if (field !== '') throw malformed(`a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")`, line)
        state = 1
        started = true
      } else {
        // A run of plain characters, appended at once.
        let j = i + 1
        for (; j < text.length; j++) {
          const d = text.charCodeAt(j)
          if (d === delimiter || d === 10 || d === 34) break
        }
        field += text.slice(i, j)
        recordLength += j - i
        if (recordLength > MAX_CSV_RECORD) throw tooLong()
        started = true
        i = j
        continue
      }
      if (++recordLength > MAX_CSV_RECORD) throw tooLong()
      i++
    }
    if (batch.length) yield batch
  }
  if (state === 1) throw malformed('a quoted field is never closed (a missing closing quote)')
  if (state === 2) closed = true
  if (started || (field !== '' && field !== '\r') || closed) {
    endField()
    yield [{ line: recordLine, fields }]
  }
}

async function* readCsv(file: string, signal?: AbortSignal): AsyncGenerator<SourceRow[]> {
  let columns: { path: number; class: number; confidence: number; sha256: number; width: number } | null = null
  for await (const records of csvRecords(file, signal)) {
    const rows: SourceRow[] = []
    for (const { line, fields } of records) {
      if (fields.every((f) => f.trim() === '')) continue // a blank line, or a spreadsheet's empty row
      if (!columns) {
        const header = fields.map((f) => f.trim().toLowerCase())
        const find = (names: readonly string[]) => names.map((n) => header.indexOf(n)).find((i) => i >= 0) ?? -1
        columns = { path: find(PATH_COLUMNS), class: find(CLASS_COLUMNS), confidence: find(CONFIDENCE_COLUMNS), sha256: header.indexOf('sha256'), width: fields.length }
        const shown = fields.slice(0, 12).join(', ')
        if (columns.path < 0) throw new LabelImportError(`${file} line ${line}: no column names the image (the header is: ${shown}); name it "path" (or file, file_name, filename, image), with paths relative to the project folder or file names`)
        if (columns.class < 0) throw new LabelImportError(`${file} line ${line}: no class column (the header is: ${shown}); name the column with the class "class" or "label"`)
        continue
      }
      const need = Math.max(columns.path, columns.class) + 1
      if (fields.length < need) throw new LabelImportError(`${file} line ${line}: ${fields.length} field${fields.length === 1 ? '' : 's'} where the header has ${columns.width}; fix that line (a missing comma, or a comma in an unquoted field) and import again`)
      const p = fields[columns.path]!.trim()
      if (!p) throw new LabelImportError(`${file} line ${line}: the path is empty; give each row the image's path or file name`)
      const cls = fields[columns.class]!.trim()
      const conf = columns.confidence >= 0 ? (fields[columns.confidence] ?? '').trim() : ''
      const confidence = conf === '' ? null : Number(conf)
      if (confidence !== null && !(confidence >= 0 && confidence <= 1)) throw new LabelImportError(`${file} line ${line}: the confidence "${conf}" is not a number from 0 to 1`)
      const sha = columns.sha256 >= 0 ? (fields[columns.sha256] ?? '').trim().toLowerCase() : ''
      rows.push({ where: `line ${line}`, path: p, class: cls, confidence, sha256: SHA256.test(sha) ? sha : null, file: null, skip: cls ? null : 'no class' })
    }
    yield rows
  }
  if (!columns) throw new LabelImportError(`${file} is empty: a CSV import needs a header (path,class) and one row per image`)
}

// ---------------------------------------------------------------- JSON formats

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new LabelImportError(`${file} is not valid JSON (${(err as Error).message}); check that it is the whole file, as exported`)
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null)

/** Which other format a JSON document looks like, for a message when it is not the announced one. */
function looksLike(doc: unknown): string {
  if (isObject(doc) && Array.isArray(doc.images) && Array.isArray(doc.annotations)) return ' It looks like COCO JSON: import it with the COCO format.'
  if (Array.isArray(doc) && isObject(doc[0]) && isObject(doc[0].data)) return ' It looks like a Label Studio export: import it with the Label Studio format.'
  if ((isObject(doc) && Array.isArray(doc.labels)) || (Array.isArray(doc) && isObject(doc[0]) && ('class' in doc[0] || 'label' in doc[0]))) return " It looks like the studio's JSON: import it with the JSON format."
  return ''
}

/** The studio's JSON ({"labels": [{path, class, confidence, sha256, ...}]}) or a plain list of such objects. */
function* studioJsonRows(doc: unknown, file: string): Generator<SourceRow> {
  const list = isObject(doc) && Array.isArray(doc.labels) ? doc.labels : Array.isArray(doc) ? doc : null
  const item0 = list?.[0]
  if (!list || (list.length > 0 && !(isObject(item0) && (PATH_COLUMNS.some((k) => k in item0) && CLASS_COLUMNS.some((k) => k in item0))))) {
    throw new LabelImportError(`${file} is not a label list in the studio's JSON format: expected {"labels": [{"path": ..., "class": ...}, ...]} (or a list of such objects).${looksLike(doc)}`)
  }
  for (let i = 0; i < list.length; i++) {
    const it = list[i]
    const where = `labels[${i}]`
    if (!isObject(it)) throw new LabelImportError(`${file} ${where} is not an object with a path and a class`)
    const p = PATH_COLUMNS.map((k) => str(it[k])).find((v) => v) ?? null
    if (!p) throw new LabelImportError(`${file} ${where} has no path (or file name)`)
    const cls = (CLASS_COLUMNS.map((k) => str(it[k])).find((v) => v !== null) ?? '').trim()
    const c = CONFIDENCE_COLUMNS.map((k) => it[k]).find((v) => typeof v === 'number')
    const confidence = typeof c === 'number' && c >= 0 && c <= 1 ? c : null
    const sha = typeof it.sha256 === 'string' && SHA256.test(it.sha256) ? it.sha256 : null
    yield { where, path: p, class: cls, confidence, sha256: sha, file: null, skip: cls ? null : 'no class' }
  }
}

/**
 * COCO JSON: each image's class is its image-level annotation's category (the studio's own export),
 * or the category most of its boxes have; a tie is skipped, not guessed. file_name is relative to
 * info.image_root when the file names one (the studio's export does), else to the project folder.
 */
function* cocoRows(doc: unknown, file: string, projectFolder: string): Generator<SourceRow> {
  if (!isObject(doc) || !Array.isArray(doc.images) || !Array.isArray(doc.annotations) || !Array.isArray(doc.categories)) {
    const missing = ['images', 'annotations', 'categories'].filter((k) => !isObject(doc) || !Array.isArray(doc[k]))
    throw new LabelImportError(`${file} is not COCO JSON: it has no "${missing.join('", "')}" list${missing.length > 1 ? 's' : ''}.${looksLike(doc)}`)
  }
  const categories = new Map<number, string>()
  for (const c of doc.categories) if (isObject(c) && typeof c.id === 'number' && typeof c.name === 'string') categories.set(c.id, c.name)
  const votes = new Map<unknown, Map<number, { n: number; score: number | null }>>()
  for (const a of doc.annotations) {
    if (!isObject(a) || typeof a.category_id !== 'number') continue
    let v = votes.get(a.image_id)
    if (!v) votes.set(a.image_id, (v = new Map()))
    const cur = v.get(a.category_id) ?? { n: 0, score: null }
    const score = typeof a.score === 'number' ? a.score : null
    v.set(a.category_id, { n: cur.n + 1, score: score === null ? cur.score : Math.max(cur.score ?? 0, score) })
  }
  const info = isObject(doc.info) ? doc.info : {}
  const root = typeof info.image_root === 'string' ? path.resolve(info.image_root) : null
  // An image root inside the project: file names are made relative to the project. Elsewhere (the
  // folder the export was made from, now copied or moved), they stay as they are.
  const under = root && isInside(projectFolder, root) ? path.relative(path.resolve(projectFolder), root) : null
  for (let i = 0; i < doc.images.length; i++) {
    const im = doc.images[i]
    const where = `images[${i}]`
    if (!isObject(im) || typeof im.file_name !== 'string') throw new LabelImportError(`${file} ${where} has no file_name`)
    const p = under ? path.posix.join(under.split(path.sep).join('/'), im.file_name) : im.file_name
    const v = [...(votes.get(im.id) ?? new Map<number, { n: number; score: number | null }>())].sort((a, b) => b[1].n - a[1].n)
    const base = { where, path: p, sha256: null, file: null }
    if (v.length === 0) {
      yield { ...base, class: '', confidence: null, skip: 'no annotation' }
      continue
    }
    if (v.length > 1 && v[0]![1].n === v[1]![1].n) {
      yield { ...base, class: '', confidence: null, skip: `a tie between categories ${v.filter((e) => e[1].n === v[0]![1].n).map((e) => categories.get(e[0]) ?? e[0]).join(' and ')}` }
      continue
    }
    const [catId, vote] = v[0]!
    const name = categories.get(catId)
    if (name === undefined) throw new LabelImportError(`${file}: an annotation of ${where} names category ${catId}, which "categories" does not list`)
    const score = vote.score
    yield { ...base, class: name, confidence: score !== null && score >= 0 && score <= 1 ? score : null, skip: null }
  }
}

/** The choice of a Label Studio result list (a choices control's first choice), with its score. */
function choiceOf(results: unknown): { choices: string[]; score: number | null } | null {
  if (!Array.isArray(results)) return null
  for (const r of results) {
    if (isObject(r) && r.type === 'choices' && isObject(r.value) && Array.isArray(r.value.choices)) {
      return { choices: r.value.choices.filter((c): c is string => typeof c === 'string'), score: typeof r.score === 'number' ? r.score : null }
    }
  }
  return null
}

/**
 * Label Studio's JSON export: a list of tasks, each with `data` (the image URL) and its
 * annotations (the latest one not cancelled counts) or, without any, its predictions (a model's
 * labels, with their score). The image is named by its URL: a local-files URL gives its path (?d=),
 * an upload its file name without the 8-character prefix Label Studio adds, any other URL its path.
 */
function* labelStudioRows(doc: unknown, file: string): Generator<SourceRow> {
  if (!Array.isArray(doc) || (doc.length > 0 && !(isObject(doc[0]) && isObject(doc[0].data)))) {
    throw new LabelImportError(`${file} is not a Label Studio JSON export: expected a list of tasks, each with "data" (the image) and "annotations".${looksLike(doc)}`)
  }
  for (let i = 0; i < doc.length; i++) {
    const task = doc[i]
    const where = `tasks[${i}]`
    if (!isObject(task) || !isObject(task.data)) throw new LabelImportError(`${file} ${where} has no "data"`)
    const data = task.data
    const url = str(data.image) ?? Object.values(data).map(str).find((v) => v !== null) ?? null
    if (!url) throw new LabelImportError(`${file} ${where} names no image in "data"`)
    const p = labelStudioPath(url)
    const annotations = (Array.isArray(task.annotations) ? task.annotations : []).filter((a): a is Record<string, unknown> => isObject(a) && a.was_cancelled !== true)
    const latest = annotations.map((a) => choiceOf(a.result)).filter((c) => c !== null).at(-1)
    const predicted = Array.isArray(task.predictions)
      ? task.predictions
          .filter(isObject)
          .map((p2) => {
            const c = choiceOf(p2.result)
            return c ? { ...c, score: c.score ?? (typeof p2.score === 'number' ? p2.score : null) } : null
          })
          .filter((c) => c !== null)
          .at(-1)
      : undefined
    const pick = latest ?? predicted
    const base = { where, path: p, sha256: null, file: null }
    if (!pick || pick.choices.length === 0) yield { ...base, class: '', confidence: null, skip: 'no choice' }
    else if (pick.choices.length > 1) yield { ...base, class: '', confidence: null, skip: `several choices (${pick.choices.join(', ')})` }
    else yield { ...base, class: pick.choices[0]!, confidence: latest || pick.score === null || pick.score < 0 || pick.score > 1 ? null : pick.score, skip: null }
  }
}

/** A URL part decoded; as it is when it does not decode (a stray % is part of the name). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

/** The image path a Label Studio data URL stands for. */
export function labelStudioPath(url: string): string {
  const local = /[?&]d=([^&]+)/.exec(url)
  if (local) return decoded(local[1]!.replace(/\+/g, ' '))
  let p = url
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(url)
  if (scheme) p = url.slice(scheme[0].length)
  p = decoded(p.split(/[?#]/)[0]!)
  const upload = /^\/?data\/upload\/\d+\/(?:[0-9a-f]{8}-)?(.+)$/.exec(p)
  if (upload) return upload[1]!
  return p.replace(/^\/+/, '')
}

// ---------------------------------------------------------------- class folders and YOLO

/** Whether `p` is `root` or below it (a folder named "..x" inside is inside). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p))
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

/**
 * `<class>/<file>` below the folder, also under split folders (train/ val/ test/): a file's class is
 * the folder that holds it. The YOLO classification layout is the same below train/ and val/; it
 * must have train/. Hidden folders (a project's .pseudolabel) are not read.
 */
async function* readFolders(format: 'yolo' | 'folders', source: string, projectFolder: string, signal?: AbortSignal): AsyncGenerator<SourceRow[]> {
  let entries
  try {
    entries = await readdir(source, { recursive: true, withFileTypes: true })
  } catch (err) {
    throw readFailure(err, source)
  }
  const top = new Set(entries.filter((e) => e.isDirectory() && path.resolve(e.parentPath) === path.resolve(source)).map((e) => e.name))
  if (format === 'yolo' && !top.has('train')) {
    throw new LabelImportError(`${source} is not the YOLO classification layout: it has no train/ folder (expected train/<class>/<file>, val/<class>/<file>, names.txt). For a folder of <class>/<file>, use class folders.`)
  }
  const inProject = isInside(projectFolder, source)
  const files = entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((abs) => !path.relative(source, abs).split(path.sep).some((part) => part.startsWith('.')))
    .sort()
  let classified = 0
  for (const abs of files) {
    signal?.throwIfAborted()
    const rel = path.relative(source, abs).split(path.sep)
    const folder = rel.length >= 2 ? rel[rel.length - 2]! : null
    const where = rel.join('/')
    const st = await stat(abs).catch((err: unknown) => {
      throw readFailure(err, abs)
    })
    const p = inProject ? path.relative(path.resolve(projectFolder), abs).split(path.sep).join('/') : where
    const base = { where, path: p, confidence: null, sha256: null, file: { abs, size: st.size } }
    if (folder === null || (rel.length === 2 && SPLITS.has(folder.toLowerCase()))) yield [{ ...base, class: '', skip: 'not inside a class folder' }]
    else {
      classified++
      yield [{ ...base, class: folder, skip: null }]
    }
  }
  if (classified === 0) throw new LabelImportError(`${source} holds no images in class folders (expected ${format === 'yolo' ? 'train/<class>/<file>' : '<class>/<file>, or train/<class>/<file>'})`)
}
