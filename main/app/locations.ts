/**
 * The data-folder policy: where a project keeps its database and caches, and where a host keeps app
 * data. The studio and the CLI both open projects through it, so they always find the same data.
 */
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import type { OpenOptions } from '../engine/library/project'
import { DEMO_FOLDER } from './recent-projects'

/**
 * Where the project at `folder` (absolute) keeps its data, for the studio and the CLI alike.
 * STUDIO_DATA_DIR, when set, holds every project's data (tests use it to leave shared datasets
 * untouched). The demo ships inside the app, which may be read-only and must stay clean: its data
 * always goes to the app's data folder.
 */
export function projectOpenOptions(folder: string, appDataDir: string): OpenOptions {
  const override = process.env.STUDIO_DATA_DIR
  if (folder === DEMO_FOLDER) return { appDataDir, dataDir: projectDataDir(override ?? appDataDir, folder) }
  return { appDataDir, ...(override ? { dataDir: projectDataDir(override, folder) } : {}) }
}

/** Where a project's data lives under STUDIO_DATA_DIR `root` (benches prepare a project there before serving it). */
export function projectDataDir(root: string, folder: string): string {
  return path.join(root, 'projects', createHash('sha256').update(folder).digest('hex').slice(0, 16))
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
