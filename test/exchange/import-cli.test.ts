/**
 * `npm run cli -- import` as a user runs it: a CSV of path,class rows into a folder of real photos,
 * then `export --format csv` gives the same classes. A dry run writes nothing; bad usage and bad
 * input exit with 2 and say why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { USER } from '../../main/app/context'
import { projectDataDir } from '../../main/engine/project/locations'
import { Project } from '../../main/engine/project/project'
import { hymenopteraSubset } from '../shared'
import { runCli } from '../cli/run-cli'

let dir: string
let folder: string
let env: NodeJS.ProcessEnv

/** The CLI as a user runs it: exit code and everything it printed. */
async function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  const r = await runCli(args, env)
  return { code: r.code, output: r.stdout + r.stderr }
}

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-import-cli-', 5)
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-import-cli-work-'))
  env = { ...process.env, STUDIO_DATA_DIR: path.join(dir, 'data') }
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await rm(folder, { recursive: true, force: true })
})

describe('npm run cli -- import', () => {
  it('imports a CSV of path,class rows, and export --format csv gives the same classes', async () => {
    const rows: string[] = []
    for (const cls of ['ants', 'bees']) for (const f of (await readdir(path.join(folder, cls))).sort()) rows.push(`${cls}/${f},${cls === 'ants' ? 'formica' : 'apis'}`)
    const csv = path.join(dir, 'labels.csv')
    await writeFile(csv, ['path,class', ...rows].join('\n') + '\n')

    const dry = await cli(['import', folder, '--format', 'csv', '--in', csv, '--dry-run'])
    expect(dry.output).toContain('matched: 10 (10 by path')
    expect(dry.output).toContain('new classes: apis, formica')
    expect(dry.output).toContain('would write 10 labels')
    expect(dry.code).toBe(0)

    const done = await cli(['import', folder, '--format', 'csv', '--in', csv])
    expect(done.output).toContain('wrote 10 labels')
    expect(done.code).toBe(0)

    const out = path.join(dir, 'out.csv')
    const exported = await cli(['export', folder, '--format', 'csv', '--out', out])
    expect(exported.code).toBe(0)
    const lines = (await readFile(out, 'utf8')).trim().split('\r\n')
    expect(lines[0]).toBe('path,class,status,confidence,round,sha256,decided_by')
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(',')).sort()).toEqual(rows.sort())

    // The same file again: every image already has its class.
    const again = await cli(['import', folder, '--format', 'csv', '--in', csv])
    expect(again.output).toContain('already so: 10')

    // The studio's Ctrl+Z (its user's undo: undo is per actor) takes the CLI's import back.
    const project = await Project.open(folder, { dataDir: projectDataDir(env.STUDIO_DATA_DIR!, folder) }) // where the CLI kept it
    try {
      expect(project.store.labels.undo(USER.actor)?.imageIds).toHaveLength(10)
      expect(project.store.classes.list()).toEqual([])
    } finally {
      await project.close()
    }
  }, 180_000)

  it('exits with 75 while the project is open elsewhere, as the other verbs do', async () => {
    const held = await Project.open(folder, { dataDir: projectDataDir(env.STUDIO_DATA_DIR!, folder) })
    try {
      const csv = path.join(dir, 'held.csv')
      await writeFile(csv, 'path,class\nants/x.jpg,ants\n')
      const busy = await cli(['import', folder, '--format', 'csv', '--in', csv])
      expect(busy.code).toBe(75)
      expect(busy.output).toMatch(/open in another studio window or process[\s\S]*--wait SECONDS/)
    } finally {
      await held.close()
    }
  }, 120_000)

  it('exits with 2 for bad usage and bad input, writing nothing', async () => {
    const usage = await cli(['import', folder, '--format', 'xml', '--in', 'x'])
    expect(usage.code).toBe(2)
    expect(usage.output).toContain('--format must be one of csv, json, coco, yolo, folders, labelstudio')
    const bad = path.join(dir, 'bad.csv')
    await writeFile(bad, 'path,class\nants/a.jpg,"open\n')
    const input = await cli(['import', folder, '--format', 'csv', '--in', bad])
    expect(input.code).toBe(2)
    expect(input.output).toMatch(/bad\.csv line 2: a quoted field is never closed.*\nNothing was written\./)
  }, 120_000)
})
