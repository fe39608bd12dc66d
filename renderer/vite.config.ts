/**
 * The renderer's one build config: used by `npm run serve` and the e2e tests on its own, and by
 * electron.vite.config.ts as its renderer section, so both hosts run the same bundle.
 */
import { defineConfig, type UserConfig } from 'vite'
import react from '@vitejs/plugin-react'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))

export const rendererConfig: UserConfig = {
  root: here,
  // Relative asset URLs work from file:// inside Electron and from / on the web host.
  base: './',
  plugins: [react()],
  build: {
    outDir: path.resolve(here, '../out/renderer'),
    emptyOutDir: true,
    rollupOptions: { input: path.resolve(here, 'index.html') },
  },
}

export default defineConfig(rendererConfig)
