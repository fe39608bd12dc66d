/**
 * Label exports as other tools read them, on a real folder, a real project database and real
 * files: class folders (copied and hard-linked), Ultralytics' classification layout and COCO JSON;
 * names made unique, the scope respected, and a failed export leaving nothing that looks finished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { Project } from '../../main/engine/project/project'
import { exportLabels } from '../../main/engine/exchange/export'
import type { LabelFormat } from '../../preload/vocabulary'
import { writeError } from '../../main/engine/exchange/write'

let dir: string
let images: string
let project: Project
const out = () => path.join(dir, 'out')

async function png(rel: string, shade: number, width = 20, height = 12): Promise<void> {
  await mkdir(path.dirname(path.join(images, rel)), { recursive: true })
  await sharp({ create: { width, height, channels: 3, background: { r: shade, g: (shade * 7) % 256, b: 255 - shade } } })
    .png()
    .toFile(path.join(images, rel))
}

/** Every file below `root`, relative, sorted. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort()
}

const id = (rel: string) => project.store.images.byPath(rel)!.id

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-layouts-'))
  images = path.join(dir, 'images')
  await png('a/x.png', 10)
  await png('b/x.png', 20)
  await png('e/X.png', 30)
  await png('c/y.png', 40, 33, 17)
  await png('d/z.png', 50)
  for (let i = 0; i < 10; i++) await png(`many/cat-${i}.png`, 60 + i)
  for (let i = 0; i < 5; i++) await png(`many/dog-${i}.png`, 120 + i)
  project = await Project.open(images, { dataDir: path.join(dir, 'data') })
  await project.index()
  const cat = project.store.classes.ensure('cat')
  const dog = project.store.classes.ensure('dog/wolf')
  project.store.labels.set([id('a/x.png'), id('b/x.png'), id('e/X.png'), ...Array.from({ length: 10 }, (_, i) => id(`many/cat-${i}.png`))], cat)
  project.store.labels.set([id('c/y.png'), ...Array.from({ length: 5 }, (_, i) => id(`many/dog-${i}.png`))], dog)
  project.store.labels.propose(project.store.rounds.start(), [{ imageId: id('d/z.png'), classId: cat, confidence: 0.8125 }])
})

afterAll(async () => {
  await project?.close()
  await rm(dir, { recursive: true, force: true })
})

async function run(format: LabelFormat, name: string, extra: Partial<Parameters<typeof exportLabels>[1]> = {}) {
  return exportLabels(project, { format, scope: 'reviewed', dest: path.join(out(), name), ...extra })
}

describe('class folders', () => {
  it('copies each reviewed image into its class folder, with unique names and safe folder names', async () => {
    const progress: number[] = []
    const r = await run('folders', 'copy', { onProgress: (done) => progress.push(done) })
    const files = await tree(path.join(out(), 'copy'))
    // a/x.png, b/x.png and e/X.png all land in cat/: x.png, x-2.png, X-3.png (case-insensitive).
    expect(files.filter((f) => /^cat\/x(-\d)?\.png$/i.test(f))).toEqual(['cat/X-3.png', 'cat/x-2.png', 'cat/x.png'])
    expect(files).toContain('dog_wolf/y.png')
    expect(files).not.toContain('cat/z.png') // a proposal, outside the "reviewed" scope
    expect(files).toHaveLength(19)
    expect(r).toMatchObject({ rows: 19, copied: 19, linked: 0, content: null })
    expect(progress.at(-1)).toBe(19)
    expect(await readFile(path.join(out(), 'copy/cat/x-2.png'))).toEqual(await readFile(path.join(images, 'b/x.png')))
  })

  it('includes proposals when asked, and hard-links where the filesystem allows', async () => {
    const r = await run('folders', 'link', { scope: 'with-proposals', mode: 'link' })
    expect(await tree(path.join(out(), 'link'))).toContain('cat/z.png')
    expect(r.rows).toBe(20)
    const [a, b] = await Promise.all([stat(path.join(out(), 'link/cat/z.png')), stat(path.join(images, 'd/z.png'))])
    // Same disk here (both under the temp folder), so links, not copies: one file, two names.
    expect(r.linked).toBe(20)
    expect(a.ino).toBe(b.ino)
  })

  it('never overwrites: an existing destination is refused and left as it was', async () => {
    await mkdir(path.join(out(), 'taken'), { recursive: true })
    await writeFile(path.join(out(), 'taken/mine.txt'), 'mine')
    await expect(run('folders', 'taken')).rejects.toThrow(/already exists; choose another destination/)
    expect(await tree(path.join(out(), 'taken'))).toEqual(['mine.txt'])
  })
})

describe('Ultralytics classification layout', () => {
  it('splits each class into train/ and val/ by the seeded ratio, with names.txt in Ultralytics order', async () => {
    const r = await run('yolo', 'yolo', { valRatio: 0.2, seed: 7 })
    const files = await tree(path.join(out(), 'yolo'))
    const count = (prefix: string) => files.filter((f) => f.startsWith(prefix)).length
    // cat: 13 images -> 3 in val (round(2.6)); dog/wolf: 6 -> 1.
    expect([count('train/cat/'), count('val/cat/'), count('train/dog_wolf/'), count('val/dog_wolf/')]).toEqual([10, 3, 5, 1])
    expect(await readFile(path.join(out(), 'yolo/names.txt'), 'utf8')).toBe('cat\ndog_wolf\n')
    expect(r.warnings).toEqual([])

    // The same seed gives the same split; another seed, another one.
    await run('yolo', 'yolo-again', { valRatio: 0.2, seed: 7 })
    await run('yolo', 'yolo-other', { valRatio: 0.2, seed: 8 })
    const val = async (name: string) => (await tree(path.join(out(), name))).filter((f) => f.startsWith('val/'))
    expect(await val('yolo-again')).toEqual(await val('yolo'))
    expect(await val('yolo-other')).not.toEqual(await val('yolo'))
  })
})

describe('COCO', () => {
  it('writes images with their sizes, categories, and one annotation per image without a bbox; proposals carry a score', async () => {
    const r = await run('coco', 'labels.coco.json', { scope: 'with-proposals' })
    const coco = JSON.parse(await readFile(r.path, 'utf8')) as {
      images: { id: number; file_name: string; width: number; height: number }[]
      categories: { id: number; name: string }[]
      annotations: { id: number; image_id: number; category_id: number; score?: number; bbox?: unknown }[]
    }
    expect(coco.categories.map((c) => c.name)).toEqual(['cat', 'dog/wolf'])
    expect(coco.images).toHaveLength(20)
    const y = coco.images.find((i) => i.file_name === 'c/y.png')!
    expect([y.width, y.height]).toEqual([33, 17])
    const byImage = new Map(coco.annotations.map((a) => [a.image_id, a]))
    expect(byImage.get(y.id)?.category_id).toBe(coco.categories.find((c) => c.name === 'dog/wolf')!.id)
    const z = coco.images.find((i) => i.file_name === 'd/z.png')!
    expect(byImage.get(z.id)).toMatchObject({ score: 0.8125 })
    expect(coco.annotations.filter((a) => a.score !== undefined)).toHaveLength(1)
    expect(coco.annotations.some((a) => 'bbox' in a)).toBe(false)
  })
})

describe('failures', () => {
  it('a source file gone mid-export leaves no export and no partial folder, and says what happened', async () => {
    await unlink(path.join(images, 'c/y.png')) // the index still lists it
    await expect(run('folders', 'broken')).rejects.toThrow(/c\/y\.png does not exist.*Nothing was written/)
    const left = await readdir(out())
    expect(left.filter((f) => f.includes('broken'))).toEqual([])
  })

  it('a full disk is named with the path and what to do', async () => {
    // A real ENOSPC from the OS: /dev/full refuses every write with it.
    const err = await writeFile('/dev/full', 'x').catch((e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
    const message = writeError(err, '/data/exports/labels-folders').message
    expect(message).toMatch(/disk is full: could not write the export \/data\/exports\/labels-folders/)
    expect(message).toMatch(/free some space/)
  })
})
