/**
 * Request name -> schema of its input. Main parses every input with these before acting (the
 * renderer is untrusted). Kept apart from contract.ts so the renderer bundle carries no validator.
 */
import { z } from 'zod'

const relPath = z.string().min(1).max(4096)
const imageId = z.number().int().min(1)
/** A bulk action may touch a whole class of a large project, but not unbounded input. */
const imageIds = z.array(imageId).min(1).max(200_000)
const className = z.string().trim().min(1, 'a class needs a name').max(100)

/** The app's settings, as saved in settings.json and as `settings.set` accepts them. */
export const settingsSchema = z
  .object({
    /** Teacher model id (a manifest in models/ or STUDIO_MODELS_DIR). */
    teacher: z.string().min(1).max(200),
    /** Execution provider: auto tries the platform's GPU providers, then WebGPU, then the CPU. */
    provider: z.enum(['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu']),
    /** GPU device index for CUDA, DirectML and WebGPU. */
    deviceId: z.number().int().min(0).max(15),
    /** Threads for inference on the CPU; 0 lets ONNX Runtime choose. */
    threads: z.number().int().min(0).max(256),
  })
  .strict()

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
  /** The app's settings (teacher model, execution provider, threads). */
  'settings.get': z.object({}).strict(),
  /** Change some settings; they are saved at once and apply to the next teacher pass. */
  'settings.set': settingsSchema.partial().strict(),
  /** Which teacher runs where, and how far its embedding pass over the project is. */
  'teacher.status': z.object({}).strict(),
  /** Run the teacher over the open project again with the current settings (cached images are skipped). */
  'teacher.run': z.object({}).strict(),
  /** Cancel a long job: the teacher pass keeps what it embedded; a cancelled round writes nothing. */
  'jobs.cancel': z.object({ job: z.enum(['embed', 'round']) }).strict(),
  /** The project's rounds, oldest first, with their metrics. */
  'rounds.list': z.object({}).strict(),
  /** Train on the human and accepted labels, propose pseudo-labels for the rest (runs in the background). */
  'rounds.start': z.object({}).strict(),
  /** The project's classes with their counts per state. */
  'classes.list': z.object({}).strict(),
  /** A new class (or the existing one of that name). */
  'classes.create': z.object({ name: className }).strict(),
  'classes.rename': z.object({ id: imageId, name: className }).strict(),
  /** Seed labels by a person; `classId` null clears the label. */
  'labels.set': z.object({ imageIds: imageIds, classId: imageId.nullable() }).strict(),
  /** Accept or reject the current pseudo-labels of these images. */
  'labels.review': z.object({ imageIds: imageIds, decision: z.enum(['accept', 'reject']) }).strict(),
  /** Correct these images' labels to another class. */
  'labels.relabel': z.object({ imageIds: imageIds, classId: imageId }).strict(),
  /** Undo or redo the last label action (any person's, in this project). */
  'labels.undo': z.object({}).strict(),
  'labels.redo': z.object({}).strict(),
  /** Every label event of one image, oldest first. */
  'images.history': z.object({ imageId }).strict(),
  /** The labels as CSV or JSON, written to the project's exports folder and returned for download. */
  'labels.export': z.object({ format: z.enum(['csv', 'json']), scope: z.enum(['reviewed', 'with-proposals']) }).strict(),
  /** Images worth labelling next: diverse and representative, the labelled ones taken into account. */
  'suggest.seeds': z.object({ count: z.number().int().min(1).max(500) }).strict(),
  /** Draw a new spot-check sample: up to `perClass` random proposals of each class. */
  'audit.start': z.object({ perClass: z.number().int().min(1).max(200) }).strict(),
  /** Each class's pseudo-label precision from the spot-check verdicts so far. */
  'audit.report': z.object({}).strict(),
  /** Facts about one image. */
  'images.get': z.object({ relPath }).strict(),
} as const

