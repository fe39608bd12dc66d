/**
 * Deleting, merging and colouring classes on a real project database. Labels are events: a delete
 * or merge is recorded as events (one undo step), never by rewriting or dropping history.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync } from '@photostructure/sqlite'
import { noise, tempDir } from '../library/fixtures'
import { Project } from '../../main/engine/project/project'
import { ClassConflict, SCHEMA_VERSION } from '../../main/engine/store'

const open: { p: Project; root: string }[] = []
afterEach(async () => {
  for (const { p, root } of open.splice(0)) {
    await p.close()
    rmSync(root, { recursive: true, force: true })
  }
})

async function project(n: number): Promise<{ p: Project; ids: number[]; root: string }> {
  const root = tempDir()
  for (let i = 0; i < n; i++) await noise(16, 16, 300 + i).png().toFile(path.join(root, `img${String(i).padStart(2, '0')}.png`))
  const p = await Project.open(root)
  await p.index()
  open.push({ p, root })
  return { p, ids: p.store.queries.page().items.map((i) => i.id), root }
}

const names = (p: Project) => p.store.classes.list().map((c) => c.name)

describe('class deletion', () => {
  it('clears every label of the class by recorded events; undo brings class and labels back; redo deletes again', async () => {
    const { p, ids } = await project(5)
    const [a, b, c, d, e] = ids as [number, number, number, number, number]
    const cat = p.store.classes.ensure('cat')
    const dog = p.store.classes.ensure('dog')
    p.store.labels.set([a], cat)
    p.store.labels.set([e], dog)
    const round = p.store.rounds.start()
    p.store.labels.propose(round, [
      { imageId: b, classId: cat, confidence: 0.9 },
      { imageId: c, classId: cat, confidence: 0.8 },
      { imageId: d, classId: cat, confidence: 0.7 },
    ])
    p.store.labels.review([c], 'accept')
    p.store.labels.review([d], 'reject')
    const before = ids.map((id) => p.store.images.get(id)!)

    const result = p.store.classes.delete(cat, 'user')
    expect(result.imageIds.sort()).toEqual([a, b, c, d].sort())
    expect(names(p)).toEqual(['dog'])
    for (const id of [a, b, c, d]) expect(p.store.images.get(id)).toMatchObject({ status: 'unlabelled', classId: null })
    expect(p.store.images.get(e)).toMatchObject({ status: 'human', classId: dog })
    expect(p.store.queries.counts().byStatus).toEqual({ unlabelled: 4, human: 1, proposed: 0, accepted: 0, rejected: 0 })
    // History keeps the old label and records the clearing as its own event.
    const h = p.store.labels.history(a)
    expect(h.map((x) => x.classId)).toEqual([cat, null])
    expect(h.every((x) => !x.undone)).toBe(true)
    // The deleted class is still known by name (for history), flagged deleted.
    expect(p.store.classes.listWithDeleted().find((x) => x.id === cat)).toMatchObject({ name: 'cat', deleted: true })

    expect(p.store.labels.undo()!.actionId).toBe(result.actionId)
    expect(names(p)).toEqual(['cat', 'dog'])
    expect(ids.map((id) => p.store.images.get(id)!)).toEqual(before)

    expect(p.store.labels.redo()!.actionId).toBe(result.actionId)
    expect(names(p)).toEqual(['dog'])
    expect(p.store.images.get(c)!.status).toBe('unlabelled')
  })

  it('an empty class is deleted and restored as one undo step too; its name can be used again', async () => {
    const { p } = await project(1)
    const empty = p.store.classes.ensure('empty')
    const action = p.store.classes.delete(empty, 'user')
    expect(action.imageIds).toEqual([])
    expect(names(p)).toEqual([])
    expect(p.store.labels.undo()!.actionId).toBe(action.actionId)
    expect(names(p)).toEqual(['empty'])
    p.store.classes.delete(empty, 'user')
    // Creating the name again brings the class back (same id), without the labels its deletion cleared.
    expect(p.store.classes.ensure('empty')).toBe(empty)
    expect(names(p)).toEqual(['empty'])
  })
})

describe('class merge', () => {
  it('moves every image of A to B with its state, removes A, and is one undo step', async () => {
    const { p, ids } = await project(5)
    const [a, b, c, d, e] = ids as [number, number, number, number, number]
    const wolf = p.store.classes.ensure('wolf')
    const dog = p.store.classes.ensure('dog')
    p.store.labels.set([a], wolf)
    p.store.labels.set([e], dog)
    const round = p.store.rounds.start()
    p.store.labels.propose(round, [
      { imageId: b, classId: wolf, confidence: 0.9 },
      { imageId: c, classId: wolf, confidence: 0.8 },
    ])
    p.store.labels.review([c], 'accept')
    p.store.labels.relabel([d], wolf)

    const merged = p.store.classes.merge(wolf, dog, 'user')
    expect(merged.imageIds.sort()).toEqual([a, b, c, d].sort())
    expect(names(p)).toEqual(['dog'])
    expect(p.store.images.get(a)).toMatchObject({ status: 'human', classId: dog })
    expect(p.store.images.get(b)).toMatchObject({ status: 'proposed', classId: dog, roundId: round, confidence: 0.9 })
    expect(p.store.images.get(c)).toMatchObject({ status: 'accepted', classId: dog, roundId: round })
    expect(p.store.images.get(d)).toMatchObject({ status: 'human', classId: dog })
    expect(p.store.queries.counts().byClass).toEqual([{ classId: dog, name: 'dog', byStatus: { unlabelled: 0, human: 3, proposed: 1, accepted: 1, rejected: 0 } }])
    expect(p.store.labels.history(a).map((x) => x.classId)).toEqual([wolf, dog])

    // Undo: wolf and its people's labels come back; the pending proposal stays with dog (see mergeClass).
    expect(p.store.labels.undo()!.actionId).toBe(merged.actionId)
    expect(names(p)).toEqual(['wolf', 'dog'])
    expect(p.store.images.get(a)).toMatchObject({ status: 'human', classId: wolf })
    expect(p.store.images.get(c)).toMatchObject({ status: 'accepted', classId: wolf })
    expect(p.store.images.get(b)).toMatchObject({ status: 'proposed', classId: dog })
    expect(p.store.labels.redo()!.actionId).toBe(merged.actionId)
    expect(names(p)).toEqual(['dog'])
  })

  it('the next round withdraws a merged proposal, and never the merge itself', async () => {
    const { p, ids } = await project(3)
    const [a, b] = ids as [number, number]
    const wolf = p.store.classes.ensure('wolf')
    const dog = p.store.classes.ensure('dog')
    p.store.labels.set([a], wolf)
    const round = p.store.rounds.start()
    p.store.labels.propose(round, [{ imageId: b, classId: wolf, confidence: 0.9 }])
    p.store.classes.merge(wolf, dog, 'user')
    p.store.labels.retractRound(round)
    expect(p.store.images.get(b)).toMatchObject({ status: 'unlabelled', classId: null })
    expect(p.store.images.get(a)).toMatchObject({ status: 'human', classId: dog })
    expect(names(p)).toEqual(['dog'])
  })

  it('refuses to merge a class into itself', async () => {
    const { p } = await project(1)
    const x = p.store.classes.ensure('x')
    expect(() => p.store.classes.merge(x, x, 'user')).toThrow(ClassConflict)
  })
})

describe('class names and colours', () => {
  it('renaming onto a live class is refused with a clear message; a deleted class gives its name up', async () => {
    const { p } = await project(1)
    const cat = p.store.classes.ensure('cat')
    const dog = p.store.classes.ensure('dog')
    expect(() => p.store.classes.rename(dog, 'cat')).toThrow(/exists already; merge/)
    p.store.classes.delete(cat, 'user')
    p.store.classes.rename(dog, 'cat')
    expect(names(p)).toEqual(['cat'])
    p.store.labels.undo() // the deletion: the old class returns under a name that says what happened
    expect(names(p)).toEqual([`cat (deleted ${cat})`, 'cat'])
  })

  it('stores a colour per class and survives reopening the project', async () => {
    const { p, root } = await project(1)
    const cat = p.store.classes.ensure('cat')
    p.store.classes.setColor(cat, '#12ab34')
    expect(p.store.classes.list()).toEqual([{ id: cat, name: 'cat', color: '#12ab34' }])
    await p.close()
    open.pop()
    const again = await Project.open(root)
    open.push({ p: again, root })
    expect(again.store.classes.list()).toEqual([{ id: cat, name: 'cat', color: '#12ab34' }])
    const db = new DatabaseSync(path.join(again.dataDir, 'project.db'), { readOnly: true })
    expect((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION)
    db.close()
  })
})
