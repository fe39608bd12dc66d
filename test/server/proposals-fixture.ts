/**
 * A project with a round's proposals waiting for review, made fast for the reviewer tests and the
 * reviewers bench: `count` small synthetic PNGs (each its own content, so each its own image),
 * indexed by the real library, three classes, and one round proposing every image with a spread of
 * confidences, written through the store's own labels.propose. No teacher runs: these are about the
 * server and the store, not about what a head would propose.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { Project } from '../../main/engine/project/project'
import { projectOpenOptions } from '../../main/engine/project/locations'
import { mapLimit } from '../../main/engine/library/scan'

export const FIXTURE_CLASSES = ['cat', 'dog', 'fox']

/** Writes the images (skipping those already there) and proposes them; answers the class ids. */
export async function proposalsProject(folder: string, appDataDir: string, count: number): Promise<{ classes: number[]; imageIds: number[] }> {
  await mkdir(folder, { recursive: true })
  const names = Array.from({ length: count }, (_, i) => `img-${String(i).padStart(6, '0')}.png`)
  await mapLimit(names, 4, async (name, i) => {
    // 8x8 pixels whose colour encodes the index: distinct content, a few hundred bytes.
    const px = Buffer.alloc(8 * 8 * 3)
    for (let k = 0; k < 64; k++) {
      px[k * 3] = i & 255
      px[k * 3 + 1] = (i >> 8) & 255
      px[k * 3 + 2] = (k * 4 + (i >> 16)) & 255
    }
    await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(folder, name))
  })
  const project = await Project.open(folder, projectOpenOptions(folder, appDataDir))
  try {
    await project.index()
    const classes = FIXTURE_CLASSES.map((name) => project.store.classes.ensure(name))
    const imageIds = (project.store.db.prepare('SELECT id FROM images WHERE avail = 1 ORDER BY id').all() as { id: number }[]).map((r) => r.id)
    const roundId = project.store.rounds.start()
    project.store.labels.propose(
      roundId,
      imageIds.map((imageId, i) => ({ imageId, classId: classes[i % classes.length] as number, confidence: 0.5 + ((i * 7919) % 1000) / 2000 })),
    )
    project.store.rounds.finish(roundId, 'done')
    return { classes, imageIds }
  } finally {
    await project.close()
  }
}
