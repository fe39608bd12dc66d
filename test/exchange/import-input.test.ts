/**
 * Bad input to a label import: each case gets a message naming the file (and line) and what to do,
 * and nothing is written. A large CSV is streamed with bounded memory; a JSON above the limit is
 * refused before it is read. CSV quoting as spreadsheets write it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { Project } from '../../main/engine/project/project'
import { csvRecords, isInside, JSON_LIMIT, labelStudioPath } from '../../main/engine/exchange/import'
import { importLabels } from '../../main/engine/exchange/match'
import type { ImportFormat } from '../../preload/vocabulary'
import { hymenopteraSubset } from '../shared'

let dir: string
let folder: string
let project: Project
let ant: string

const file = async (name: string, content: string | Buffer) => {
  const p = path.join(dir, name)
  await writeFile(p, content)
  return p
}
const run = (format: ImportFormat, source: string) => importLabels(project, { format, source })

/** Nothing was written: no label, no class, no action. */
function nothingWritten(): void {
  expect(project.store.classes.list()).toEqual([])
  expect(project.store.queries.page({ status: 'labelled', limit: 1 }).total).toBe(0)
  expect(project.store.labels.undo()).toBeNull()
}

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-import-bad-', 2)
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-import-bad-work-'))
  project = await Project.open(folder, { dataDir: path.join(dir, 'data') })
  await project.index()
  ant = `ants/${(await readdir(path.join(folder, 'ants'))).sort()[0]}`
})

afterAll(async () => {
  await project?.close()
  await rm(dir, { recursive: true, force: true })
  await rm(folder, { recursive: true, force: true })
})

describe('CSV as spreadsheets write it', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF, and semicolons', async () => {
    const p = await file('q.csv', 'path,class\r\n"a, b.jpg","say ""hi"""\r\n"two\nlines.jpg",x\r\n\r\nlast.jpg,"y"')
    const records = []
    for await (const batch of csvRecords(p)) records.push(...batch)
    expect(records).toEqual([
      { line: 1, fields: ['path', 'class'] },
      { line: 2, fields: ['a, b.jpg', 'say "hi"'] },
      { line: 3, fields: ['two\nlines.jpg', 'x'] },
      { line: 6, fields: ['last.jpg', 'y'] },
    ])
    const semi = await file('semi.csv', `\ufeffPath;Label\n${ant};ants\n`)
    expect((await run('csv', semi)).report).toMatchObject({ matched: 1, byPath: 1 })
    project.store.labels.undo()
  })

  it('reads UTF-16 with a byte-order mark (Excel\'s "Unicode text")', async () => {
    const text = `path,class\n${ant},fourmis é\n`
    const p = await file('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    const { report } = await run('csv', p)
    expect(report.newClasses).toEqual(['fourmis é'])
    project.store.labels.undo()
    nothingWritten()
  })
})

