/**
 * The studio's vocabulary, written once: the words and limits that the contract, its input schemas
 * (zod enums built from these tuples), the engine and the renderer all share. Plain data and pure
 * functions only, so every layer may import it: no Node, no DOM, no zod.
 */

/** What the grid shows for an image, derived from its latest live label event (`statusOf`). */
export const IMAGE_STATUSES = ['unlabelled', 'human', 'proposed', 'accepted', 'rejected'] as const
export type ImageStatus = (typeof IMAGE_STATUSES)[number]

/** A count of zero for every status, to count images into. */
export function zeroPerStatus(): Record<ImageStatus, number> {
  return { unlabelled: 0, human: 0, proposed: 0, accepted: 0, rejected: 0 }
}

/** The grid's status filter: a status, every image, or every labelled one. */
export const STATUS_FILTERS = ['all', ...IMAGE_STATUSES, 'labelled'] as const
export type StatusFilter = (typeof STATUS_FILTERS)[number]

/** Who made a label event, and what it says of the label. See LabelChange in the store. */
export const LABEL_SOURCES = ['human', 'pseudo'] as const
export type LabelSource = (typeof LABEL_SOURCES)[number]
export const LABEL_STATES = ['proposed', 'accepted', 'rejected', 'relabelled'] as const
export type LabelState = (typeof LABEL_STATES)[number]

/** The grid status a label event gives its image: the one rule, used by the store and by the UI's optimistic updates. */
export function statusOf(e: { classId: number | null; source: LabelSource; state: LabelState }): ImageStatus {
  if (e.classId === null) return 'unlabelled'
  if (e.state === 'rejected') return 'rejected'
  if (e.state === 'relabelled' || e.source === 'human') return 'human'
  return e.state // pseudo: proposed or accepted
}

/** A person's verdict on a pseudo-label. */
export const REVIEW_DECISIONS = ['accept', 'reject'] as const
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number]

/** How a round ended, or that it still runs. */
export const ROUND_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const
export type RoundStatus = (typeof ROUND_STATUSES)[number]

/** How a page of images can be ordered. */
export const SORT_KEYS = ['name', 'confidence', 'uncertainty', 'changed'] as const
export type SortKey = (typeof SORT_KEYS)[number]

/**
 * How a round picks its pseudo-labels (main/engine/selftrain/selection), each with its one knob in
 * [0, 1] and the value the knob takes when the settings leave it unset.
 */
export const STRATEGIES = {
  threshold: { defaultParam: 0.9 },
  adaptive: { defaultParam: 0 },
  balanced: { defaultParam: 1 },
  agreement: { defaultParam: 1 },
  ensemble: { defaultParam: 1 },
} as const
export const STRATEGY_NAMES = ['threshold', 'adaptive', 'balanced', 'agreement', 'ensemble'] as const satisfies readonly (keyof typeof STRATEGIES)[]
export type StrategyName = (typeof STRATEGY_NAMES)[number]
/** The strategy rounds use unless the settings say otherwise: nothing beat it in the eval. */
export const DEFAULT_STRATEGY: StrategyName = 'ensemble'

/** The classifier a round trains on the embeddings (selftrain/logistic.ts, selftrain/mlp.ts). */
export const HEAD_KINDS = ['logistic', 'mlp'] as const
export type HeadKind = (typeof HEAD_KINDS)[number]

/** Execution providers: auto tries the platform's GPU providers, then WebGPU, then the CPU. */
export const PROVIDER_SETTINGS = ['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const
export type ProviderSetting = (typeof PROVIDER_SETTINGS)[number]
export type ProviderName = Exclude<ProviderSetting, 'auto'>

/**
 * Augmented views the teacher embeds per image (flip, resized crop, colour jitter; 0: none), for
 * test-time averaging and the noisy student. The default follows the eval
 * (test/bench/results/ablation-views.json); each view costs one more embedding per image.
 */
export const DEFAULT_VIEWS = 0
export const MAX_VIEWS = 8

/** The teacher a fresh install uses, and the demo always. */
export const DEFAULT_TEACHER = 'mobilenetv2-12-int8'

/** What the studio suggests a teacher for, in the catalog (models/catalog.json). */
export const TEACHER_USES = ['photos', 'small-or-greyscale', 'cpu-laptop', 'classes-by-name'] as const
export type TeacherUse = (typeof TEACHER_USES)[number]

/** The files a teacher's manifest may name: the model, a text tower and its tokenizer. */
export const TEACHER_FILE_ROLES = ['file', 'text', 'tokenizer'] as const
export type TeacherFileRole = (typeof TEACHER_FILE_ROLES)[number]

/** Long jobs a person can cancel. */
export const CANCELLABLE_JOBS = ['embed', 'round', 'map', 'download', 'issues'] as const
export type CancellableJob = (typeof CANCELLABLE_JOBS)[number]

/** Label export formats, and which labels go out. */
export const LABEL_FORMATS = ['csv', 'json', 'coco', 'yolo', 'folders'] as const
export type LabelFormat = (typeof LABEL_FORMATS)[number]
export const EXPORT_SCOPES = ['reviewed', 'with-proposals'] as const
export type ExportScope = (typeof EXPORT_SCOPES)[number]

/** Label import formats: every export format, and Label Studio's JSON export (its choices). */
export const IMPORT_FORMATS = [...LABEL_FORMATS, 'labelstudio'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]
/** What an import does to an image a person already labelled with another class. */
export const IMPORT_CONFLICTS = ['keep', 'replace'] as const
export type ImportConflict = (typeof IMPORT_CONFLICTS)[number]
/** Imported labels come in as a person's labels, or as proposals to review (labels from another model). */
export const IMPORT_AS = ['human', 'proposal'] as const
export type ImportAs = (typeof IMPORT_AS)[number]

/** Colours given to new classes in turn (and the fallback, by position, for a class without one). */
export const CLASS_PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#808000'] as const

/**
 * The colour for a new class: the first palette colour no class uses, then hues spaced by the
 * golden angle (no two close together however many classes come), so colours never repeat.
 */
export function freshClassColor(used: readonly (string | null)[]): string {
  const taken = new Set(used.map((c) => c?.toLowerCase()))
  const free = CLASS_PALETTE.find((c) => !taken.has(c))
  if (free) return free
  for (let i = 0; ; i++) {
    const hue = Math.round((i * 137.508) % 360)
    const [r, g, b] = [0, 8, 4].map((n) => {
      const k = (n + hue / 30) % 12
      return Math.round(255 * (0.5 - 0.4 * Math.max(-1, Math.min(k - 3, 9 - k, 1))))
    }) as [number, number, number]
    const hex = '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')
    if (!taken.has(hex)) return hex
  }
}

/** A class's colour: its own, else the palette's by its position in the class list. */
export function classColor(index: number, own: string | null): string {
  return own ?? CLASS_PALETTE[index % CLASS_PALETTE.length] ?? '#888'
}

/** Bounds on what crosses the boundary: large enough for a whole class of a large project, never unbounded. */
export const LIMITS = {
  /** The highest GPU index the settings accept (CUDA, DirectML and WebGPU number their devices from 0). */
  maxDeviceId: 15,
  maxThreads: 256,
  /** Images in one page of the grid. */
  maxPageSize: 2000,
  /** Images one bulk action or id query may touch. */
  maxBulkImages: 200_000,
  maxSimilar: 500,
  maxSuggestions: 500,
  maxAuditPerClass: 200,
  maxClassName: 100,
  /** Prompt templates for class names: how many, and how long each. */
  maxPrompts: 20,
  maxPrompt: 200,
  maxPath: 4096,
} as const
