/**
 * The project store: SQLite (WAL) in the project's data folder (see engine/project/paths.ts).
 * Images are known by content hash; files map paths to images; labels are events, and each image's
 * current label is materialised in the same transaction. Reach it through `project.store`
 * (engine/project/project.ts opens it); store.ts lists its parts.
 */
export * from './db'
export { ProjectStore } from './store'
export type { ImageRow, FileContent, FileRecord, KnownFile } from './images'
export type { PageQuery, Page, Counts } from './queries'
export { ClassConflict, type ClassRow } from './classes'
export type { ImportedLabel, Judgement, LabelChange, LabelEventRow, Proposal, UndoResult } from './labels'
export type { RoundRow, ModelRow } from './rounds'
export { LEASE_GRACE_MS, LEASE_TTL_MS, type HeldLease } from './leases'
