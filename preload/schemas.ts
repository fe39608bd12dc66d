/**
 * Request name -> schema of its input. Main parses every input with these before acting (the
 * renderer is untrusted). Kept apart from contract.ts so the renderer bundle carries no validator.
 */
import { z } from 'zod'
import { CANCELLABLE_JOBS, EXPORT_SCOPES, HEAD_KINDS, IMPORT_AS, IMPORT_CONFLICTS, IMPORT_FORMATS, LABEL_FORMATS, LIMITS, MAX_VIEWS, PROVIDER_SETTINGS, TEACHER_FILE_ROLES, REVIEW_DECISIONS, SORT_KEYS, STATUS_FILTERS, STRATEGY_NAMES } from './vocabulary'

const relPath = z.string().min(1).max(LIMITS.maxPath)
const folder = z.string().min(1).max(LIMITS.maxPath)
/** A file on the machine main runs on (the web host's, not the browser's). */
const filePath = folder
const imageId = z.number().int().min(1)
/** A bulk action may touch a whole class of a large project, but not unbounded input. */
const imageIds = z.array(imageId).min(1).max(LIMITS.maxBulkImages)
/** Only ONNX files can be imported as teachers (the path is read on the machine main runs on). */
const onnxPath = z.string().min(1).max(LIMITS.maxPath).regex(/\.onnx$/i, 'must be an .onnx file')
const dimension = z.number().int().min(1).max(4096)
const positive = z.number().positive()
const teacherId = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a teacher id').max(200)
const className = z.string().trim().min(1, 'a class needs a name').max(LIMITS.maxClassName)

/** The app's settings, as saved in settings.json and as `settings.set` accepts them. */
export const settingsSchema = z
  .object({
    /** Teacher model id (a manifest in the app's models folder, STUDIO_MODELS_DIR or models/). */
    teacher: z.string().min(1).max(200),
    /** Execution provider: auto tries the platform's GPU providers, then WebGPU, then the CPU. */
    provider: z.enum(PROVIDER_SETTINGS),
    /** GPU device index for CUDA, DirectML and WebGPU. */
    deviceId: z.number().int().min(0).max(LIMITS.maxDeviceId),
    /** Threads for inference on the CPU; 0: automatic (every core, see teacher.ts). */
    threads: z.number().int().min(0).max(LIMITS.maxThreads),
    /** How rounds pick pseudo-labels. */
    strategy: z.enum(STRATEGY_NAMES),
    /** The strategy's knob in [0, 1]; null keeps the strategy's own default. */
    strategyParam: z.number().min(0).max(1).nullable(),
    /** The head rounds train: logistic or mlp. */
    head: z.enum(HEAD_KINDS),
    /** Prompt templates for class names (text-aligned teachers); each holds `{}`; null: the teacher's own. */
    prompts: z.array(z.string().trim().min(1).max(LIMITS.maxPrompt).includes('{}', { message: 'a prompt needs {} where the class name goes' })).min(1).max(LIMITS.maxPrompts).nullable(),
    /** Pull the head toward the class names' text directions (text-aligned teachers). */
    textPrior: z.boolean(),
    /** A mirror's base URL for teacher downloads (http or https), or null for the publishers' own. */
    modelMirror: z
      .string()
      .max(LIMITS.maxPath)
      .regex(/^https?:\/\/[^\s/]+/, 'a mirror is an http:// or https:// base URL')
      .nullable(),
    /** Augmented views per image the teacher embeds (0: none). */
    views: z.number().int().min(0).max(MAX_VIEWS),
    /** Rounds score each image on the mean of its clean and view embeddings. */
    testTimeViews: z.boolean(),
    /** The head trains on the views too, with input dropout (Noisy Student). */
    noisyStudent: z.boolean(),
  })
  .strict()

/** The grid's filter and sort, shared by a page of images and the ids of the whole filter. */
const imageFilter = {
  status: z.enum(STATUS_FILTERS).optional(),
  classId: z.number().int().min(0).optional(),
  minConfidence: z.number().min(0).max(1).optional(),
  maxConfidence: z.number().min(0).max(1).optional(),
  sort: z.enum(SORT_KEYS).optional(),
  descending: z.boolean().optional(),
}

