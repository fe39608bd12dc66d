/**
 * Review leases: when several reviewers share one studio, each proposal in review is held by at
 * most one of them, so two people are never shown (and never decide) the same proposal at once.
 * A lease lasts LEASE_TTL_MS and is renewed while its reviewer is around (their page's event
 * stream, their next take or decision); a reviewer who goes away keeps theirs LEASE_GRACE_MS more
 * (a reload, a dropped connection), then anyone may take them; one who closes their review queue
 * gives theirs back at once (`review.release`). Leases are rows in the project
 * database, not memory: after a crash and restart each reviewer gets back the proposals they held,
 * and nobody else is handed them meanwhile.
 */
import type { Sql } from './sql'

export const LEASE_TTL_MS = 60_000
/** How long a reviewer who went away (their last page closed) keeps their leases. */
export const LEASE_GRACE_MS = 15_000

/** A proposal another reviewer holds. */
export interface HeldLease {
  imageId: number
  actor: string
}

export class Leases {
  constructor(private readonly sql: Sql) {}

  /**
   * Up to `count` proposals (of `classId`, or all) leased to `actor`, renewing theirs: the ones
   * they already hold first, then free ones, most confident first. Answers image ids.
   */
  take(actor: string, count: number, classId: number | null, now: number, ttl = LEASE_TTL_MS): number[] {
    return this.sql.transaction(() => {
      this.sql.st('DELETE FROM review_leases WHERE expires_at <= ?').run(now)
      this.sql.st('UPDATE review_leases SET expires_at = ? WHERE actor = ?').run(now + ttl, actor)
      const scope = classId === null ? '' : ' AND i.class_id = ?'
      const args = classId === null ? [] : [classId]
      const held = (
        this.sql.st(`SELECT i.id FROM review_leases l JOIN images i ON i.id = l.image_id WHERE l.actor = ? AND i.avail = 1 AND i.status = 'proposed'${scope} ORDER BY i.confidence DESC, i.id LIMIT ?`).all(actor, ...args, count) as { id: number }[]
      ).map((r) => r.id)
      const want = count - held.length
      if (want <= 0) return held
      const fresh = (
        this.sql.st(`SELECT i.id FROM images i WHERE i.avail = 1 AND i.status = 'proposed'${scope} AND NOT EXISTS (SELECT 1 FROM review_leases l WHERE l.image_id = i.id) ORDER BY i.confidence DESC, i.id LIMIT ?`).all(...args, want) as { id: number }[]
      ).map((r) => r.id)
      const ins = this.sql.st('INSERT INTO review_leases (image_id, actor, expires_at) VALUES (?, ?, ?)')
      for (const id of fresh) ins.run(id, actor, now + ttl)
      return [...held, ...fresh]
    })
  }

  /** The images among `imageIds` (null: any image) that someone other than `actor` holds a live lease on. */
  heldByOthers(actor: string, imageIds: readonly number[] | null, now: number): HeldLease[] {
    // The live leases are few (reviewers x their batch); a bulk action may name 200,000 images.
    const others = this.sql.st('SELECT image_id, actor FROM review_leases WHERE actor <> ? AND expires_at > ?').all(actor, now) as { image_id: number; actor: string }[]
    if (imageIds === null) return others.map((r) => ({ imageId: r.image_id, actor: r.actor }))
    if (others.length === 0) return []
    const holder = new Map(others.map((r) => [r.image_id, r.actor]))
    const held: HeldLease[] = []
    for (const imageId of imageIds) {
      const by = holder.get(imageId)
      if (by !== undefined) held.push({ imageId, actor: by })
    }
    return held
  }

  /** Gives back `actor`'s leases on these images (decided) and renews the rest of theirs. */
  release(actor: string, imageIds: readonly number[], now: number, ttl = LEASE_TTL_MS): void {
    this.sql.transaction(() => {
      const mine = new Set((this.sql.st('SELECT image_id FROM review_leases WHERE actor = ?').all(actor) as { image_id: number }[]).map((r) => r.image_id))
      if (mine.size === 0) return
      const del = this.sql.st('DELETE FROM review_leases WHERE image_id = ?')
      for (const id of imageIds) if (mine.has(id)) del.run(id)
      this.sql.st('UPDATE review_leases SET expires_at = ? WHERE actor = ?').run(now + ttl, actor)
    })
  }

  /**
   * Leases these images to `actor` where they are proposals nobody else holds (an undone decision
   * puts its proposal back in its reviewer's hands, not up for grabs).
   */
  grant(actor: string, imageIds: readonly number[], now: number, ttl = LEASE_TTL_MS): void {
    this.sql.transaction(() => {
      const free = new Set(imageIds)
      for (const h of this.heldByOthers(actor, imageIds, now)) free.delete(h.imageId)
      const put = this.sql.st(
        `INSERT INTO review_leases (image_id, actor, expires_at) SELECT id, ?, ? FROM images WHERE id = ? AND status = 'proposed'
         ON CONFLICT (image_id) DO UPDATE SET actor = excluded.actor, expires_at = excluded.expires_at`,
      )
      for (const id of free) put.run(actor, now + ttl, id)
    })
  }

  /** `actor` is still around (their page is open): their leases last another `ttl`. */
  renew(actor: string, now: number, ttl = LEASE_TTL_MS): void {
    this.sql.st('UPDATE review_leases SET expires_at = ? WHERE actor = ?').run(now + ttl, actor)
  }

  /** `actor` went away: their leases end after the grace period unless they come back. */
  leave(actor: string, now: number, grace = LEASE_GRACE_MS): void {
    this.sql.st('UPDATE review_leases SET expires_at = min(expires_at, ?) WHERE actor = ?').run(now + grace, actor)
  }

  /** `actor` is done reviewing (their queue closed): their leases end now (deleted: a renewal must not revive them). */
  giveBack(actor: string): void {
    this.sql.st('DELETE FROM review_leases WHERE actor = ?').run(actor)
  }

  /** Who holds which images now (live leases only), for tests and the bench. */
  live(now: number): HeldLease[] {
    return (this.sql.st('SELECT image_id, actor FROM review_leases WHERE expires_at > ? ORDER BY image_id').all(now) as { image_id: number; actor: string }[]).map((r) => ({ imageId: r.image_id, actor: r.actor }))
  }
}
