/**
 * The teachers of this machine, through the contract (StudioApi) and the CLI, against a model
 * server on 127.0.0.1: the catalog with states, a pull into the app's models folder (text tower and
 * tokenizer too, the tokenizer's hash pinned), progress as job 'download', a cancel that keeps the
 * .part, "I already have the file", removal (never the shipped default), and `models list|pull|remove`.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioApi } from '../../main/app/studio'
import { DEFAULT_TEACHER } from '../../preload/vocabulary'
import type { ProgressEvent, RequestName, StudioEvent } from '../../preload/contract'
import { ROOT } from '../shared'
import { runCli as cli } from '../cli/run-cli'
import { callStudio, until } from '../studio-harness'
import { MODEL_FILE, MODEL_SHA256, startModelServer, writeTestManifest, type ModelServer } from './model-server'

let server: ModelServer
let modelsDir: string
let appData: string
let studio: StudioApi
const events: StudioEvent[] = []
const savedModelsDir = process.env.STUDIO_MODELS_DIR
const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)
const entry = async (id: string) => (await call('teachers.list')).find((t) => t.id === id)

beforeAll(async () => {
  server = await startModelServer()
  modelsDir = await mkdtemp(path.join(os.tmpdir(), 'install-models-'))
  appData = await mkdtemp(path.join(os.tmpdir(), 'install-appdata-'))
  process.env.STUDIO_MODELS_DIR = modelsDir
  await writeTestManifest(modelsDir, 'plain', `${server.base}/model.onnx`)
  await writeTestManifest(modelsDir, 'slow', `${server.base}/slow.onnx?bps=400000`)
  await writeTestManifest(modelsDir, 'slower', `${server.base}/slow.onnx?bps=200000`)
  await writeTestManifest(modelsDir, 'broken', `${server.base}/corrupt.onnx`)
  await writeTestManifest(modelsDir, 'two-tower', `${server.base}/model.onnx`, {
    text: {
      file: { url: `${server.base}/model.onnx`, sha256: MODEL_SHA256 },
      // No published sha256: the first download pins it.
      tokenizer: { url: `${server.base}/redirect/1/model.onnx` },
      inputs: { ids: 'input_ids' },
      maxLength: 77,
      output: { tensor: 'text_embeds', dim: 1280 },
    },
  })
  studio = new StudioApi({ host: 'web', appDataDir: appData })
  studio.onEvent((e) => events.push(e))
})

afterAll(async () => {
  await studio.close()
  await server.close()
  if (savedModelsDir === undefined) delete process.env.STUDIO_MODELS_DIR
  else process.env.STUDIO_MODELS_DIR = savedModelsDir
  await rm(modelsDir, { recursive: true, force: true })
  await rm(appData, { recursive: true, force: true })
})

const ended = (id: string) => events.find((e) => e.type === 'teacher.download' && e.id === id && e.state !== 'downloading')

describe('teachers through the contract', () => {
  it('lists the catalog with the shipped default installed and test teachers not downloaded', async () => {
    const list = await call('teachers.list')
    expect(list.find((t) => t.id === DEFAULT_TEACHER)).toMatchObject({ state: 'installed', default: true, removable: false, licence: expect.stringMatching(/Apache/) })
    expect(await entry('plain')).toMatchObject({ state: 'not-downloaded', downloadable: true, bytes: 3655640, progress: null })
    expect(await entry('two-tower')).toMatchObject({ state: 'not-downloaded', bytes: null })
  })

  it('pulls a teacher into the app models folder with progress as job download; the model search finds it', async () => {
    const started = await call('teachers.pull', { id: 'slow' })
    expect(started.state).toBe('downloading')
    expect((await entry('slow'))?.state).toBe('downloading')
    await until('the download', () => ended('slow') !== undefined, 60_000)
    expect(ended('slow')).toMatchObject({ state: 'done' })
    const progress = events.filter((e): e is ProgressEvent => e.type === 'progress' && e.job === 'download')
    expect(progress.length).toBeGreaterThan(2)
    expect(progress.at(-1)).toMatchObject({ stage: 'slow', done: 3655640, total: 3655640 })
    expect(progress.some((p) => p.perSecond > 0 && p.etaSeconds !== null)).toBe(true)
    expect(await entry('slow')).toMatchObject({ state: 'installed', removable: true })
    expect(existsSync(path.join(appData, 'models', 'slow.json'))).toBe(true)
    expect((await call('teachers.list')).find((m) => m.id === 'slow')).toMatchObject({ state: 'installed' })
  })

  it('pulls the text tower and the tokenizer too, pinning the tokenizer hash in the installed manifest', async () => {
    await call('teachers.pull', { id: 'two-tower' })
    await until('the download', () => ended('two-tower') !== undefined, 60_000)
    expect(ended('two-tower')).toMatchObject({ state: 'done' })
    const installed = JSON.parse(await readFile(path.join(appData, 'models', 'two-tower.json'), 'utf8'))
    expect(installed.file.path).toBe('two-tower/two-tower.onnx')
    expect(installed.text.file.path).toBe('two-tower/text-model.onnx')
    expect(installed.text.tokenizer).toMatchObject({ path: 'two-tower/tokenizer-model.onnx', sha256: MODEL_SHA256 })
    expect((await readdir(path.join(appData, 'models', 'two-tower'))).sort()).toEqual(['text-model.onnx', 'tokenizer-model.onnx', 'two-tower.onnx'])
  })

  it('a failed download says why in its entry; a cancelled one keeps its .part', async () => {
    await call('teachers.pull', { id: 'broken' })
    await until('the failure', () => ended('broken') !== undefined, 60_000)
    expect(ended('broken')).toMatchObject({ state: 'failed', message: expect.stringMatching(/sha256 mismatch, expected/) })
    expect((await entry('broken'))?.error).toMatch(/sha256 mismatch/)

    await call('teachers.pull', { id: 'slower' })
    await until('some bytes', () => events.some((e) => e.type === 'progress' && e.job === 'download' && e.stage === 'slower' && e.done > 50_000), 30_000)
    expect(await call('jobs.cancel', { job: 'download' })).toBe(true)
    expect(ended('slower')).toMatchObject({ state: 'cancelled' })
    expect((await stat(path.join(appData, 'models', 'slower', 'slower.onnx.part'))).size).toBeGreaterThan(50_000)
    expect((await entry('slower'))?.state).toBe('not-downloaded')
  })

  it('uses a file the user already has, checked the same way', async () => {
    await writeTestManifest(modelsDir, 'local', 'http://127.0.0.1:9/never.onnx')
    const refused = await studio.handle('teachers.useFile', { id: 'local', path: path.join(ROOT, 'models/LICENSE-mobilenetv2-12-int8.txt') })
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/bytes where teacher "local" needs 3655640/) } })
    expect(await call('teachers.useFile', { id: 'local', path: MODEL_FILE })).toMatchObject({ state: 'installed', removable: true })
    expect((await stat(path.join(appData, 'models', 'local', 'local.onnx'))).size).toBe(3655640)
  })

  it('removes an installed teacher, never the shipped default', async () => {
    const after = await call('teachers.remove', { id: 'slow' })
    expect(after.find((t) => t.id === 'slow')?.state).toBe('not-downloaded')
    expect(existsSync(path.join(appData, 'models', 'slow'))).toBe(false)
    expect(await studio.handle('teachers.remove', { id: DEFAULT_TEACHER })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await studio.handle('teachers.remove', { id: 'plain' })).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })
})


describe('cli models', () => {
  it('lists, pulls with progress on stderr, cancels with Ctrl+C (130, .part kept), and removes', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cli-models-'))
    const env = { ...process.env, STUDIO_MODELS_DIR: modelsDir, STUDIO_DATA_DIR: dataDir, HTTP_PROXY: '', http_proxy: '' }
    try {
      let r = await cli(['models', 'list'], env)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/mobilenetv2-12-int8\s+installed/)
      expect(r.stdout).toMatch(/plain\s+not downloaded\s+3\.7 MB/)

      r = await cli(['models', 'pull', 'plain'], env)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/plain\/plain\.onnx: [\d.]+ MB of 3\.7 MB, [\d.]+ MB\/s, ETA/)
      expect(r.stdout).toMatch(/plain installed and verified/)
      expect((await cli(['models', 'list'], env)).stdout).toMatch(/plain\s+installed/)

      // One Ctrl+C (a second one would end the process the default way, as in any CLI).
      let interrupted = false
      r = await cli(['models', 'pull', 'slower'], env, (text, kill) => {
        if (interrupted || !/slower\.onnx: [1-9]/.test(text)) return
        interrupted = true
        kill('SIGINT')
      })
      expect(r.code, r.stderr).toBe(130)
      expect(r.stderr).toMatch(/cancelled; the part downloaded is kept/)
      expect(existsSync(path.join(dataDir, 'models', 'slower', 'slower.onnx.part'))).toBe(true)

      expect((await cli(['models', 'pull', 'no-such-teacher'], env)).code).toBe(2)
      expect((await cli(['models', 'pull'], env)).code).toBe(2)
      r = await cli(['models', 'pull', 'broken'], env)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/sha256 mismatch, expected/)

      r = await cli(['models', 'remove', 'plain'], env)
      expect(r.code, r.stderr).toBe(0)
      expect((await cli(['models', 'list'], env)).stdout).toMatch(/plain\s+not downloaded/)
      expect((await cli(['models', 'remove', DEFAULT_TEACHER], env)).code).toBe(1)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
