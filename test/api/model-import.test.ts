/**
 * `models.inspect` and `models.import` through StudioApi, as the Settings wizard calls them: the
 * shipped file's proposal, a check on the open project's images, a save into the app's models
 * folder, and the refusals the wizard shows (a wrong guess, no project, a file that is not ONNX).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { StudioApi } from '../../main/app/studio'
import { loadManifest } from '../../main/engine/teacher'
import type { RequestName } from '../../preload/contract'
import { callStudio, hymenopteraSubset } from '../studio-harness'
import { TEST_TEACHER } from '../shared'
import { nhwcUint8Model } from '../teacher/tiny-models'

let folder = ''
let appData = ''
let studio: StudioApi
const tiny = path.join(os.tmpdir(), `studio-import-nhwc-${process.pid}.onnx`)

const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)
async function refused(name: RequestName, input: unknown): Promise<{ code: string; message: string }> {
  const reply = await studio.handle(name, input)
  if (reply.ok) throw new Error(`${name} was expected to fail`)
  return reply.error
}

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-model-import-', 3)
  appData = path.join(folder, '.appdata')
  await writeFile(tiny, nhwcUint8Model())
  studio = new StudioApi({ host: 'web', appDataDir: appData })
})
afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
  await rm(tiny, { force: true })
})

describe('importing a teacher through the contract', () => {
  it('inspects the shipped file: its pre-classifier feature, with a free id', async () => {
    const r = await call('models.inspect', { path: TEST_TEACHER })
    expect(r.proposal).toMatchObject({ id: 'mobilenetv2-12-int8-2', output: '464_quantized', pooling: null, size: [224, 224], resize: 'shorter-side-then-centre-crop' })
    expect(r.candidates.map((c) => c.tensor)).toEqual(['464_quantized', 'output'])
    expect(r.notes.join(' ')).toContain("classifier's logits")
  })

  it('needs an open project to check on, and refuses what is not an .onnx file', async () => {
    expect((await refused('models.import', { path: TEST_TEACHER, choices: {} })).code).toBe('no_project')
    expect((await refused('models.inspect', { path: '/etc/passwd' })).code).toBe('invalid_input')
  })

  it('checks on the project images, then saves into <appData>/models', async () => {
    await call('project.open', { folder })
    const checked = await call('models.import', { path: TEST_TEACHER, choices: {}, dryRun: true })
    expect(checked).toMatchObject({ dim: 1280, checkedImages: 6, savedTo: null })
    const saved = await call('models.import', { path: TEST_TEACHER, choices: { id: 'my-mobilenet' } })
    expect(saved.savedTo).toBe(path.join(appData, 'models', 'my-mobilenet.json'))
    expect((await loadManifest(saved.savedTo as string)).manifest.outputs.embedding).toMatchObject({ tensor: '464_quantized', dim: 1280 })
    // Saving the same id again is refused, not overwritten.
    expect((await refused('models.import', { path: TEST_TEACHER, choices: { id: 'my-mobilenet' } })).message).toContain('already exists')
  })

  it('a wrong guess is refused with the reason', async () => {
    const e = await refused('models.import', { path: tiny, choices: { output: 'constant' }, dryRun: true })
    expect(e.code).toBe('invalid_input')
    expect(e.message).toMatch(/embeddings are identical for every image/)
  })
})
