/**
 * Where a project's data folder is: the one policy the studio (both hosts) and the CLI share, so
 * that they find the same database and the same teacher cache for a folder.
 *
 * - `<folder>/.pseudolabel` when the image folder can be written;
 * - otherwise `<appDataDir>/projects/<hash of the folder's path>`;
 * - STUDIO_DATA_DIR, when set, holds every project's data as `<STUDIO_DATA_DIR>/projects/<hash>`
 *   (tests use it to leave shared datasets untouched);
 * - the demo always keeps its data in the app's data folder.
 */
import { createHash, randomUUID } from 'node:crypto'
import { accessSync, constants, existsSync, mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { APP_ROOT } from '../paths'
import { StoreError } from '../store/db'
import { ProjectPaths, STUDIO_DIR } from './paths'

/** 300 Fashion-MNIST images, 30 per class, in one flat folder (see demo/README.md). */
export const DEMO_FOLDER = path.join(APP_ROOT, 'demo', 'fashion-mnist')

export interface LocationOptions {
  /**
   * Keep the project's data here, whatever the image folder allows. The hosts set it from
   * STUDIO_DATA_DIR, which tests use so that shared, read-only datasets are never written to.
   */
  dataDir?: string
  /** Where to keep the project's data when the image folder is read-only (the app's data folder). */
  appDataDir?: string
}

export interface StoreLocation {
  /** Folder holding project.db, the lock and the caches (see paths.ts). */
  dataDir: string
  /** True when the data does not live in the image folder (read-only folder, STUDIO_DATA_DIR, the demo). */
  fallback: boolean
}

/** Where a host without its own (the web host, the CLI) keeps app data, by the platform's convention. */
export function defaultAppDataDir(): string {
  if (process.env.STUDIO_DATA_DIR) return process.env.STUDIO_DATA_DIR
  const home = os.homedir()
  const base =
    process.platform === 'win32'
      ? (process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? path.join(home, 'Library', 'Application Support')
        : (process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'))
  return path.join(base, 'pseudolabel-studio')
}

/**
 * The data folder of the project at `folder` under a data root (an app data folder, STUDIO_DATA_DIR):
 * `<root>/projects/<hash of its real path>`. The real path, because a folder reached through a
 * symbolic link is the same project: the web host opens folders by their real path (confine.ts),
 * the CLI and the desktop app by the path given.
 */
export function projectDataDir(root: string, folder: string): string {
  const abs = path.resolve(folder)
  let real = abs
  try {
    real = realpathSync(abs)
  } catch {
    // not there (yet): the path as given is all there is
  }
  return path.join(root, 'projects', createHash('sha256').update(real).digest('hex').slice(0, 16))
}

/**
 * The options a host opens the project at `folder` with, for the studio and the CLI alike: the app's
 * data folder as the fallback, STUDIO_DATA_DIR when set, and the demo's data (it ships inside the
 * app, which may be read-only and must stay clean) always in the app's data folder.
 */
export function projectOpenOptions(folder: string, appDataDir: string): LocationOptions {
  const abs = path.resolve(folder)
  const override = process.env.STUDIO_DATA_DIR
  if (abs === DEMO_FOLDER) return { appDataDir, dataDir: projectDataDir(override ?? appDataDir, abs) }
  return { appDataDir, ...(override ? { dataDir: projectDataDir(override, abs) } : {}) }
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
    // access() says yes for root on a read-only mount; a real write settles it.
    // A name no other process uses, on any machine: shards on several machines probe one shared
    // folder at once, and pids repeat across machines (every container's first process is 1).
    const probe = path.join(dir, `.probe-${randomUUID()}`)
    writeFileSync(probe, '')
    renameSync(probe, path.join(dir, '.probe'))
    return true
  } catch {
    return false
  }
}

/** Where the project at `folder` keeps its data, given how it is opened. Throws StoreError when nowhere can be written. */
export function locateDataDir(folder: string, opts: LocationOptions = {}): StoreLocation {
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true })
    return { dataDir: opts.dataDir, fallback: true }
  }
  const inFolder = path.join(folder, STUDIO_DIR)
  const fallbackDir = opts.appDataDir ? projectDataDir(opts.appDataDir, folder) : null
  const hasDatabase = (dir: string) => existsSync(new ProjectPaths(dir).database)
  // An existing database wins wherever it is, even when we cannot write it (better a clear error
  // than silently forking the labels into a second database): first in the folder, then in the
  // app data folder (a folder that was read-only once and is writable now keeps its labels there).
  if (hasDatabase(inFolder)) return { dataDir: inFolder, fallback: false }
  if (fallbackDir && hasDatabase(fallbackDir)) return { dataDir: fallbackDir, fallback: true }
  if (writable(inFolder)) return { dataDir: inFolder, fallback: false }
  if (fallbackDir && writable(fallbackDir)) return { dataDir: fallbackDir, fallback: true }
  throw new StoreError('no_writable_location', `Cannot write the studio's data in ${inFolder}${opts.appDataDir ? ` nor in ${opts.appDataDir}` : ''}.`)
}

/**
 * The data folder the studio uses for `folder`, found as a host without its own app data folder
 * (the web host, the CLI) finds it. What the CLI works in when it does not open the project.
 */
export function studioPathsFor(folder: string, appDataDir = defaultAppDataDir()): ProjectPaths {
  const abs = path.resolve(folder)
  return new ProjectPaths(locateDataDir(abs, projectOpenOptions(abs, appDataDir)).dataDir)
}
