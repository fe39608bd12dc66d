/**
 * The import-boundary check (`npm run check:boundaries`) can fail: its own config file
 * (.dependency-cruiser.cjs) runs on small fixture trees, one that breaks every rule and one that
 * does only what the layers may do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config'
import { ROOT } from './shared'

const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs')

/** Writes files (path relative to the tree => source) under a new temp folder that sees the repository's node_modules. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pls-boundaries-'))
  // So that 'electron' resolves to node_modules/electron as it does in the repository.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), text)
  }
  return dir
}

/**
 * Runs the repository's config on a tree, as the npm script does on the repository. Returns
 * "rule: from -> to" per violation, and for a cycle (reported once, from its first file) the whole loop.
 * A package shows as node_modules/..., wherever the symlinked node_modules really lies.
 */
async function violations(dir: string): Promise<string[]> {
  const { options, ...ruleSet } = await extractDepcruiseConfig(CONFIG)
  const { output } = await cruise(['main', 'preload', 'renderer'], { ...options, baseDir: dir, validate: true, ruleSet })
  const result = output as ICruiseResult
  return result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} -> ${v.cycle ? v.cycle.map((c) => c.name).join(' -> ') : v.to.replace(/^.*\/node_modules\//, 'node_modules/')}`)
    .sort()
}

// The shape every fixture shares: what each layer may import.
const allowed: Record<string, string> = {
  'preload/vocabulary.ts': `export const STATUSES = ['unlabelled', 'labelled'] as const\n`,
  'preload/schemas.ts': `import { STATUSES } from './vocabulary'\nexport const requestSchemas = { statuses: STATUSES }\n`,
  'preload/contract.ts': `import type { requestSchemas } from './schemas'\nexport type Requests = typeof requestSchemas\nexport const IPC_REQUEST = 'studio:request'\n`,
  'preload/index.ts': `import { contextBridge } from 'electron'\nimport { IPC_REQUEST } from './contract'\ncontextBridge.exposeInMainWorld('studioBridge', { IPC_REQUEST })\n`,
  'main/engine/store.ts': `import { readFileSync } from 'node:fs'\nimport { STATUSES } from '../../preload/vocabulary'\nexport const read = () => [readFileSync, STATUSES]\n`,
  'main/engine/worker.ts': `import { read } from './store'\nexport const work = () => read()\n`,
  'main/app/api.ts': `import { work } from '../engine/worker'\nimport type { Requests } from '../../preload/contract'\nexport const api = (r: Requests) => [r, work()]\n`,
  'main/electron/index.ts': `import { app } from 'electron'\nimport { api } from '../app/api'\nexport const start = () => [app, api]\n`,
  'main/server/host.ts': `import http from 'node:http'\nimport { api } from '../app/api'\nexport const host = () => [http, api]\n`,
  'main/cli.ts': `import { work } from './engine/worker'\nwork()\n`,
  'renderer/transport/index.ts': `import { IPC_REQUEST, type Requests } from '../../preload/contract'\nexport const transport = (r?: Requests) => [IPC_REQUEST, r]\n`,
  'renderer/stores/grid.ts': `import { STATUSES } from '../../preload/vocabulary'\nimport { transport } from '../transport'\nexport const grid = () => [STATUSES, transport()]\n`,
  'renderer/stores/labels.ts': `import { grid } from './grid'\nexport const labels = () => grid()\n`,
  'renderer/App.tsx': `import { labels } from './stores/labels'\nimport './styles.css'\nexport const App = () => <div>{String(labels())}</div>\n`,
  'renderer/styles.css': `body { margin: 0 }\n`,
  // The renderer's build config is Node code that lives in renderer/: exempt from the renderer's rules.
  'renderer/vite.config.ts': `import path from 'node:path'\nexport default { root: path.resolve('.') }\n`,
}

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('.dependency-cruiser.cjs', () => {
  let clean: string
  let broken: string
  beforeAll(() => {
    clean = tree(allowed)
    broken = tree({
      ...allowed,
      // engine-not-electron
      'main/engine/ui.ts': `import { dialog } from 'electron'\nexport const ask = () => dialog\n`,
      // engine-not-renderer
      'main/engine/colours.ts': `import { grid } from '../../renderer/stores/grid'\nexport const c = () => grid\n`,
      // engine-not-host: main/app, main/electron, main/server, main/cli.ts, main/cli/
      'main/engine/host.ts': [
        `import { api } from '../app/api'`,
        `import { start } from '../electron/index'`,
        `import { host } from '../server/host'`,
        `import '../cli'`,
        `import { parse } from '../cli/args'`,
        `export const h = () => [api, start, host, parse]`,
      ].join('\n'),
      'main/cli/args.ts': `export const parse = (a: string[]) => a\n`,
      // engine-preload-vocabulary-only: the transport, and the contract even type-only
      'main/engine/bridge.ts': `import '../../preload/index'\nimport type { Requests } from '../../preload/contract'\nexport type R = Requests\n`,
      // app-not-host: electron and every host
      'main/app/window.ts': [`import { BrowserWindow } from 'electron'`, `import { start } from '../electron/index'`, `import { host } from '../server/host'`, `import { parse } from '../cli/args'`, `export const w = () => [BrowserWindow, start, host, parse]`].join('\n'),
      // renderer-not-main
      'renderer/views/Store.tsx': `import { read } from '../../main/engine/store'\nexport const S = () => <i>{String(read())}</i>\n`,
      // renderer-not-node, both spellings
      'renderer/views/Files.tsx': `import { readFileSync } from 'node:fs'\nimport path from 'path'\nexport const F = () => [readFileSync, path]\n`,
      // renderer-not-electron, renderer-preload-contract-only
      'renderer/views/Ipc.tsx': `import { ipcRenderer } from 'electron'\nimport '../../preload/index'\nimport type { requestSchemas } from '../../preload/schemas'\nexport const I = (s?: typeof requestSchemas) => [ipcRenderer, s]\n`,
      // preload-electron-only-in-index
      'preload/vocabulary.ts': `import { app } from 'electron'\nexport const STATUSES = ['unlabelled', 'labelled'] as const\nexport const name = () => app\n`,
      // no-circular, the renderer pair through type-only imports, and a three-file cycle in main/
      'renderer/stores/labels.ts': `import { grid } from './grid'\nexport const labels = () => grid()\nexport type Label = string\n`,
      'renderer/stores/grid.ts': `import { STATUSES } from '../../preload/vocabulary'\nimport { transport } from '../transport'\nimport type { Label } from './labels'\nexport const grid = (l?: Label) => [STATUSES, transport(), l]\n`,
      'main/app/a.ts': `import { b } from './b'\nexport const a = () => b\n`,
      'main/app/b.ts': `import { c } from './c'\nexport const b = () => c\n`,
      'main/app/c.ts': `import type { a } from './a'\nexport const c = (x?: typeof a) => x\n`,
    })
    dirs.push(clean, broken)
  })

  it('passes a tree that keeps every boundary', async () => {
    expect(await violations(clean)).toEqual([])
  })

  it('reports every import across a boundary and every cycle', async () => {
    expect(await violations(broken)).toEqual(
      [
        'engine-not-electron: main/engine/ui.ts -> node_modules/electron/index.js',
        'engine-not-renderer: main/engine/colours.ts -> renderer/stores/grid.ts',
        'engine-not-host: main/engine/host.ts -> main/app/api.ts',
        'engine-not-host: main/engine/host.ts -> main/electron/index.ts',
        'engine-not-host: main/engine/host.ts -> main/server/host.ts',
        'engine-not-host: main/engine/host.ts -> main/cli.ts',
        'engine-not-host: main/engine/host.ts -> main/cli/args.ts',
        'engine-preload-vocabulary-only: main/engine/bridge.ts -> preload/index.ts',
        'engine-preload-vocabulary-only: main/engine/bridge.ts -> preload/contract.ts',
        'app-not-host: main/app/window.ts -> node_modules/electron/index.js',
        'app-not-host: main/app/window.ts -> main/electron/index.ts',
        'app-not-host: main/app/window.ts -> main/server/host.ts',
        'app-not-host: main/app/window.ts -> main/cli/args.ts',
        'renderer-not-main: renderer/views/Store.tsx -> main/engine/store.ts',
        'renderer-not-node: renderer/views/Files.tsx -> fs',
        'renderer-not-node: renderer/views/Files.tsx -> path',
        'renderer-not-electron: renderer/views/Ipc.tsx -> node_modules/electron/index.js',
        'renderer-preload-contract-only: renderer/views/Ipc.tsx -> preload/index.ts',
        'renderer-preload-contract-only: renderer/views/Ipc.tsx -> preload/schemas.ts',
        'preload-electron-only-in-index: preload/vocabulary.ts -> node_modules/electron/index.js',
        'no-circular: renderer/stores/grid.ts -> renderer/stores/labels.ts -> renderer/stores/grid.ts',
        'no-circular: main/app/a.ts -> main/app/b.ts -> main/app/c.ts -> main/app/a.ts',
      ].sort(),
    )
  })
})