/** Request name -> schema of its input. Main parses every input with it before acting. */
export const requestSchemas = {
  /** What the host can do and which project is open. */
  'app.info': z.object({}).strict(),
  /** Ask the user for a folder (Electron: a native dialog). Resolves to null when cancelled or unsupported. */
  'dialog.pickFolder': z.object({}).strict(),
  /** Open a folder as a project and index its images. */
  'project.open': z.object({ folder }).strict(),
  /** Move the project's unusable database aside (kept, never deleted) and open the folder afresh. */
  'project.startAfresh': z.object({ folder }).strict(),
  /** A page of the open project's images, filtered and sorted by the store. */
  'images.page': z
    .object({
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(LIMITS.maxPageSize),
      ...imageFilter,
    })
    .strict(),
  /** The ids of a filter in its order (select all; a range past the loaded pages), from `offset`, up to `limit`. */
  'images.ids': z
    .object({
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(LIMITS.maxBulkImages).optional(),
      ...imageFilter,
    })
    .strict(),
  /** These images, in this order (ids no longer in the project are left out). */
  'images.byIds': z.object({ imageIds: z.array(imageId).min(1).max(LIMITS.maxPageSize) }).strict(),
  /** The `k` images most like this one in the teacher's feature space, most similar first. */
  'images.similar': z.object({ imageId, k: z.number().int().min(1).max(LIMITS.maxSimilar) }).strict(),
  /** Every file with this image's content (its exact duplicates), by path. */
  'images.files': z.object({ imageId }).strict(),
  /** The image's five most probable classes in the newest round that scored it. */
  'images.probabilities': z.object({ imageId }).strict(),
  /** Proposals waiting for review with confidence >= threshold, counted per class. */
  'proposals.countAbove': z.object({ threshold: z.number().min(0).max(1) }).strict(),
  /** Accept every waiting proposal with confidence >= threshold (of one class, or all): one undoable action. */
  'proposals.acceptAbove': z.object({ threshold: z.number().min(0).max(1), classId: imageId.optional() }).strict(),
  /** The app's settings (teacher model, execution provider, threads). */
  'settings.get': z.object({}).strict(),
  /** Change some settings; they are saved at once and apply to the next teacher pass. */
  'settings.set': settingsSchema.partial().strict(),
  /** Which teacher runs where, and how far its embedding pass over the project is. */
  'teacher.status': z.object({}).strict(),
  /** Run the teacher over the open project again with the current settings (cached images are skipped). */
  'teacher.run': z.object({}).strict(),
  /** Read an ONNX file: its image input, embedding candidates and a proposed recipe. */
  'models.inspect': z.object({ path: onnxPath }).strict(),
  /** Check a recipe on a few of the open project's images; save it as a teacher unless `dryRun`. */
  'models.import': z
    .object({
      path: onnxPath,
      choices: z
        .object({
          id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash, underscore').max(100),
          output: z.string().min(1).max(500),
          pooling: z.enum(['cls', 'mean']).nullable(),
          size: z.tuple([dimension, dimension]),
          mean: z.tuple([z.number(), z.number(), z.number()]),
          std: z.tuple([positive, positive, positive]),
          resize: z.enum(['shorter-side-then-centre-crop', 'squash']),
        })
        .partial()
        .strict(),
      dryRun: z.boolean().optional(),
    })
    .strict(),
  /** Cancel a long job: the teacher pass keeps what it embedded; a cancelled round or map build writes nothing. */
  /** The catalog of teachers (and imported ones), each installed, not downloaded or downloading with its progress. */
  'teachers.list': z.object({}).strict(),
  /** Download a teacher's missing files into the app's models folder, verified (cancel: jobs.cancel 'download'; a retry resumes). */
  'teachers.pull': z.object({ id: teacherId }).strict(),
  /** "I already have the file": check a local file (size, sha256) and link or copy it into place for the teacher. */
  'teachers.useFile': z.object({ id: teacherId, path: filePath, role: z.enum(TEACHER_FILE_ROLES).optional() }).strict(),
  /** Remove a downloaded or imported teacher (never the shipped default). */
  'teachers.remove': z.object({ id: teacherId }).strict(),
  /** Cancel a long job: the teacher pass keeps what it embedded; a cancelled round or map build writes nothing; a cancelled download keeps its .part to resume. */
  'jobs.cancel': z.object({ job: z.enum(CANCELLABLE_JOBS) }).strict(),
  /** The project's rounds, oldest first, with their metrics. */
  'rounds.list': z.object({}).strict(),
  /** Train on the human and accepted labels, propose pseudo-labels for the rest (runs in the background). */
  'rounds.start': z
    .object({
      /** This round only: another selection strategy or knob than the settings' (the CLI's `round --strategy`). */
      strategy: z.enum(STRATEGY_NAMES).optional(),
      strategyParam: z.number().min(0).max(1).nullable().optional(),
    })
    .strict(),
  /** The project's classes with their counts per state. */
  'classes.list': z.object({}).strict(),
  /** A new class (or the existing one of that name). */
  'classes.create': z.object({ name: className }).strict(),
  'classes.rename': z.object({ id: imageId, name: className }).strict(),
  /** Clear the labels of this class's images (undoable) and remove the class. */
  'classes.delete': z.object({ id: imageId }).strict(),
  /** Move every image of class `id` to class `into` (undoable) and remove `id`. */
  'classes.merge': z.object({ id: imageId, into: imageId }).strict(),
  /** A class's colour as #rrggbb; null goes back to the palette's colour. */
  'classes.setColor': z.object({ id: imageId, color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb').nullable() }).strict(),
  /** Seed labels by a person; `classId` null clears the label. */
  'labels.set': z.object({ imageIds: imageIds, classId: imageId.nullable() }).strict(),
  /** Human labels that the k-fold head, not having seen them, most disagrees with (confident learning), most suspect first. */
  'labels.issues': z.object({}).strict(),
  /** The caller checked these human labels and keeps them: not listed by labels.issues again until they change. */
  'labels.keep': z.object({ imageIds: imageIds }).strict(),
  /** Accept or reject the current pseudo-labels of these images. */
  'labels.review': z.object({ imageIds: imageIds, decision: z.enum(REVIEW_DECISIONS) }).strict(),
  /** Correct these images' labels to another class. */
  'labels.relabel': z.object({ imageIds: imageIds, classId: imageId }).strict(),
  /** Undo or redo the caller's own last label action (a reviewer's, or the one user's). */
  'labels.undo': z.object({}).strict(),
  'labels.redo': z.object({}).strict(),
  /**
   * Up to `count` proposals (of one class, or all) leased to the caller for review: nobody else is
   * given them while the lease lasts (a minute, renewed while the caller's page is open).
   */
  'review.take': z.object({ count: z.number().int().min(1).max(LIMITS.maxPageSize), classId: imageId.optional() }).strict(),
  /** The caller is done reviewing (their queue closed): the proposals they hold are free for the others at once. */
  'review.release': z.object({}).strict(),
  /** Every label event of one image, oldest first. */
  'images.history': z.object({ imageId }).strict(),
  /**
   * The labels, written to the project's exports folder: CSV or JSON (also returned for download),
   * COCO JSON, Ultralytics' classification layout (yolo) or one folder per class. Folder formats
   * copy the images, or hard-link them (`link`) where the filesystem allows; yolo puts `valRatio`
   * of each class in val/ (seeded, the same split every time).
   */
  'labels.export': z
    .object({
      format: z.enum(LABEL_FORMATS),
      scope: z.enum(EXPORT_SCOPES),
      link: z.boolean().optional(),
      valRatio: z.number().min(0).max(0.9).optional(),
    })
    .strict(),
  /**
   * Labels read from a file (csv, json, coco, labelstudio) or folder (yolo, folders) on the machine
   * main runs on, matched to the project's images by path, file name, then content hash. `dryRun`
   * reports without writing; otherwise one undoable action. Labels come in as a person's or as
   * proposals to review; a person's label of another class is kept unless `onConflict` is replace.
   */
  'labels.import': z
    .object({
      format: z.enum(IMPORT_FORMATS),
      path: filePath,
      dryRun: z.boolean().optional(),
      onConflict: z.enum(IMPORT_CONFLICTS).optional(),
      as: z.enum(IMPORT_AS).optional(),
    })
    .strict(),
  /** The latest round's student (teacher + head) as one ONNX model in the project's exports folder. */
  'student.export': z.object({}).strict(),
  /** Open the demo project shipped with the studio (its data goes to the app's data folder). */
  'project.openDemo': z.object({}).strict(),
  /** Recently opened folders, newest first, each marked when it no longer exists. */
  'projects.recent': z.object({}).strict(),
  /** Remove a folder from the recent list (nothing on disk is touched). */
  'projects.forget': z.object({ folder }).strict(),
  /** Images worth labelling next: diverse and representative, the labelled ones taken into account. */
  'suggest.seeds': z.object({ count: z.number().int().min(1).max(LIMITS.maxSuggestions) }).strict(),
  /** The embedding map of the open project (built in the background the first time, then cached). */
  'map.get': z.object({}).strict(),
  /** The current labels of the map's images, to recolour it after label changes. */
  'map.labels': z.object({}).strict(),
  /** Draw a new spot-check sample: up to `perClass` random proposals of each class. */
  'audit.start': z.object({ perClass: z.number().int().min(1).max(LIMITS.maxAuditPerClass) }).strict(),
  /** Each class's pseudo-label precision from the spot-check verdicts so far. */
  'audit.report': z.object({}).strict(),
  /** Facts about one image. */
  'images.get': z.object({ relPath }).strict(),
} as const

