import { defineConfig } from 'electron-vite'
import path from 'node:path'
import { rendererConfig } from './renderer/vite.config'

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Native addons and their loaders stay in node_modules, loaded at run time.
      externalizeDeps: true,
      rollupOptions: { input: { index: path.resolve('main/electron/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: path.resolve('preload/index.ts') },
        // A sandboxed preload must be CommonJS: it cannot use import statements.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
})
