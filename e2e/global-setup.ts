/** Starts the web host (no folder open) for the `web` project and tells the specs its URL. */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startStudioServer } from './host'

export default async function globalSetup(): Promise<() => Promise<void>> {
  // Project data (database, thumbnails) goes to a temporary folder, never into the shared datasets.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studio-e2e-'))
  const server = await startStudioServer({ dataDir })
  process.env.STUDIO_URL = server.url
  process.env.STUDIO_E2E_DATA_DIR = dataDir
  return async () => {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}
