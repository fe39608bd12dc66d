/**
 * The app's settings, one JSON file in the app's data folder. A missing file gives the defaults; an
 * unreadable or invalid one is kept aside (never deleted) and the defaults are used, with a warning.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Settings } from '../../preload/contract'
import { settingsSchema } from '../../preload/schemas'
import { DEFAULT_STRATEGY, DEFAULT_TEACHER, DEFAULT_VIEWS } from '../../preload/vocabulary'
import { DEFAULT_ROUND_SETTINGS } from '../engine/selftrain/round'

/** Fields added later are filled from here when an older settings.json lacks them. */
export const DEFAULT_APP_SETTINGS: Settings = {
  teacher: DEFAULT_TEACHER,
  provider: 'auto',
  deviceId: 0,
  threads: 0,
  strategy: DEFAULT_STRATEGY,
  strategyParam: null,
  head: DEFAULT_ROUND_SETTINGS.head,
  prompts: null,
  textPrior: true,
  modelMirror: null,
  views: DEFAULT_VIEWS,
  testTimeViews: DEFAULT_ROUND_SETTINGS.testTimeViews,
  noisyStudent: DEFAULT_ROUND_SETTINGS.studentViews,
}

export async function loadSettings(appDataDir: string): Promise<Settings> {
  const file = path.join(appDataDir, 'settings.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return { ...DEFAULT_APP_SETTINGS }
  }
  try {
    return settingsSchema.parse({ ...DEFAULT_APP_SETTINGS, ...(JSON.parse(text) as object) })
  } catch (err) {
    const aside = `${file}.invalid-${Date.now()}`
    await rename(file, aside).catch(() => undefined)
    console.warn(`settings: ${file} is not valid (${(err as Error).message.split('\n')[0]}); kept it as ${aside} and started from the defaults`)
    return { ...DEFAULT_APP_SETTINGS }
  }
}

export async function saveSettings(appDataDir: string, settings: Settings): Promise<void> {
  await mkdir(appDataDir, { recursive: true })
  const file = path.join(appDataDir, 'settings.json')
  // Write then rename: a crash mid-write never leaves a torn settings file.
  await writeFile(`${file}.tmp`, JSON.stringify(settings, null, 2) + '\n')
  await rename(`${file}.tmp`, file)
}
