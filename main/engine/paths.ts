import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The app's root folder (the one with package.json, models/ and out/). Found by walking up from
 * this module, because the module sits at a different depth when run from source (tsx, vitest)
 * and when bundled into out/main by electron-vite.
 */
export const APP_ROOT: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'models'))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`cannot find the app's root folder (package.json and models/) above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
  return dir
})()
