import { defineConfig } from 'electron-vite'
import path from 'node:path'
import { rendererConfig } from './renderer/vite.config'

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Native addons and their loaders stay in node_modules, loaded at run time.
      externalizeDeps: true,
      // Worker threads are entries of their own; startModuleWorker loads them from beside index.js.
      rollupOptions: {
        input: {
          index: path.resolve('main/electron/index.ts'),
          'ort-worker': path.resolve('main/engine/teacher/ort-worker.ts'),
          worker: path.resolve('main/engine/selftrain/worker.ts'),
          'map-worker': path.resolve('main/engine/map/map-worker.ts'),
          'similar-worker': path.resolve('main/engine/selftrain/similar-worker.ts'),
          'products-worker': path.resolve('main/engine/math/products-worker.ts'),
          'issues-worker': path.resolve('main/engine/selftrain/issues-worker.ts'),
          'text-worker': path.resolve('main/engine/teacher/text-worker.ts'),
          'checkpoint-worker': path.resolve('main/engine/store/checkpoint-worker.ts'),
        },
      },
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
