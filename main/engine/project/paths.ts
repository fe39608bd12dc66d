/**
 * Every path under a project's data folder, in one place. Where that folder is (inside the image
 * folder, in the app's data folder, under STUDIO_DATA_DIR) is decided in locations.ts.
 *
 *   <dataDir>/project.db (+ -wal, -shm)     the store (engine/store)
 *   <dataDir>/project.lock, owner.json      the lock that keeps a second studio process out
 *   <dataDir>/thumbs/                       thumbnail cache (engine/library/thumbs.ts)
 *   <dataDir>/teacher/                      teacher cache: edited models and embeddings (engine/teacher/folder.ts)
 *   <dataDir>/map/<key>.json                map layouts, keyed by embeddings and images
 *   <dataDir>/rounds/<id>.proba, <id>.json  a round's probabilities and the hashes of their rows
 *   <dataDir>/rounds/<id>.head.proba        the round's head's own probabilities
 *   <dataDir>/rounds/<id>.head.json         the round's head, for the student export
 *   <dataDir>/audit.json                    audit samples
 *   <dataDir>/exports/                      label and student exports made from the studio
 *
 * Thumbnails, the teacher cache and maps can always be rebuilt from the folder and the database.
 */
import path from 'node:path'

/** The studio's own folder inside an image folder, where a project's data lives when it can; never scanned. */
export const STUDIO_DIR = '.pseudolabel'

export class ProjectPaths {
  /** The SQLite database; its -wal and -shm files lie beside it. */
  readonly database: string
  /** Held locked while a studio process has the project open. */
  readonly lock: string
  /** Who holds the lock (a courtesy for the "open elsewhere" message). */
  readonly owner: string
  readonly thumbs: string
  /** The teacher cache folder (edited models and embedding files, laid out by engine/teacher/folder.ts). */
  readonly teacher: string
  readonly maps: string
  readonly rounds: string
  readonly audit: string
  readonly exports: string

  constructor(readonly dataDir: string) {
    const at = (...parts: string[]) => path.join(dataDir, ...parts)
    this.database = at('project.db')
    this.lock = at('project.lock')
    this.owner = at('owner.json')
    this.thumbs = at('thumbs')
    this.teacher = at('teacher')
    this.maps = at('map')
    this.rounds = at('rounds')
    this.audit = at('audit.json')
    this.exports = at('exports')
  }

  /** A stored map layout. */
  map(key: string): string {
    return path.join(this.maps, `${key}.json`)
  }

  /** A round's probabilities (n x classes float32; the mean with the graph view when the round had one). */
  roundProba(roundId: number): string {
    return path.join(this.rounds, `${roundId}.proba`)
  }

  /** Which rows roundProba holds: `{ classIds, hashes }`. */
  roundRows(roundId: number): string {
    return path.join(this.rounds, `${roundId}.json`)
  }

  /** The round's head's own calibrated probabilities (what the exported student reproduces). */
  headProba(roundId: number): string {
    return path.join(this.rounds, `${roundId}.head.proba`)
  }

  /** The round's head, saved for the student export. */
  head(roundId: number): string {
    return path.join(this.rounds, `${roundId}.head.json`)
  }
}
