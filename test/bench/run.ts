/**
 * `npm run bench -- <name> [args]` runs test/bench/<name>.ts, which exports `run(args)`.
 * Benchmarks measure speed as ratios against a reference measured side by side in the same run,
 * and write their figures to test/bench/results/<name>.json.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))

const [name, ...args] = process.argv.slice(2)
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args]`)
  process.exit(2)
}
const mod = (await import(path.join(here, `${name}.ts`))) as { run: (args: string[]) => Promise<void> }
await mod.run(args)
