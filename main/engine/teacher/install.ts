/**
 * The teachers installed on this machine, shared by every project: `<appDataDir>/models/` holds a
 * copy of each installed manifest (`<id>.json`) and its files (`<id>/...`). A catalog manifest names
 * files by URL; pulling one downloads what is not on disk (the model, and a text tower and its
 * tokenizer when it has them), verified, then writes the copy that names the local files, so the
 * model search finds them. "I already have the file" checks a local file the same way and links or
 * copies it into place. The shipped default is never removed.
 */
import { copyFile, link, mkdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DEFAULT_TEACHER, TEACHER_FILE_ROLES, type TeacherFileRole } from '../../../preload/vocabulary'
import { download, DownloadError, diskError, mirrored, type DownloadProgress } from './download'
import { hashFile } from '../library/identify'
import { defaultModelSearchDirs, findManifests, installedModelsDir, listCatalog, loadManifest, resolveManifestFile, type CatalogEntry, type LoadedManifest, type Manifest } from './manifest'


interface FileRef {
  path?: string | undefined
  url?: string | undefined
  sha256?: string | undefined
  bytes?: number | undefined
}

interface NeededFile {
  role: TeacherFileRole
  ref: FileRef
  /** Where it is on disk; undefined when it is not. */
  onDisk: string | undefined
}

/** A teacher as the catalog shows it. */
export interface TeacherListing {
  id: string
  name: string
  description: string
  licence: string | null
  goodAt: string | null
  source: string | null
  /** All its files together, when the manifest gives every size. */
  bytes: number | null
  default: boolean
  suggestedFor: CatalogEntry['suggestedFor']
  why: string | null
  installed: boolean
  /** Every missing file has a URL. */
  downloadable: boolean
  /** Installed in the app's models folder (downloaded or imported), so it can be removed. */
  removable: boolean
  /** It has a text tower (CLIP, SigLIP, MobileCLIP): classes by name, zero-shot rounds, the text prior. */
  textAligned: boolean
  /** Why its manifest cannot be used, when it cannot. */
  error: string | null
}

export class TeacherInstallError extends Error {
  override name = 'TeacherInstallError'
  constructor(
    readonly kind: 'not_found' | 'invalid' | 'refused',
    message: string,
  ) {
    super(message)
  }
}

function refOf(m: Manifest, role: TeacherFileRole): FileRef | undefined {
  return role === 'file' ? m.file : role === 'text' ? m.text?.file : m.text?.tokenizer
}

async function neededFiles(loaded: LoadedManifest, dirs: string[]): Promise<NeededFile[]> {
  const out: NeededFile[] = []
  for (const role of TEACHER_FILE_ROLES) {
    const ref = refOf(loaded.manifest, role)
    if (ref) out.push({ role, ref, onDisk: await resolveManifestFile(loaded, ref, dirs) })
  }
  return out
}

/** The catalog (models/catalog.json) and every other manifest found (imported teachers), each with its state. */
export async function listTeachers(appDataDir: string): Promise<TeacherListing[]> {
  const dirs = defaultModelSearchDirs(appDataDir)
  const found = await findManifests(dirs)
  const catalog = await listCatalog()
  const entries: (CatalogEntry | { id: string; name: string })[] = [...catalog, ...[...found.keys()].filter((id) => !catalog.some((c) => c.id === id)).map((id) => ({ id, name: id }))]
  const installDir = installedModelsDir(appDataDir)
  const out: TeacherListing[] = []
  for (const entry of entries) {
    const c: Partial<CatalogEntry> = entry
    const base = { id: entry.id, default: c.default ?? entry.id === DEFAULT_TEACHER, suggestedFor: c.suggestedFor ?? [], why: c.why ?? null }
    const loaded = found.get(entry.id)
    if (!loaded) {
      // A catalog entry whose manifest is missing or broken: listed, with why.
      const error = await loadManifest(entry.id, dirs).then(() => 'unreadable manifest', (err: unknown) => (err as Error).message)
      out.push({ ...base, name: entry.name, description: '', licence: null, goodAt: null, source: null, bytes: null, installed: false, downloadable: false, removable: false, textAligned: false, error })
      continue
    }
    const m = loaded.manifest
    const files = await neededFiles(loaded, dirs)
    const sizes = files.map((f) => f.ref.bytes)
    out.push({
      ...base,
      name: m.name,
      description: m.description ?? '',
      licence: m.licence ?? null,
      goodAt: m.goodAt ?? null,
      source: m.source ?? null,
      bytes: sizes.every((b) => b !== undefined) ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0) : null,
      installed: files.every((f) => f.onDisk !== undefined),
      downloadable: files.every((f) => f.onDisk !== undefined || f.ref.url !== undefined),
      removable: entry.id !== DEFAULT_TEACHER && loaded.file !== undefined && path.dirname(loaded.file) === installDir,
      textAligned: m.text !== undefined,
      error: null,
    })
  }
  return out
}

