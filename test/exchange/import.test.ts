/**
 * Label imports on real photos (hymenoptera) and a real project database: for every export format,
 * export from a labelled project, import into a fresh copy of its folder and get the same label
 * for every image; class folders and YOLO also when names clash (x.jpg, x-2.jpg), matched by
 * content hash. Then what an import is: one undoable action naming its source, with the classes it
 * created; proposals that wait in the review queue; conflicts kept or replaced; Label Studio and
 * COCO boxes read as those tools write them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Project } from '../../main/engine/project/project'
import { exportLabels } from '../../main/engine/exchange/export'
import { importLabels } from '../../main/engine/exchange/match'
import { LABEL_FORMATS, type LabelFormat } from '../../preload/vocabulary'
import { dataset, hymenopteraSubset } from '../shared'

let dir: string
let original: string
let source: Project
const opened: Project[] = []

/** Every image's class by path: what the round trips compare. */
function labelsByPath(project: Project): Map<string, string | null> {
  const names = new Map(project.store.classes.list().map((c) => [c.id, c.name]))
  const out = new Map<string, string | null>()
  for (const row of project.store.queries.allImages()) for (const f of project.store.images.filesOf(row.id)) out.set(f, row.classId === null ? null : names.get(row.classId)!)
  return out
}

/** A fresh copy of the original image folder (no project data), opened and indexed. */
async function freshCopy(name: string): Promise<Project> {
  const folder = path.join(dir, 'copies', name)
  await cp(original, folder, { recursive: true, filter: (src) => !src.includes('.pseudolabel') })
  const p = await Project.open(folder, { dataDir: path.join(dir, 'data', name) })
  await p.index()
  opened.push(p)
  return p
}

beforeAll(async () => {
  original = await hymenopteraSubset('studio-import-', 6)
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-import-work-'))
  // Two more photos whose file names clash with ants/ ones (other content): a class-folder export
  // names them x-2.jpg, and their names are ambiguous in the project, so only the hash finds them.
  const ants = (await readdir(path.join(original, 'ants'))).sort()
  const spare = (await readdir(path.join(dataset('hymenoptera'), 'pool', 'ants'))).sort().slice(-2)
  await mkdir(path.join(original, 'more'))
  for (let i = 0; i < 2; i++) await cp(path.join(dataset('hymenoptera'), 'pool', 'ants', spare[i]!), path.join(original, 'more', ants[i]!))
  source = await Project.open(original, { dataDir: path.join(dir, 'data', 'source') })
  await source.index()
  const cls = { ants: source.store.classes.ensure('ants'), bees: source.store.classes.ensure('bees') }
  for (const row of source.store.queries.allImages()) source.store.labels.set([row.id], row.path!.startsWith('bees/') ? cls.bees : cls.ants)
}, 60_000)

afterAll(async () => {
  for (const p of [source, ...opened]) await p?.close()
  await rm(dir, { recursive: true, force: true })
  await rm(original, { recursive: true, force: true })
})

describe('round trips: export, then import into a fresh copy of the folder', () => {
  it.each(LABEL_FORMATS.map((f) => [f]))('%s gives every image the same label', async (format: LabelFormat) => {
    const dest = path.join(dir, 'exports', format === 'coco' ? 'labels.coco.json' : format === 'csv' || format === 'json' ? `labels.${format}` : format)
    const exported = await exportLabels(source, { format, scope: 'reviewed', dest })
    expect(exported.rows).toBe(14)
    const copy = await freshCopy(format)
    const { report, imageIds } = await importLabels(copy, { format, source: dest })
    expect(report.unmatched.count).toBe(0)
    expect(report.ambiguous.count).toBe(0)
    expect(report.newClasses).toEqual(['ants', 'bees'])
    expect(imageIds).toHaveLength(14)
    expect(labelsByPath(copy)).toEqual(labelsByPath(source))
    if (format === 'yolo' || format === 'folders') {
      // The files are copies under other names: the clashing names are found by their content.
      expect(report.byHash).toBeGreaterThanOrEqual(2)
      expect(report.byPath + report.byName + report.byHash).toBe(14)
    } else expect(report.byPath).toBe(14)
  })

  it('a class-folder export of hard links imports the same way', async () => {
    const dest = path.join(dir, 'exports', 'linked')
    const exported = await exportLabels(source, { format: 'folders', scope: 'reviewed', dest, mode: 'link' })
    expect(exported.linked).toBe(14)
    const copy = await freshCopy('linked')
    await importLabels(copy, { format: 'folders', source: dest })
    expect(labelsByPath(copy)).toEqual(labelsByPath(source))
  })

  it('the project folder itself sorted into class folders labels its own images by path', async () => {
    const copy = await freshCopy('self')
    const { report } = await importLabels(copy, { format: 'folders', source: copy.folder })
    expect(report.byPath).toBe(14)
    // more/ is a class folder too here: its two photos get the class "more".
    expect(report.newClasses).toEqual(['ants', 'bees', 'more'])
    expect(labelsByPath(copy).get('bees/' + (await readdir(path.join(copy.folder, 'bees'))).sort()[0])).toBe('bees')
  })
})

