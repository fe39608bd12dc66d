/**
 * The project store: SQLite (WAL) in `<folder>/.pseudolabel/project.db`. Images are known by content
 * hash; files map paths to images; labels are events, and each image's current label is
 * materialised in the same transaction. The Project class (main/engine/library/project.ts) is the
 * API to call; this module is its storage layer.
 */
export * from './db'
export * from './store'