export interface PullOptions {
  appDataDir: string
  /** Base URL replacing each file URL's scheme and host (the path is kept). */
  mirror?: string | null
  signal?: AbortSignal
  /** Progress over all the files the pull downloads together. */
  onProgress?: (p: DownloadProgress & { file: string }) => void
  env?: NodeJS.ProcessEnv
  stallMs?: number
}

/** Where a file of a teacher goes in the app's models folder, relative to it. */
function installedName(id: string, role: TeacherFileRole, ref: FileRef, fallback: string): string {
  // The manifest's own file name when it gives one (the catalog's are unique), else the URL's.
  const fromUrl = ref.url ? path.posix.basename(new URL(ref.url).pathname) : ''
  const name = (ref.path ? path.basename(ref.path) : '') || fromUrl || fallback
  // A text tower is often published as model.onnx too: its role keeps it apart from the image tower.
  return path.posix.join(id, role === 'file' ? name : `${role}-${name}`)
}

/** Downloads every file the teacher lacks, verified, and installs its manifest copy. Returns its listing. */
export async function pullTeacher(id: string, opts: PullOptions): Promise<TeacherListing> {
  const dirs = defaultModelSearchDirs(opts.appDataDir)
  const loaded = await loadTeacher(id, dirs)
  const missing = (await neededFiles(loaded, dirs)).filter((f) => f.onDisk === undefined)
  const noUrl = missing.find((f) => !f.ref.url)
  if (noUrl) throw new TeacherInstallError('invalid', `teacher "${id}": its ${noUrl.role} is not on this machine and its manifest gives no url; use "I already have the file"`)
  const total = missing.every((f) => f.ref.bytes !== undefined) ? missing.reduce((a, f) => a + (f.ref.bytes ?? 0), 0) : 0
  const installDir = installedModelsDir(opts.appDataDir)
  const placed: Placed[] = []
  let before = 0
  for (const f of missing) {
    const rel = installedName(id, f.role, f.ref, `${f.role}.onnx`)
    const url = mirrored(f.ref.url as string, opts.mirror)
    const result = await download({
      url,
      dest: path.join(installDir, rel),
      ...(f.ref.sha256 ? { sha256: f.ref.sha256 } : {}),
      ...(f.ref.bytes !== undefined ? { bytes: f.ref.bytes } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.stallMs ? { stallMs: opts.stallMs } : {}),
      onProgress: (p) => {
        const done = before + p.done
        // With a size unknown, the whole is unknown (0), unless this file is the whole download: the
        // current file's size against bytes summed over files would pass 100%.
        const all = total || (missing.length === 1 ? p.total : 0)
        opts.onProgress?.({ file: rel, done, total: all, bytesPerSecond: p.bytesPerSecond, etaSeconds: all > 0 && p.bytesPerSecond > 0 ? (all - done) / p.bytesPerSecond : null })
      },
    })
    before += result.bytes
    placed.push({ role: f.role, rel, sha256: result.sha256 })
  }
  await writeInstalledManifest(loaded, placed, installDir)
  return listingOf(id, opts.appDataDir)
}