describe('bad input: a clear message, nothing written', () => {
  it.each([
    ['an unclosed quote', `path,class\n${ant},ants\n"never closed,ants\n`, /bad\.csv line 3: a quoted field is never closed/],
    ['a stray quote', `path,class\n${ant},ants\nx"y.jpg,ants\n`, /bad\.csv line 3: a quote inside an unquoted field/],
    ['too few fields', `path,class\n${ant},ants\nonly-a-path.jpg\n`, /bad\.csv line 3: 1 field where the header has 2/],
    ['no class column', `path,kind\n${ant},ants\n`, /bad\.csv line 1: no class column \(the header is: path, kind\); name the column with the class "class" or "label"/],
    ['no path column', `image_id,class\n1,ants\n`, /bad\.csv line 1: no column names the image/],
    ['a confidence out of range', `path,class,confidence\n${ant},ants,1.5\n`, /bad\.csv line 2: the confidence "1\.5" is not a number from 0 to 1/],
  ])('a malformed CSV: %s names its line', async (_what, content, message) => {
    const p = await file('bad.csv', content)
    await expect(run('csv', p)).rejects.toThrow(message)
    nothingWritten()
  })

  it('an unknown encoding (Latin-1 bytes) says to save as UTF-8', async () => {
    const p = await file('latin1.csv', Buffer.concat([Buffer.from(`path,class\n${ant},fourmis `), Buffer.from([0xe9, 0x0a])]))
    await expect(run('csv', p)).rejects.toThrow(/latin1\.csv is not UTF-8 text .*encoding is unknown\. Save it as UTF-8/)
    nothingWritten()
  })

  it('a file that is missing, a folder, or unreadable', async () => {
    await expect(run('csv', path.join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv does not exist; give the path of the file to import/)
    await expect(run('json', folder)).rejects.toThrow(/is a folder, not a file/)
    await expect(run('folders', path.join(dir, 'q.csv'))).rejects.toThrow(/q\.csv is a file, not a folder/)
    const locked = await file('locked.csv', `path,class\n${ant},ants\n`)
    await import('node:fs/promises').then((fs) => fs.chmod(locked, 0))
    // root reads any file, whatever its mode: the permission case only bites for other users
    if (process.getuid?.() !== 0) await expect(run('csv', locked)).rejects.toThrow(/cannot read .*locked\.csv: no permission/)
    nothingWritten()
  })

  it('a JSON that is not the announced format says which one it looks like', async () => {
    const coco = await file('c.json', JSON.stringify({ images: [], annotations: [], categories: [] }))
    await expect(run('labelstudio', coco)).rejects.toThrow(/c\.json is not a Label Studio JSON export.*It looks like COCO JSON/)
    await expect(run('json', coco)).rejects.toThrow(/c\.json is not a label list in the studio's JSON format.*It looks like COCO JSON/)
    const ls = await file('ls.json', JSON.stringify([{ data: { image: 'x.jpg' }, annotations: [] }]))
    await expect(run('coco', ls)).rejects.toThrow(/ls\.json is not COCO JSON: it has no "images", "annotations", "categories" lists\. It looks like a Label Studio export/)
    await expect(run('json', await file('broken.json', '{"labels": [{"path": "a.jpg", "class": "x"}'))).rejects.toThrow(/broken\.json is not valid JSON/)
    await expect(run('yolo', folder)).rejects.toThrow(/is not the YOLO classification layout: it has no train\/ folder/)
    nothingWritten()
  })

  it('a JSON above the limit is refused before it is read, and CSV is suggested', async () => {
    const big = path.join(dir, 'big.json')
    await writeFile(big, '')
    await truncate(big, 2 * JSON_LIMIT) // sparse: no disk space, no time
    await expect(run('coco', big)).rejects.toThrow(/big\.json is 400\.0 MB: JSON imports are read whole, up to 200 MB\. Export the labels as CSV/)
    nothingWritten()
  })

  it('streams a 200 MB CSV in bounded memory (and a bad line near its end still writes nothing)', async () => {
    const big = path.join(dir, 'big.csv')
    const out = createWriteStream(big)
    out.write(`path,class,confidence\n${ant},ants,0.5\n`)
    const line = (i: number) => `some/folder/that/is/not/here/image-${String(i).padStart(9, '0')}.jpg,class-${i % 7},0.25\n`
    let bytes = 0
    for (let i = 0; bytes < 200e6; i++) {
      const chunk = Array.from({ length: 1000 }, (_, k) => line(i * 1000 + k)).join('')
      bytes += chunk.length
      if (!out.write(chunk)) await once(out, 'drain')
    }
    out.end('broken"line.jpg,ants\n')
    await once(out, 'finish')
    global.gc?.()
    const base = process.memoryUsage()
    let peak = 0
    const timer = setInterval(() => {
      const m = process.memoryUsage()
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers)
    }, 20)
    const started = Date.now()
    try {
      await expect(run('csv', big)).rejects.toThrow(/big\.csv line \d{7}: a quote inside an unquoted field/)
    } finally {
      clearInterval(timer)
    }
    console.log(`200 MB CSV: ${((Date.now() - started) / 1000).toFixed(1)} s, peak heap + buffers above the start ${(peak / 1e6).toFixed(0)} MB`)
    // Read whole, the file alone would be 400 MB of string; streamed, the heap only churns (27-100 MB
    // measured here, as the garbage collector lags).
    expect(peak).toBeLessThan(200e6)
    nothingWritten()
  }, 120_000)
})

describe('Label Studio image URLs', () => {
  it.each([
    ['/data/upload/12/8f3a1b2c-IMG_0001.jpg', 'IMG_0001.jpg'],
    ['/data/local-files/?d=photos%2Fants%2Fa%20b.jpg', 'photos/ants/a b.jpg'],
    ['https://example.org/bucket/ants/x.jpg?X-Amz-Signature=1', 'bucket/ants/x.jpg'],
    ['gs://bucket/y.png', 'y.png'],
    // A stray % in a local-files path is part of the name, as it is in any other URL (not a crash).
    ['/data/local-files/?d=ants/100%25%20ant%.jpg', 'ants/100%25%20ant%.jpg'],
  ])('%s names %s', (url, name) => {
    expect(labelStudioPath(url)).toBe(name)
  })
})

describe('paths inside the project', () => {
  it('a folder whose name starts with two dots is inside; the parent and its siblings are not', () => {
    expect([isInside('/p', '/p'), isInside('/p', '/p/..labels/a.jpg'), isInside('/p', '/p/../q'), isInside('/p', '/'), isInside('/p', '/pq')]).toEqual([true, true, false, false, false])
  })
})

describe('folders that are not class folders', () => {
  it('a folder of loose images says it holds no class folders', async () => {
    const loose = path.join(dir, 'loose')
    await mkdir(loose)
    await writeFile(path.join(loose, 'a.jpg'), 'x')
    await expect(run('folders', loose)).rejects.toThrow(/loose holds no images in class folders/)
    nothingWritten()
  })
})
