/** Self-training rounds (when, with what, how they ended) and the models they used. */
import type { RoundStatus } from '../../../preload/vocabulary'
import type { Sql } from './sql'

export interface RoundRow {
  id: number
  startedAt: number
  finishedAt: number | null
  /** A RoundStatus, as stored. */
  status: string
  teacherId: number | null
  headId: number | null
  params: unknown
  summary: unknown
}

export interface ModelRow {
  id: number
  kind: string
  name: string
  path: string | null
  params: unknown
  createdAt: number
}

export class Rounds {
  constructor(private readonly sql: Sql) {}

  start(params: unknown = null, teacherId: number | null = null, headId: number | null = null): number {
    return Number(this.sql.st('INSERT INTO rounds (started_at, teacher_id, head_id, params) VALUES (?, ?, ?, ?)').run(Date.now(), teacherId, headId, JSON.stringify(params)).lastInsertRowid)
  }

  finish(id: number, status: Exclude<RoundStatus, 'running'>, summary: unknown = null): void {
    this.sql.st('UPDATE rounds SET finished_at = ?, status = ?, summary = ? WHERE id = ?').run(Date.now(), status, JSON.stringify(summary), id)
  }

  /** Every round, oldest first. */
  list(): RoundRow[] {
    return (this.sql.st('SELECT * FROM rounds ORDER BY id').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      startedAt: r.started_at as number,
      finishedAt: r.finished_at as number | null,
      status: r.status as string,
      teacherId: r.teacher_id as number | null,
      headId: r.head_id as number | null,
      params: JSON.parse((r.params as string | null) ?? 'null') as unknown,
      summary: JSON.parse((r.summary as string | null) ?? 'null') as unknown,
    }))
  }

  addModel(kind: 'teacher' | 'head' | 'student', name: string, filePath: string | null, params: unknown = null): number {
    return Number(this.sql.st('INSERT INTO models (kind, name, path, params, created_at) VALUES (?, ?, ?, ?, ?)').run(kind, name, filePath, JSON.stringify(params), Date.now()).lastInsertRowid)
  }

  models(): ModelRow[] {
    return (this.sql.st('SELECT id, kind, name, path, params, created_at FROM models ORDER BY id').all() as { id: number; kind: string; name: string; path: string | null; params: string; created_at: number }[]).map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      path: r.path,
      params: JSON.parse(r.params) as unknown,
      createdAt: r.created_at,
    }))
  }
}
