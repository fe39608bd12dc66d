/**
 * Recently opened project folders, newest first, in `<appDataDir>/recent-projects.json`; the demo
 * project shipped in the repository (DEMO_FOLDER) is listed under its own name. The list is the user's, not the projects': it survives a
 * project's data folder being removed, and a folder that is gone stays listed (marked missing)
 * until the user removes it, because an unplugged disk comes back.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { RecentProject } from '../../preload/contract'
import { DEMO_FOLDER } from '../engine/project/locations'

const FILE = 'recent-projects.json'
const KEEP = 12

interface Entry {
  folder: string
  openedAt: number
}

async function load(appDataDir: string): Promise<Entry[]> {
  try {
    const parsed = JSON.parse(await readFile(path.join(appDataDir, FILE), 'utf8')) as { projects?: unknown }
    if (!Array.isArray(parsed.projects)) return []
    return parsed.projects.filter((e): e is Entry => typeof (e as Entry)?.folder === 'string' && typeof (e as Entry)?.openedAt === 'number')
  } catch {
    // No list yet, or an unreadable one: start a new list rather than refuse to open projects.
    return []
  }
}

async function save(appDataDir: string, entries: Entry[]): Promise<void> {
  await mkdir(appDataDir, { recursive: true })
  const file = path.join(appDataDir, FILE)
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ projects: entries }, null, 1) + '\n')
  await rename(tmp, file)
}

async function describe(entries: Entry[]): Promise<RecentProject[]> {
  return Promise.all(
    entries.map(async (e) => ({
      folder: e.folder,
      name: e.folder === DEMO_FOLDER ? 'Demo: Fashion-MNIST' : path.basename(e.folder) || e.folder,
      openedAt: e.openedAt,
      exists: await stat(e.folder).then(
        (s) => s.isDirectory(),
        () => false,
      ),
      demo: e.folder === DEMO_FOLDER,
    })),
  )
}

// One write at a time: two quick opens must not interleave read-modify-write.
let queue: Promise<unknown> = Promise.resolve()
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn)
  queue = next.catch(() => undefined)
  return next
}

export function rememberProject(appDataDir: string, folder: string, now = Date.now()): Promise<void> {
  return serial(async () => {
    const entries = (await load(appDataDir)).filter((e) => e.folder !== folder)
    await save(appDataDir, [{ folder, openedAt: now }, ...entries].slice(0, KEEP))
  })
}

export function forgetProject(appDataDir: string, folder: string): Promise<RecentProject[]> {
  return serial(async () => {
    const entries = (await load(appDataDir)).filter((e) => e.folder !== folder)
    await save(appDataDir, entries)
    return describe(entries)
  })
}

export function recentProjects(appDataDir: string): Promise<RecentProject[]> {
  return serial(async () => describe(await load(appDataDir)))
}
