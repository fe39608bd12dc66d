/**
 * Writing exports safely. Every export is built under a hidden temporary name beside its
 * destination and renamed into place only once it is whole: a full disk, a vanished source file or
 * a cancel never leaves something that looks like a finished export. Nothing outside the new
 * export is ever written: files are created exclusively (COPYFILE_EXCL, link, 'wx'), so an
 * existing file is an error, not an overwrite.
 */
import { constants, createWriteStream } from 'node:fs'
import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import path from 'node:path'
import { exists } from '../files'

/** An export that could not be written, with a message that names the path and what to do. */
export class ExportError extends Error {
  override name = 'ExportError'
  constructor(
    message: string,
    /** The OS error code behind it (ENOSPC, EACCES, ...), when there is one. */
    readonly code?: string,
  ) {
    super(message)
  }
}

/** Turns an fs error into an ExportError a person can act on; `dest` is the export being written. */
export function writeError(err: unknown, dest: string): Error {
  if (err instanceof ExportError) return err
  const e = err as NodeJS.ErrnoException
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ExportError(
        `the disk is full: could not write the export ${dest}. Nothing was left half-written; free some space on that disk (or choose a folder on another disk, or export with links instead of copies) and export again.`,
        e.code,
      )
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ExportError(`no permission to write the export ${dest} (${e.code}); choose a folder you can write to.`, e.code)
    case 'ENOENT':
      return new ExportError(`could not export: ${e.path ?? 'a file'} does not exist (was it moved or deleted while the studio was open?). Nothing was written to ${dest}; export again once the folder is re-indexed.`, e.code)
    default:
      return e instanceof Error ? e : new Error(String(err))
  }
}


/** A free name in `dir` for `base` + `ext`: base.ext, base-2.ext, ... (never an existing one). */
export async function freeName(dir: string, base: string, ext = ''): Promise<string> {
  for (let i = 1; ; i++) {
    const p = path.join(dir, `${base}${i === 1 ? '' : `-${i}`}${ext}`)
    if (!(await exists(p))) return p
  }
}

function partialName(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.partial-${process.pid}-${Date.now().toString(36)}`)
}

/**
 * Builds the folder `dest` through `fill(tmp)`; `dest` must not exist yet. On any failure the
 * temporary folder is removed and the error says what happened.
 */
export async function atomicFolder<T>(dest: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  if (await exists(dest)) throw new ExportError(`${dest} already exists; choose another destination (the studio never overwrites it)`, 'EEXIST')
  const tmp = partialName(dest)
  try {
    await mkdir(path.dirname(dest), { recursive: true })
    await mkdir(tmp)
    const result = await fill(tmp)
    await rename(tmp, dest)
    return result
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw writeError(err, dest)
  }
}

/**
 * Streams `chunks` into the file `dest` (which must not exist), honouring backpressure, so large
 * exports are never held whole in memory.
 */
export async function atomicFile(dest: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  if (await exists(dest)) throw new ExportError(`${dest} already exists; choose another destination (the studio never overwrites it)`, 'EEXIST')
  const tmp = partialName(dest)
  try {
    await mkdir(path.dirname(dest), { recursive: true })
    const out = createWriteStream(tmp, { flags: 'wx' })
    const failed = once(out, 'error').then(([e]) => Promise.reject(e as Error))
    failed.catch(() => undefined)
    for (const chunk of chunks) if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed])
    out.end()
    await Promise.race([once(out, 'finish'), failed])
    await rename(tmp, dest)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw writeError(err, dest)
  }
}

export type PlaceMode = 'copy' | 'link'

export interface PlaceOptions {
  /** 'link' makes hard links where the filesystem allows (same disk, no extra space), else copies. */
  mode: PlaceMode
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

/** Link errors after which a copy is the right answer: another disk, or a filesystem without hard links. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS'])

/**
 * Copies (or links) each `from` to `root/to`, creating folders as needed. Copies go through
 * copyFile (the kernel copies; nothing is buffered here). Returns how many were linked and copied.
 */
export async function placeFiles(plan: readonly { from: string; to: string }[], root: string, opts: PlaceOptions): Promise<{ linked: number; copied: number }> {
  const made = new Set<string>()
  let linked = 0
  let copied = 0
  let canLink = opts.mode === 'link'
  for (let i = 0; i < plan.length; i++) {
    opts.signal?.throwIfAborted()
    const { from, to } = plan[i]!
    const dst = path.join(root, to)
    const dir = path.dirname(dst)
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true })
      made.add(dir)
    }
    if (canLink) {
      try {
        await link(from, dst)
        linked++
      } catch (err) {
        if (!NO_LINK.has((err as NodeJS.ErrnoException).code ?? '')) throw err
        // This filesystem (or this pair of disks) cannot hard-link: copy the rest.
        canLink = false
      }
    }
    if (!canLink) {
      await copyFile(from, dst, constants.COPYFILE_EXCL)
      copied++
    }
    opts.onProgress?.(i + 1, plan.length)
  }
  return { linked, copied }
}