describe('an import is one action', () => {
  it('one undo takes back every label and the classes it created; redo brings them back; events name the file', async () => {
    const copy = await freshCopy('undo')
    const csv = path.join(dir, 'undo.csv')
    await writeFile(csv, 'path,class\r\nants/' + (await readdir(path.join(copy.folder, 'ants'))).sort()[0] + ',formicidae\r\n')
    const dry = await importLabels(copy, { format: 'csv', source: csv, dryRun: true })
    expect(dry.report).toMatchObject({ matched: 1, toWrite: 1, newClasses: ['formicidae'] })
    expect(copy.store.classes.list()).toEqual([]) // a dry run writes nothing
    const { imageIds } = await importLabels(copy, { format: 'csv', source: csv })
    expect(copy.store.classes.list().map((c) => c.name)).toEqual(['formicidae'])
    const last = copy.store.labels.history(imageIds[0]!).at(-1)!
    expect(last).toMatchObject({ origin: csv, source: 'human', state: 'accepted', undone: false })
    expect(copy.store.labels.undo()?.imageIds).toEqual(imageIds)
    expect(copy.store.images.get(imageIds[0]!)?.status).toBe('unlabelled')
    expect(copy.store.classes.list()).toEqual([])
    copy.store.labels.redo()
    expect(copy.store.classes.list().map((c) => c.name)).toEqual(['formicidae'])
    expect(copy.store.images.get(imageIds[0]!)?.status).toBe('human')
  })

  it('a class an undone import created comes back when a person creates it, or another import names it', async () => {
    const copy = await freshCopy('revive')
    const csv = path.join(dir, 'revive.csv')
    await writeFile(csv, `path,class\nbees/${(await readdir(path.join(copy.folder, 'bees'))).sort()[0]},apis\n`)
    await importLabels(copy, { format: 'csv', source: csv })
    copy.store.labels.undo()
    expect(copy.store.classes.list()).toEqual([])
    // Another action ends the redo stack: the import is undone for good, its class with it ...
    copy.store.labels.set([copy.store.queries.allImages()[0]!.id], null)
    expect(copy.store.classes.list()).toEqual([])
    // ... until an import names it again (same id: history keeps naming it) or a person creates it.
    const again = await importLabels(copy, { format: 'csv', source: csv })
    expect(again.report.newClasses).toEqual(['apis'])
    const id = copy.store.classes.list()[0]!.id
    copy.store.labels.undo()
    expect(copy.store.classes.ensure('apis')).toBe(id)
    expect(copy.store.classes.list().map((c) => c.name)).toEqual(['apis'])
  })

  it('a class an import creates gets a colour no live class has, as one made in the Classes panel', async () => {
    const copy = await freshCopy('colours')
    const ants = copy.store.classes.create('ants')
    copy.store.classes.create('bees')
    copy.store.classes.delete(ants, 'user')
    const csv = path.join(dir, 'colours.csv')
    await writeFile(csv, `path,class\nbees/${(await readdir(path.join(copy.folder, 'bees'))).sort()[0]},apis\n`)
    await importLabels(copy, { format: 'csv', source: csv })
    // Without a colour of its own, apis would take the palette's by its place (second: bees' colour).
    const colours = copy.store.classes.list().map((c) => c.color)
    expect(colours.every((c) => c !== null)).toBe(true)
    expect(new Set(colours).size).toBe(2)
  })

  it('undoing an import keeps a class it created while another label still uses it', async () => {
    const copy = await freshCopy('shared-class')
    const bees = (await readdir(path.join(copy.folder, 'bees'))).sort()
    const csv = path.join(dir, 'shared-class.csv')
    await writeFile(csv, `path,class\nbees/${bees[0]},apis\n`)
    await importLabels(copy, { format: 'csv', source: csv, actor: 'alice' })
    const apis = copy.store.classes.list().find((c) => c.name === 'apis')!.id
    const other = copy.store.images.byPath(`bees/${bees[1]}`)!
    copy.store.labels.set([other.id], apis, 'bob')
    // Alice's undo takes back her import, not the class Bob's label names.
    copy.store.labels.undo('alice')
    expect(copy.store.classes.list().map((c) => c.name)).toEqual(['apis'])
    // Once no image holds it, the undone import's class is gone again.
    copy.store.labels.undo('bob')
    expect(copy.store.classes.list()).toEqual([])
  })

  it('as proposals: waiting for review with the file’s confidence, accepted like a round’s, and not withdrawn by a round', async () => {
    const copy = await freshCopy('proposals')
    const bees = (await readdir(path.join(copy.folder, 'bees'))).sort()
    const csv = path.join(dir, 'proposals.csv')
    await writeFile(csv, `path,label,confidence\nbees/${bees[0]},bees,0.75\nbees/${bees[1]},bees,0.5\n`)
    const { imageIds } = await importLabels(copy, { format: 'csv', source: csv, as: 'proposal' })
    const [a, b] = imageIds.map((id) => copy.store.images.get(id)!)
    expect([a!.status, a!.confidence, a!.roundId]).toEqual(['proposed', 0.75, null])
    expect(copy.store.queries.page({ status: 'proposed', limit: 10 }).total).toBe(2)
    copy.store.labels.retractRound(copy.store.rounds.start())
    expect(copy.store.images.get(b!.id)?.status).toBe('proposed')
    copy.store.labels.review([a!.id], 'accept')
    copy.store.labels.review([b!.id], 'reject')
    expect([copy.store.images.get(a!.id)?.status, copy.store.images.get(b!.id)?.status]).toEqual(['accepted', 'rejected'])
    // A person's seed label is still no pseudo-label to review.
    const seed = copy.store.images.byPath(`bees/${bees[2]}`)!
    copy.store.labels.set([seed.id], copy.store.classes.ensure('bees'))
    expect(copy.store.labels.review([seed.id], 'reject')).toBeNull()
  })

  it('a label a person gave is kept unless asked to replace it, and the report names the conflict', async () => {
    const copy = await freshCopy('conflicts')
    const ant = copy.store.images.byPath('ants/' + (await readdir(path.join(copy.folder, 'ants'))).sort()[0])!
    copy.store.labels.set([ant.id], copy.store.classes.ensure('ants'))
    const csv = path.join(dir, 'conflict.csv')
    await writeFile(csv, `path,class\n${ant.path},bees\n`)
    const kept = await importLabels(copy, { format: 'csv', source: csv })
    expect(kept.report.conflicts).toEqual({ count: 1, first: [{ path: ant.path, current: 'ants', imported: 'bees' }] })
    expect(kept.report.toWrite).toBe(0)
    expect(kept.imageIds).toEqual([])
    const replaced = await importLabels(copy, { format: 'csv', source: csv, onConflict: 'replace' })
    expect(replaced.imageIds).toEqual([ant.id])
    expect(copy.store.images.get(ant.id)?.classId).toBe(copy.store.classes.list().find((c) => c.name === 'bees')!.id)
    // Already so: nothing to write, nothing to undo.
    expect((await importLabels(copy, { format: 'csv', source: csv })).report).toMatchObject({ unchanged: 1, toWrite: 0, conflicts: { count: 0 } })
  })

  it('a label a person gives while the import reads its file is kept too (the plan is checked again when written)', async () => {
    const copy = await freshCopy('race')
    const bees = (await readdir(path.join(copy.folder, 'bees'))).sort()
    const [a, b] = [copy.store.images.byPath(`bees/${bees[0]}`)!, copy.store.images.byPath(`bees/${bees[1]}`)!]
    const csv = path.join(dir, 'race.csv')
    await writeFile(csv, `path,class\n${a.path},apis\n${b.path},apis\n`)
    // The plan reads the project before its first await; the person labels while the file is read.
    const importing = importLabels(copy, { format: 'csv', source: csv, as: 'proposal' })
    copy.store.labels.set([a.id], copy.store.classes.ensure('bees'))
    const { report, imageIds } = await importing
    expect(imageIds).toEqual([b.id])
    expect(copy.store.images.get(a.id)).toMatchObject({ status: 'human', classId: copy.store.classes.ensure('bees') })
    expect(report).toMatchObject({ toWrite: 1, conflicts: { count: 1, first: [{ path: a.path, current: 'bees', imported: 'apis' }] } })

    // A class the import would create that a person creates meanwhile is theirs: undoing the import keeps it.
    const csv2 = path.join(dir, 'race2.csv')
    await writeFile(csv2, `path,class\nbees/${bees[2]},apoidea\n`)
    const second = importLabels(copy, { format: 'csv', source: csv2 })
    copy.store.classes.ensure('apoidea')
    expect((await second).report.newClasses).toEqual([])
    copy.store.labels.undo()
    expect(copy.store.classes.list().map((c) => c.name)).toContain('apoidea')
  })

  it('reports unmatched rows with their names, and file names shared by several images as ambiguous', async () => {
    const copy = await freshCopy('report')
    const ants = (await readdir(path.join(copy.folder, 'ants'))).sort()
    const csv = path.join(dir, 'report.csv')
    // ants[0] is also the name of more/ants[0] (another photo): by name alone it is ambiguous.
    await writeFile(csv, `file_name,class\nelsewhere/${ants[0]},ants\nnot-here.jpg,ants\nelsewhere/${ants[2]},ants\n`)
    const { report } = await importLabels(copy, { format: 'csv', source: csv, dryRun: true })
    expect(report).toMatchObject({ rows: 3, matched: 1, byName: 1, unmatched: { count: 1, first: ['not-here.jpg (line 3)'] }, ambiguous: { count: 1 } })
    expect(report.ambiguous.first[0]).toContain(`elsewhere/${ants[0]} (line 2)`)
  })
})

