/**
 * Importing an ONNX file as a teacher from the Settings wizard: inspect it, then check the recipe on
 * a few of the open project's images and save it in the app's models folder (all projects see it).
 * The engine's import (engine/teacher/import.ts) does the work, the same as the CLI's `models import`.
 */
import path from 'node:path'
import { StudioError, type TeacherImportChoices, type TeacherInspection } from '../../../preload/contract'
import type { Project } from '../../engine/project/project'
import { ImportError, importTeacher, inspectFile, spreadSample } from '../../engine/teacher/import'
import { installedModelsDir } from '../../engine/teacher/manifest'
import type { ImportChoices } from '../../engine/teacher/inspect'
import { confined } from '../confine'
import type { HandlerGroup } from './handler'

/** The engine's refusals are the user's to fix (another output, size, id): said as invalid input. */
async function userFacing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof ImportError) throw new StudioError('invalid_input', err.message)
    throw err
  }
}

/** Up to 8 readable images of the project, spread over its files (the store knows them: no walk). */
function projectImages(project: Project): string[] {
  const readable = [...project.store.images.knownFiles()].filter(([, f]) => f.imageId !== null).map(([rel]) => rel)
  return spreadSample(readable.sort()).map((rel) => path.join(project.folder, rel))
}

/** Only what the user set: a null pooling means "none" only when they chose it. */
function toChoices(c: Partial<TeacherImportChoices>): ImportChoices {
  const { pooling, ...rest } = c
  return { ...rest, ...(pooling ? { pooling } : {}) }
}

export const modelImportHandlers = {
  'models.inspect': ({ path: file }, ctx) =>
    userFacing(async (): Promise<TeacherInspection> => {
      const { file: ref, inspection, proposal } = await inspectFile(await confined(ctx.host, file, 'model file'), {}, installedModelsDir(ctx.host.appDataDir))
      const p = proposal.preprocess
      return {
        path: ref.path,
        notes: [...inspection.notes, ...inspection.problems],
        candidates: inspection.candidates.map((c) => ({ tensor: c.tensor, note: c.note, dim: c.dim ?? null, pooling: c.pooling ?? null })),
        proposal: {
          id: proposal.id,
          output: proposal.outputs.embedding.tensor,
          pooling: proposal.outputs.embedding.pooling ?? null,
          size: proposal.input.size,
          mean: p.mean,
          std: p.std,
          resize: p.resize,
        },
      }
    }),
  'models.import': ({ path: file, choices, dryRun }, ctx) =>
    userFacing(async () => {
      const images = projectImages(ctx.requireProject())
      const r = await importTeacher(await confined(ctx.host, file, 'model file'), toChoices(choices), { modelsDir: installedModelsDir(ctx.host.appDataDir), images, dryRun: dryRun ?? false })
      const m = r.manifest
      return {
        id: m.id,
        dim: m.outputs.embedding.dim,
        checkedImages: r.images.length,
        savedTo: r.saved ?? null,
      }
    }),
} satisfies HandlerGroup
