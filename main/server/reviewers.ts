/**
 * Named reviewers of the web host: each has their own token, so the studio knows who made every
 * decision (label events record the name), whose undo is whose, and who holds which proposals.
 *
 * `serve --reviewer alice --reviewer bob` gives each a random token at every start. A reviewers
 * file (`--reviewers FILE`) names them one per line (`alice`, or `alice <token>` to keep a token
 * across restarts; blank lines and `# comments` skipped) or as JSON (`["alice", {"name": "bob",
 * "token": "..."}]`). A token given in a file must be at least 20 characters of A-Z a-z 0-9 _ -
 * (hard to guess); names are unique regardless of case.
 */
import { randomBytes } from 'node:crypto'

export interface Reviewer {
  name: string
  token: string
}

/** The actor of the desktop app and of the single-token host; a reviewer cannot take it. */
const RESERVED = 'user'
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@'-]{0,63}$/u
const TOKEN = /^[A-Za-z0-9_-]{20,200}$/

/** Bad reviewer names or tokens: `serve` prints the message and exits with 2. */
export class ReviewerError extends Error {}

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

function checkName(name: string, where: string): string {
  const trimmed = name.trim()
  if (trimmed === '') throw new ReviewerError(`${where}: a reviewer needs a name`)
  if (!NAME.test(trimmed)) throw new ReviewerError(`${where}: reviewer name "${trimmed}" must be 1 to 64 letters, digits, spaces or . _ @ ' - (starting with a letter or digit)`)
  if (trimmed.toLowerCase() === RESERVED || /^round \d/i.test(trimmed)) throw new ReviewerError(`${where}: "${trimmed}" is a name the studio uses itself (the single user, or a round); choose another`)
  return trimmed
}

function checkToken(token: string, where: string): string {
  if (!TOKEN.test(token)) throw new ReviewerError(`${where}: a reviewer's token must be 20 to 200 characters of A-Z a-z 0-9 _ - (leave it out for a random one)`)
  return token
}

/** Checks names and tokens (unique names regardless of case, unique tokens) and gives a random token to each reviewer without one. */
export function reviewersOf(entries: readonly { name: string; token?: string | undefined; where: string }[]): Reviewer[] {
  const names = new Map<string, string>()
  const tokens = new Set<string>()
  return entries.map((e) => {
    const name = checkName(e.name, e.where)
    const key = name.toLowerCase()
    if (names.has(key)) throw new ReviewerError(`${e.where}: reviewer "${name}" is named twice (also ${names.get(key)})`)
    names.set(key, e.where)
    const token = e.token === undefined ? newToken() : checkToken(e.token, e.where)
    if (tokens.has(token)) throw new ReviewerError(`${e.where}: reviewer "${name}" has the same token as another reviewer; each needs their own`)
    tokens.add(token)
    return { name, token }
  })
}

/** The reviewers a file names (see the top of this file for the two forms). */
export function parseReviewersFile(text: string, file: string): Reviewer[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    let list: unknown
    try {
      list = JSON.parse(trimmed)
    } catch (err) {
      throw new ReviewerError(`${file}: not valid JSON: ${(err as Error).message}`)
    }
    if (!Array.isArray(list)) throw new ReviewerError(`${file}: expected a JSON list of names or {"name", "token"} objects`)
    return reviewersOf(
      list.map((item: unknown, i) => {
        const where = `${file}: entry ${i + 1}`
        if (typeof item === 'string') return { name: item, where }
        if (item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string') {
          const { name, token } = item as { name: string; token?: unknown }
          if (token !== undefined && typeof token !== 'string') throw new ReviewerError(`${where}: "token" must be a string`)
          return { name, token, where }
        }
        throw new ReviewerError(`${where}: expected a name or {"name": ..., "token": ...}`)
      }),
    )
  }
  const entries = text.split(/\r?\n/).flatMap((line, i) => {
    const content = line.replace(/#.*/, '').trim()
    if (content === '') return []
    const where = `${file}: line ${i + 1}`
    // The token, when given, is the last word: names may hold spaces, tokens may not.
    const m = /^(.*\S)\s+(\S{20,})$/.exec(content)
    return m && TOKEN.test(m[2] as string) ? [{ name: m[1] as string, token: m[2], where }] : [{ name: content, where }]
  })
  if (entries.length === 0) throw new ReviewerError(`${file}: names no reviewer (one name per line, or a JSON list)`)
  return reviewersOf(entries)
}
