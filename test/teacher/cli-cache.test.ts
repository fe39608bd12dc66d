/**
 * `cli embed` and the studio keep a folder's teacher cache in the same place: the project's data
 * folder, found by the one policy in engine/project/locations.ts. Here the data lives under
 * STUDIO_DATA_DIR, where the CLI used to write `<folder>/.pseudolabel/teacher` while the studio
 * read `<dataDir>/teacher`, so the studio embedded everything a second time.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StudioApi } from '../../main/app/studio'
import { ProjectPaths } from '../../main/engine/project/paths'
import { projectDataDir } from '../../main/engine/project/locations'
import { embeddingCacheDir, loadEmbeddings } from '../../main/engine/teacher'
import type { StudioEvent, TeacherStatus } from '../../preload/contract'
import { runCli } from '../shared'
import { callStudio, hymenopteraSubset, openEmbedded } from '../studio-harness'

let folder: string
let dataRoot: string
let studio: StudioApi | null = null
const savedDataDir = process.env.STUDIO_DATA_DIR

beforeAll(async () => {
  folder = await hymenopteraSubset('cli-cache-', 2)
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'cli-cache-data-'))
})

afterAll(async () => {
  await studio?.close()
  if (savedDataDir === undefined) delete process.env.STUDIO_DATA_DIR
  else process.env.STUDIO_DATA_DIR = savedDataDir
  await rm(folder, { recursive: true, force: true })
  await rm(dataRoot, { recursive: true, force: true })
})

describe('cli embed, then the studio', () => {
  it('share the teacher cache: the studio embeds nothing the CLI embedded', { timeout: 240_000 }, async () => {
    const run = await runCli(['embed', folder, '--provider', 'cpu', '--threads', '1'], { ...process.env, STUDIO_DATA_DIR: dataRoot })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/embedded 4 images \(0 already cached/)
    const teacherDir = new ProjectPaths(projectDataDir(dataRoot, folder)).teacher
    const cacheFile = run.stdout.match(/^cache: (.+)$/m)?.[1]
    expect(cacheFile && path.dirname(cacheFile)).toBe(embeddingCacheDir(teacherDir))
    expect(existsSync(path.join(folder, '.pseudolabel'))).toBe(false) // STUDIO_DATA_DIR keeps the folder clean
    const size = (await stat(cacheFile!)).size

    process.env.STUDIO_DATA_DIR = dataRoot
    const events: StudioEvent[] = []
    studio = await openEmbedded(folder, path.join(dataRoot, 'app'), events)
    const status = await callStudio(studio, 'teacher.status')
    // imagesPerSecond counts images embedded by this pass: none.
    expect(status).toMatchObject({ state: 'done', done: 4, total: 4, failed: 0, imagesPerSecond: 0 } satisfies Partial<TeacherStatus>)
    // Every image was found in the CLI's cache: no second cache file, not one row appended.
    expect(await readdir(embeddingCacheDir(teacherDir))).toEqual([path.basename(cacheFile!)])
    expect((await stat(cacheFile!)).size).toBe(size)
    expect((await loadEmbeddings(cacheFile!)).ids).toHaveLength(4)
  })
})
