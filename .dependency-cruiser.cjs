/**
 * Import boundaries between the layers (issue 10). Run by `npm run check:boundaries`, which is part
 * of `npm test`; test/boundaries.test.ts runs this same file on fixture trees to prove every rule fires.
 *
 *   main/engine/  the core: plain Node, no Electron, no host (app, electron, server, cli), no UI;
 *                 from preload/ it may only use the shared words in preload/vocabulary.ts
 *   renderer/     the UI: talks through preload/contract.ts and preload/vocabulary.ts only;
 *                 no main/, no Node builtins, no Electron
 *   preload/      only index.ts (the contextBridge transport) imports Electron
 *   everywhere    no import cycles, type-only imports included
 *
 * Paths are relative to the folder the cruise runs from (the repository root).
 * CommonJS (.cjs) because package.json says "type": "module".
 */

/** An import of the electron package, whether it resolves (node_modules/electron) or not. */
const ELECTRON = '^electron$|(^|/)node_modules/electron/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-not-electron',
      comment: 'The engine runs in plain Node (CLI, web host, worker threads): it never imports electron.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: ELECTRON },
    },
    {
      name: 'engine-not-renderer',
      comment: 'The engine never imports UI code.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: '^renderer/' },
    },
    {
      name: 'engine-not-host',
      comment:
        'The engine depends on nothing in main/ outside itself: not main/app, main/electron, main/server, main/cli*, ' +
        'nor any other main/ file. The hosts import the engine, never the other way round.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: '^main/', pathNot: '^main/engine/' },
    },
    {
      name: 'engine-preload-vocabulary-only',
      comment:
        'From preload/ the engine uses only the shared words (preload/vocabulary.ts): never the transport ' +
        '(preload/index.ts), nor the contract or its zod schemas.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: '^preload/', pathNot: '^preload/vocabulary\\.ts$' },
    },
    {
      name: 'app-not-host',
      comment:
        'main/app implements the contract once for every host: it never imports electron or a host ' +
        '(main/electron, main/server, main/cli*); the hosts import it.',
      severity: 'error',
      from: { path: '^main/app/' },
      to: { path: [ELECTRON, '^main/(electron|server)/', '^main/cli(\\.ts$|/)'] },
    },
    {
      name: 'renderer-not-main',
      comment: 'The renderer reaches main only through the contract (renderer/transport), never by import.',
      severity: 'error',
      from: { path: '^renderer/', pathNot: '^renderer/vite\\.config\\.ts$' },
      to: { path: '^main/' },
    },
    {
      name: 'renderer-not-node',
      comment: 'The renderer runs in a browser page: no Node builtins (node:fs, path, ...).',
      severity: 'error',
      from: { path: '^renderer/', pathNot: '^renderer/vite\\.config\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-not-electron',
      comment: 'The renderer runs in a browser page too (the web host): no electron.',
      severity: 'error',
      from: { path: '^renderer/', pathNot: '^renderer/vite\\.config\\.ts$' },
      to: { path: ELECTRON },
    },
    {
      name: 'renderer-preload-contract-only',
      comment: 'From preload/ the renderer uses only the contract and the vocabulary, never the transport (index.ts) or the schemas.',
      severity: 'error',
      from: { path: '^renderer/', pathNot: '^renderer/vite\\.config\\.ts$' },
      to: { path: '^preload/', pathNot: '^preload/(contract|vocabulary)\\.ts$' },
    },
    {
      name: 'preload-electron-only-in-index',
      comment: 'preload/index.ts (the contextBridge transport) is the only preload file that imports electron.',
      severity: 'error',
      from: { path: '^preload/', pathNot: '^preload/index\\.ts$' },
      to: { path: ELECTRON },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles in main/, preload/ or renderer/, type-only imports included.',
      severity: 'error',
      from: { path: '^(main|preload|renderer)/' },
      to: { circular: true },
    },
  ],
  options: {
    // Type-only imports count too: a cycle through `import type` is still a cycle in the design.
    tsPreCompilationDeps: true,
    // Packages are leaves: an import of one is checked, the package's own imports are not cruised.
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
}
