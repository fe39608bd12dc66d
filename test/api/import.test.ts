/**
 * `labels.import` through StudioApi, as the Import panel calls it: a dry run reports and writes
 * nothing, an import is one labels.changed event and one `labels.undo`, and a bad source is refused
 * as invalid input with the file's line in the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { StudioApi } from '../../main/app/studio'
import type { RequestName, StudioEvent } from '../../preload/contract'
import { callStudio, hymenopteraSubset } from '../studio-harness'

let folder = ''
let studio: StudioApi
const events: StudioEvent[] = []
const call = <N extends RequestName>(name: N, input: unknown = {}) => callStudio(studio, name, input)

beforeAll(async () => {
  folder = await hymenopteraSubset('studio-api-import-', 3)
  studio = new StudioApi({ host: 'web', appDataDir: path.join(folder, '.appdata') })
  studio.onEvent((e) => events.push(e))
  await call('project.open', { folder })
}, 60_000)

afterAll(async () => {
  await studio?.close()
  await rm(folder, { recursive: true, force: true })
})

describe('labels.import', () => {
  it('reports on a dry run, imports as one action, and one undo takes it back', async () => {
    const bees = (await readdir(path.join(folder, 'bees'))).sort()
    const csv = path.join(folder, '.appdata', 'in.csv')
    await writeFile(csv, `path,class,confidence\nbees/${bees[0]},bees,0.9\nbees/${bees[1]},bees,0.6\n`)
    const dry = await call('labels.import', { format: 'csv', path: csv, dryRun: true, as: 'proposal' })
    expect(dry).toMatchObject({ rows: 2, matched: 2, newClasses: ['bees'], toWrite: 2, imageIds: [] })
    expect(await call('classes.list')).toEqual([])

    const before = events.filter((e) => e.type === 'labels.changed').length
    const done = await call('labels.import', { format: 'csv', path: csv, as: 'proposal' })
    expect(done.imageIds).toHaveLength(2)
    expect(events.filter((e) => e.type === 'labels.changed')).toHaveLength(before + 1)
    const history = await call('images.history', { imageId: done.imageIds[0] })
    expect(history.at(-1)).toMatchObject({ origin: csv, source: 'pseudo', state: 'proposed', className: 'bees', undone: false })
    const classes = await call('classes.list')
    expect(classes.map((c) => [c.name, c.counts.proposed])).toEqual([['bees', 2]])

    const undone = await call('labels.undo')
    expect(undone?.imageIds.sort()).toEqual([...done.imageIds].sort())
    expect(await call('classes.list')).toEqual([])
  })

  it('refuses a bad source as invalid input, naming the line', async () => {
    const csv = path.join(folder, '.appdata', 'bad.csv')
    await writeFile(csv, 'path,class\nbees/x.jpg\n')
    const reply = await studio.handle('labels.import', { format: 'csv', path: csv })
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(!reply.ok && reply.error.message).toMatch(/bad\.csv line 2: 1 field where the header has 2/)
    // Only label files: a report quotes what it read, and the web host serves more than the machine's users.
    const passwd = await studio.handle('labels.import', { format: 'csv', path: '/etc/passwd', dryRun: true })
    expect(passwd).toMatchObject({ ok: false, error: { code: 'invalid_input', message: '/etc/passwd: a csv import reads a .csv, .tsv, .txt file; give the label file\'s path (or rename it)' } })
    // Nor through a link named like one: the file read is the one judged (its header would be quoted).
    await writeFile(path.join(folder, '.appdata', 'secret.key'), 'path-to-nowhere,hunter2\n')
    await symlink(path.join(folder, '.appdata', 'secret.key'), path.join(folder, '.appdata', 'link.csv'))
    const linked = await studio.handle('labels.import', { format: 'csv', path: path.join(folder, '.appdata', 'link.csv'), dryRun: true })
    expect(linked).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(!linked.ok && linked.error.message).toContain('secret.key: a csv import reads a .csv, .tsv, .txt file')
    expect(!linked.ok && linked.error.message).not.toContain('hunter2')
    const unknown = await studio.handle('labels.import', { format: 'xml', path: csv })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
  })
})
