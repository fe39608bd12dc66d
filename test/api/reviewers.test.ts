/**
 * Who decided: per-reviewer decision counts and their agreement (Cohen's kappa) in the audit
 * report, and the `decided_by` of every exported label, on a real project whose label events were
 * made through the store by two named reviewers (as the web host does with one token each).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { Project } from '../../main/engine/project/project'
import { exportLabels } from '../../main/engine/exchange/export'
import { auditReport } from '../../main/app/spot-check'

let dir: string
let project: Project
const id = (i: number) => project.store.images.byPath(`img-${i}.png`)!.id

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-reviewers-'))
  const images = path.join(dir, 'images')
  await mkdir(images)
  for (let i = 1; i <= 10; i++) await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: i * 20, g: 0, b: 0 } } }).png().toFile(path.join(images, `img-${i}.png`))
  project = await Project.open(images, { dataDir: path.join(dir, 'data') })
  await project.index()
  const labels = project.store.labels
  const cat = project.store.classes.ensure('cat')
  const dog = project.store.classes.ensure('dog')
  labels.set([id(1)], cat, 'alice')
  labels.set([id(2)], dog, 'alice')
  labels.propose(project.store.rounds.start(), [3, 4, 5, 6, 7, 8, 9].map((i) => ({ imageId: id(i), classId: cat, confidence: 0.9 })))
  // Alice reviews six proposals, then Bob the same six.
  labels.review([id(3), id(4), id(5), id(6)], 'accept', 'alice')
  labels.review([id(7), id(8)], 'reject', 'alice')
  labels.review([id(3), id(4), id(5)], 'accept', 'bob')
  labels.review([id(6), id(7)], 'reject', 'bob')
  labels.relabel([id(8)], dog, 'bob')
  // Bob labels image 2 too, then clears his label: he no longer judges it (the clear is not counted).
  labels.set([id(2)], cat, 'bob')
  labels.set([id(2)], null, 'bob')
  // Carol's label is undone: it counts for nobody.
  labels.set([id(10)], dog, 'carol')
  labels.undo('carol')
})

afterAll(async () => {
  await project?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('audit report per reviewer', () => {
  it('counts each reviewer’s live decisions by kind, with no spot-check sample drawn', async () => {
    const report = await auditReport(project)
    expect(report?.createdAt).toBe(null)
    expect(report?.reviewers).toEqual([
      { actor: 'alice', seeds: 2, accepted: 4, rejected: 2, relabelled: 0 },
      { actor: 'bob', seeds: 1, accepted: 3, rejected: 2, relabelled: 1 },
    ])
  })

  it("gives Cohen's kappa over the images both judged, by each one's latest judgement", async () => {
    // alice: cat cat cat cat rejected rejected; bob: cat cat cat rejected rejected dog.
    // p_o = 4/6, p_e = 4/6*3/6 + 2/6*2/6 = 4/9, kappa = (2/3 - 4/9) / (5/9) = 0.4.
    const report = await auditReport(project)
    expect(report?.agreement).toHaveLength(1)
    const [pair] = report!.agreement
    expect(pair).toMatchObject({ a: 'alice', b: 'bob', shared: 6, agreed: 4 })
    expect(pair!.kappa).toBeCloseTo(0.4, 12)
  })
})

describe('exports name who decided', () => {
  const out = (name: string) => path.join(dir, 'out', name)

  it('CSV and JSON carry decided_by: the reviewer of each label, the round for a proposal', async () => {
    const csv = await exportLabels(project, { format: 'csv', scope: 'with-proposals', dest: out('labels.csv') })
    const lines = (csv.content ?? '').trim().split('\r\n')
    expect(lines[0]).toBe('path,class,status,confidence,round,sha256,decided_by')
    const by = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',').at(-1)]))
    expect(by.get('img-1.png')).toBe('alice')
    expect(by.get('img-3.png')).toBe('bob')
    expect(by.get('img-8.png')).toBe('bob')
    expect(by.get('img-9.png')).toBe('round 1')
    expect(by.has('img-10.png')).toBe(false)
    const json = await exportLabels(project, { format: 'json', scope: 'reviewed', dest: out('labels.json') })
    const rows = (JSON.parse(json.content ?? '') as { labels: { path: string; decided_by: string }[] }).labels
    expect(rows.find((r) => r.path === 'img-1.png')?.decided_by).toBe('alice')
    expect(rows.find((r) => r.path === 'img-8.png')?.decided_by).toBe('bob')
  })

  it('COCO puts decided_by in each annotation', async () => {
    await exportLabels(project, { format: 'coco', scope: 'reviewed', dest: out('labels.coco.json') })
    const coco = JSON.parse(await readFile(out('labels.coco.json'), 'utf8')) as { images: { id: number; file_name: string }[]; annotations: { image_id: number; decided_by?: string }[] }
    const file = new Map(coco.images.map((i) => [i.id, i.file_name]))
    const by = new Map(coco.annotations.map((a) => [file.get(a.image_id), a.decided_by]))
    expect(by.get('img-1.png')).toBe('alice')
    expect(by.get('img-6.png')).toBe(undefined) // rejected by bob: not exported
    expect(by.get('img-4.png')).toBe('bob')
  })
})
