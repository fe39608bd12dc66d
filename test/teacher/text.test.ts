/**
 * The text tower of a text-aligned teacher, on a tiny two-tower model built in the test: the model's
 * own tokenizer.json read by @huggingface/tokenizers, int64 ids and mask padded to maxLength, the
 * embeddings equal to a plain JS computation of the same weights, prompt templates averaged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { defaultModelSearchDirs, installedModelsDir, loadManifest } from '../../main/engine/teacher/manifest'
import { TextTower, classTextFor } from '../../main/engine/teacher/text'
import { D, MAX_LENGTH, VOCAB, referenceText, writeTwoTower, type TwoTower } from './two-tower'

let dir = ''
let model: TwoTower
let tower: TextTower

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pls-text-'))
  model = await writeTwoTower(dir)
  tower = await TextTower.open(await loadManifest(path.join(dir, 'tiny-clip.json')), { searchDirs: [dir] })
})
afterAll(async () => {
  await tower?.close()
  await rm(dir, { recursive: true, force: true })
})

const V = VOCAB
const photoOf = (word: number) => [V['<s>'], V.a, V.photo, V.of, V.a, word, V['.'], V['</s>']]

describe('TextTower', () => {
  it('tokenises with the model’s tokenizer.json, padded to maxLength with a mask', () => {
    const { ids, mask } = tower.tokenize(['A photo of a Red.', 'a photo of a mauve.'])
    expect(Array.from(ids.slice(0, MAX_LENGTH), Number)).toEqual([...photoOf(V.red), 0, 0, 0, 0])
    expect(Array.from(mask.slice(0, MAX_LENGTH), Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    // an unknown word is the tokenizer's [UNK], not an error
    expect(Number(ids[MAX_LENGTH + 5])).toBe(V['[UNK]'])
  })

  it('cuts a long text to maxLength keeping its end token', () => {
    const { ids, mask } = tower.tokenize(['a photo of a red photo of a red photo of a red.'])
    expect(ids.length).toBe(MAX_LENGTH)
    expect(Number(ids[MAX_LENGTH - 1])).toBe(V['</s>'])
    expect(Array.from(mask, Number).every((m) => m === 1)).toBe(true)
  })

  it('embeds texts as the JS reference computation does (unit rows)', async () => {
    const e = await tower.embedTexts(['a photo of a red.', 'a photo of a blue.'])
    expect(e.length).toBe(2 * D)
    const want = [...referenceText(model, photoOf(V.red)), ...referenceText(model, photoOf(V.blue))]
    want.forEach((v, i) => expect(e[i]).toBeCloseTo(v, 5))
  })

  it('averages the prompt templates per class and normalises again', async () => {
    const prompts = ['a photo of a {}.', 'a picture of a {}']
    const T = await tower.classTextEmbeddings(['red', 'blue'], prompts)
    for (const [c, word] of [V.red, V.blue].entries()) {
      const a = referenceText(model, photoOf(word))
      const b = referenceText(model, [V['<s>'], V.a, V.picture, V.of, V.a, word, V['</s>']])
      const sum = a.map((v, j) => v + b[j]!)
      const n = Math.hypot(...sum)
      sum.forEach((v, j) => expect(T[c * D + j]).toBeCloseTo(v / n, 5))
    }
    // the manifest's default template when none is given
    const def = await tower.classTextEmbeddings(['red'])
    referenceText(model, photoOf(V.red)).forEach((v, j) => expect(def[j]).toBeCloseTo(v, 5))
  })

  it('refuses a teacher without a text tower, and a damaged text file, with the reason', async () => {
    const loaded = await loadManifest(path.join(dir, 'tiny-clip.json'))
    const { text: _text, ...imageOnly } = loaded.manifest
    await expect(TextTower.open({ manifest: imageOnly, file: loaded.file! }, { searchDirs: [dir] })).rejects.toThrow(/no text tower/)
    const wrong = { ...loaded.manifest, text: { ...loaded.manifest.text!, file: { ...loaded.manifest.text!.file, sha256: '0'.repeat(64) } } }
    await expect(TextTower.open({ manifest: wrong, file: loaded.file! }, { searchDirs: [dir] })).rejects.toThrow(/sha256/)
  })

  it('finds a teacher installed only in the app’s models folder when given its search dirs', async () => {
    const appData = path.join(dir, 'appdata')
    await mkdir(installedModelsDir(appData), { recursive: true })
    const installed = await writeTwoTower(installedModelsDir(appData), { id: 'tiny-clip-installed' })
    const text = await classTextFor('tiny-clip-installed', ['red'], null, { searchDirs: defaultModelSearchDirs(appData) })
    expect(text?.T.rows).toBe(1)
    // the same tower as the one the test built: its rows are the reference computation's
    referenceText(installed, photoOf(V.red)).forEach((v, j) => expect(text!.T.data[j]).toBeCloseTo(v, 5))
    // without the app's folder the manifest is not found
    await expect(classTextFor('tiny-clip-installed', ['red'], null)).rejects.toThrow()
  }, 60_000)
})