/** "I already have the file": checks a local file as a download is checked, then links (or copies) it into place. */
export async function useLocalFile(id: string, source: string, opts: { appDataDir: string; role?: TeacherFileRole }): Promise<TeacherListing> {
  const role = opts.role ?? 'file'
  const dirs = defaultModelSearchDirs(opts.appDataDir)
  const loaded = await loadTeacher(id, dirs)
  const ref = refOf(loaded.manifest, role)
  if (!ref) throw new TeacherInstallError('invalid', `teacher "${id}" has no ${role} file`)
  const abs = path.resolve(source)
  const st = await stat(abs).catch(() => null)
  if (!st?.isFile()) throw new TeacherInstallError('not_found', `${abs} is not a file`)
  if (ref.bytes !== undefined && st.size !== ref.bytes) throw new TeacherInstallError('invalid', `${abs} has ${st.size} bytes where teacher "${id}" needs ${ref.bytes}: a different file`)
  const sha256 = await hashFile(abs)
  if (ref.sha256 !== undefined && sha256 !== ref.sha256) throw new TeacherInstallError('invalid', `${abs}: sha256 mismatch, expected ${ref.sha256}, got ${sha256}: a different or damaged file`)
  const installDir = installedModelsDir(opts.appDataDir)
  const rel = installedName(id, role, ref, path.basename(abs))
  const dest = path.join(installDir, rel)
  const tmp = `${dest}.part`
  try {
    await mkdir(path.dirname(dest), { recursive: true })
    await unlink(tmp).catch(() => undefined)
    // A hard link costs no space; across disks (EXDEV) or where links are refused, a copy.
    await link(abs, tmp).catch(() => copyFile(abs, tmp))
    await rename(tmp, dest)
  } catch (err) {
    throw diskError(err, dest)
  }
  await writeInstalledManifest(loaded, [{ role, rel, sha256 }], installDir)
  return listingOf(id, opts.appDataDir)
}

/** Removes an installed (downloaded or imported) teacher: its manifest copy and its files. Never the shipped default. */
export async function removeTeacher(id: string, appDataDir: string): Promise<void> {
  if (id === DEFAULT_TEACHER) throw new TeacherInstallError('refused', `"${id}" is the default teacher shipped with the studio; it cannot be removed`)
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) throw new TeacherInstallError('invalid', `"${id}" is not a teacher id`)
  const installDir = installedModelsDir(appDataDir)
  const manifest = path.join(installDir, `${id}.json`)
  const folder = path.join(installDir, id)
  const had = (await stat(manifest).catch(() => null)) !== null || (await stat(folder).catch(() => null)) !== null
  if (!had) throw new TeacherInstallError('not_found', `teacher "${id}" is not installed in ${installDir}`)
  await rm(folder, { recursive: true, force: true })
  await rm(manifest, { force: true })
}

async function loadTeacher(id: string, dirs: string[]): Promise<LoadedManifest> {
  try {
    return await loadManifest(id, dirs)
  } catch (err) {
    throw new TeacherInstallError('not_found', (err as Error).message)
  }
}

async function listingOf(id: string, appDataDir: string): Promise<TeacherListing> {
  const listing = (await listTeachers(appDataDir)).find((t) => t.id === id)
  if (!listing) throw new TeacherInstallError('not_found', `teacher "${id}" is not listed after installing it`)
  return listing
}

interface Placed {
  role: TeacherFileRole
  /** Relative to the app's models folder. */
  rel: string
  sha256: string
}

/**
 * Writes `<installDir>/<id>.json`: the manifest with each placed file's path pointing at its local
 * copy and a tokenizer's sha256 pinned at its first download (later downloads must match it).
 */
async function writeInstalledManifest(loaded: LoadedManifest, placed: Placed[], installDir: string): Promise<void> {
  const m = structuredClone(loaded.manifest)
  const fromElsewhere = loaded.file !== undefined && path.dirname(loaded.file) !== installDir
  for (const role of TEACHER_FILE_ROLES) {
    const ref = refOf(m, role)
    const p = placed.find((x) => x.role === role)
    if (!ref) continue
    if (p) {
      ref.path = p.rel
      ref.sha256 ??= p.sha256
    } else if (fromElsewhere && ref.path && !path.isAbsolute(ref.path) && loaded.file) {
      // A file that was on disk beside the original manifest: the copy in another folder must still find it.
      const there = await resolveManifestFile(loaded, ref, [])
      if (there) ref.path = there
    }
  }
  const file = path.join(installDir, `${m.id}.json`)
  try {
    await mkdir(installDir, { recursive: true })
    await writeFile(`${file}.tmp`, JSON.stringify(m, null, 2) + '\n')
    await rename(`${file}.tmp`, file)
  } catch (err) {
    throw diskError(err, file)
  }
}

