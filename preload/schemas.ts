/**
 * Request name -> schema of its input. Main parses every input with these before acting (the
 * renderer is untrusted). Kept apart from contract.ts so the renderer bundle carries no validator.
 */
import { z } from 'zod'

const relPath = z.string().min(1).max(4096)

/** Request name -> schema of its input. Main parses every input with it before acting. */
export const requestSchemas = {
  /** What the host can do and which project is open. */
  'app.info': z.object({}).strict(),
  /** Ask the user for a folder (Electron: a native dialog). Resolves to null when cancelled or unsupported. */
  'dialog.pickFolder': z.object({}).strict(),
  /** Open a folder as a project and index its images. */
  'project.open': z.object({ folder: z.string().min(1).max(4096) }).strict(),
  /** Move the project's unusable database aside (kept, never deleted) and open the folder afresh. */
  'project.startAfresh': z.object({ folder: z.string().min(1).max(4096) }).strict(),
  /** A page of the open project's images, filtered and sorted by the store. */
  'images.page': z
    .object({
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(2000),
      status: z.enum(['all', 'unlabelled', 'human', 'proposed', 'accepted', 'rejected', 'labelled']).optional(),
      classId: z.number().int().min(0).optional(),
      minConfidence: z.number().min(0).max(1).optional(),
      maxConfidence: z.number().min(0).max(1).optional(),
      sort: z.enum(['name', 'confidence', 'uncertainty', 'changed']).optional(),
      descending: z.boolean().optional(),
    })
    .strict(),
  /** Facts about one image. */
  'images.get': z.object({ relPath }).strict(),
} as const

