/**
 * StudioApi on a real folder and a real database: a corrupt database is reported with the code the
 * UI turns into "start afresh", starting afresh keeps the old file aside, and a second process on
 * the same project is told it is open elsewhere.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { StudioApi } from '../../main/app/studio'
import { Project } from '../../main/engine/project/project'
import { ROOT } from '../shared'
import { callStudio } from '../studio-harness'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function folderWithImages(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'studio-api-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#a33' } }).png().toFile(path.join(dir, 'a.png'))
  return dir
}

function api(appDataDir: string): StudioApi {
  const a = new StudioApi({ host: 'web', appDataDir })
  cleanup.push(() => a.close())
  return a
}

describe('project database problems', () => {
  it('reports a corrupt database as unusable, and starting afresh keeps the old file aside', async () => {
    const folder = await folderWithImages()
    await mkdir(path.join(folder, '.pseudolabel'))
    const garbage = 'this is not an SQLite database, but someone’s notes'.repeat(100)
    await writeFile(path.join(folder, '.pseudolabel', 'project.db'), garbage)
    const studio = api(path.join(folder, 'appdata'))

    const refused = await studio.handle('project.open', { folder })
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.error.code).toBe('unusable_database')
    expect(refused.error.message).toMatch(/Start afresh/)

    const fresh = await studio.handle('project.startAfresh', { folder })
    expect(fresh.ok).toBe(true)
    if (fresh.ok) expect(fresh.value).toMatchObject({ imageCount: 1 })
    const aside = (await readdir(path.join(folder, '.pseudolabel'))).filter((f) => f.startsWith('project.db.unusable'))
    expect(aside).toHaveLength(1)
    expect(await readFile(path.join(folder, '.pseudolabel', aside[0] as string), 'utf8')).toBe(garbage)
  })

  it('tells a second process that the project is open elsewhere', async () => {
    const folder = await folderWithImages()
    const studio = api(path.join(folder, 'appdata'))
    expect((await studio.handle('project.open', { folder })).ok).toBe(true)
    const script = `import { StudioApi } from './main/app/studio.ts'
const a = new StudioApi({ host: 'web', appDataDir: ${JSON.stringify(path.join(folder, 'appdata2'))} })
const r = await a.handle('project.open', { folder: ${JSON.stringify(folder)} })
console.log(JSON.stringify(r))
await a.close()`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    await new Promise((resolve) => child.on('exit', resolve))
    const reply = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ok: boolean; error?: { code: string; message: string } }
    expect(reply.ok).toBe(false)
    expect(reply.error?.code).toBe('open_elsewhere')
    expect(reply.error?.message).toMatch(/open in another studio/)
  })

  it('closes a round a killed process left running, so that another can run', async () => {
    const folder = await folderWithImages()
    const p = await Project.open(folder)
    const crashed = p.store.rounds.start() // the process dies here: the round stays marked running
    await p.close()
    const studio = api(path.join(folder, 'appdata'))
    expect((await studio.handle('project.open', { folder })).ok).toBe(true)
    const rounds = await callStudio(studio, 'rounds.list')
    expect(rounds.find((r) => r.id === crashed)).toMatchObject({ status: 'failed' })
  })
})
