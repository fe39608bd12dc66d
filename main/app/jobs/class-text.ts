/**
 * The class text directions a round uses with a text-aligned teacher: the teacher's text tower run
 * over the class names and prompt templates. Kept in memory per (teacher, prompts, names): the
 * names change rarely between rounds, and loading a text tower costs about a second.
 */
import { loadManifest } from '../../engine/teacher'
import { classTextInWorker } from '../../engine/teacher/text'
import { matrix } from '../../engine/math/linalg'
import type { ClassText } from '../../engine/selftrain/zero-shot'

const cache = new Map<string, Promise<ClassText>>()

/** Whether the teacher `teacherId` has a text tower (false when its manifest cannot be read). */
export async function teacherHasText(teacherId: string): Promise<boolean> {
  try {
    return (await loadManifest(teacherId)).manifest.text !== undefined
  } catch {
    return false
  }
}

/**
 * k x dim unit rows, one per class name, or null when the teacher has no text tower. `prompts`:
 * the user's templates; null or empty keeps the manifest's own.
 */
export async function classTextFor(teacherId: string, names: string[], prompts: string[] | null): Promise<ClassText | null> {
  const loaded = await loadManifest(teacherId)
  const spec = loaded.manifest.text
  if (!spec) return null
  const templates = prompts?.length ? prompts : spec.prompts
  const key = JSON.stringify([teacherId, loaded.manifest.text?.file.sha256, templates, names])
  let hit = cache.get(key)
  if (!hit) {
    hit = classTextInWorker(loaded, names, templates).then((T) => ({ T: matrix(names.length, spec.output.dim, T), logitScale: spec.logitScale }))
    cache.set(key, hit)
    // a failure (a missing file) is not kept: the next round tries again
    hit.catch(() => cache.delete(key))
  }
  return hit
}