describe('other tools’ formats', () => {
  it('Label Studio: the latest annotation’s choice, else the prediction with its score; upload prefixes and local-files paths', async () => {
    const copy = await freshCopy('labelstudio')
    const [a0, a1] = (await readdir(path.join(copy.folder, 'ants'))).sort().slice(2)
    const [b0, b1] = (await readdir(path.join(copy.folder, 'bees'))).sort()
    const choice = (c: string[], extra = {}) => [{ from_name: 'choice', to_name: 'image', type: 'choices', value: { choices: c }, ...extra }]
    const tasks = [
      { id: 1, data: { image: `/data/upload/3/1a2b3c4d-${a0}` }, annotations: [{ result: choice(['Ant']) }, { result: choice(['ants']) }] },
      { id: 2, data: { image: `/data/local-files/?d=bees%2F${b0}` }, annotations: [{ was_cancelled: true, result: choice(['ants']) }, { result: choice(['bees']) }] },
      { id: 3, data: { image: `s3://bucket/photos/bees/${b1}` }, annotations: [], predictions: [{ score: 0.66, result: choice(['bees']) }] },
      { id: 4, data: { image: `http://host/data/${a1}` }, annotations: [{ result: choice(['ants', 'bees']) }] },
    ]
    const file = path.join(dir, 'ls.json')
    await writeFile(file, JSON.stringify(tasks))
    const { report } = await importLabels(copy, { format: 'labelstudio', source: file })
    expect(report).toMatchObject({ rows: 4, matched: 3, skipped: { count: 1 }, newClasses: ['ants', 'bees'] })
    expect(report.skipped.first[0]).toContain('several choices (ants, bees)')
    const got = labelsByPath(copy)
    expect([got.get(`ants/${a0}`), got.get(`bees/${b0}`), got.get(`bees/${b1}`), got.get(`ants/${a1}`)]).toEqual(['ants', 'bees', 'bees', null])
    expect(copy.store.images.byPath(`bees/${b1}`)?.confidence).toBeNull() // imported as a person's label: no confidence
  })

  it('COCO with boxes: the majority category of an image’s boxes; a tie is skipped, not guessed', async () => {
    const copy = await freshCopy('coco-boxes')
    const [a0, a1] = (await readdir(path.join(copy.folder, 'ants'))).sort().slice(2)
    const coco = {
      images: [
        { id: 7, file_name: `ants/${a0}` },
        { id: 8, file_name: `ants/${a1}` },
      ],
      categories: [
        { id: 1, name: 'ants' },
        { id: 2, name: 'bees' },
      ],
      annotations: [
        { id: 1, image_id: 7, category_id: 1, bbox: [0, 0, 5, 5] },
        { id: 2, image_id: 7, category_id: 1, bbox: [5, 5, 5, 5] },
        { id: 3, image_id: 7, category_id: 2, bbox: [1, 1, 5, 5] },
        { id: 4, image_id: 8, category_id: 1, bbox: [0, 0, 5, 5] },
        { id: 5, image_id: 8, category_id: 2, bbox: [1, 1, 5, 5] },
      ],
    }
    const file = path.join(dir, 'boxes.json')
    await writeFile(file, JSON.stringify(coco))
    const { report } = await importLabels(copy, { format: 'coco', source: file })
    expect(report).toMatchObject({ matched: 1, skipped: { count: 1 } })
    expect(report.skipped.first[0]).toContain('a tie between categories ants and bees')
    expect(labelsByPath(copy).get(`ants/${a0}`)).toBe('ants')
  })
})
