/**
 * The class picker's filter: which classes a few typed letters mean, best first. Case-insensitive,
 * in tiers: the whole name, then names that start with the letters, then names with a word that
 * starts with them ("boot" finds "ankle boot", "top" finds "t-shirt_top"), then names holding them
 * anywhere, then names holding them in order with gaps ("abt" finds "ankle boot"). Within a tier
 * the class list's order stays, so a class keeps its place as more letters are typed; among gapped
 * matches the tighter one comes first. Plain string work, linear in the classes: hundreds of
 * classes filter well within a keystroke.
 */

export interface ClassMatch<T> {
  item: T
  /** Its place in the list given (the digit key is index + 1 for the first nine). */
  index: number
  /** The name's characters that matched, in order, for highlighting. */
  marks: number[]
}

const EXACT = 0
const PREFIX = 1
const WORD = 2
const INSIDE = 3
const GAPPED = 4

/** Where words start in a name: after a space, dash, underscore, slash, dot or bracket. */
const WORD_BREAK = /[\s\-_/.,:;()[\]]/

const run = (from: number, length: number): number[] => Array.from({ length }, (_, k) => from + k)

/** The tier of `name` (lowercase) for `query` (lowercase, trimmed, not empty), its marks and, for gapped matches, their spread. */
function match(name: string, query: string): { tier: number; marks: number[]; spread: number } | null {
  if (name === query) return { tier: EXACT, marks: run(0, query.length), spread: 0 }
  if (name.startsWith(query)) return { tier: PREFIX, marks: run(0, query.length), spread: 0 }
  let at = name.indexOf(query)
  if (at >= 0) {
    const first = at
    for (; at >= 0; at = name.indexOf(query, at + 1)) if (WORD_BREAK.test(name[at - 1] ?? '')) return { tier: WORD, marks: run(at, query.length), spread: 0 }
    return { tier: INSIDE, marks: run(first, query.length), spread: 0 }
  }
  // The letters in order, gaps allowed (spaces typed are ignored here): the first fit, left to right.
  const marks: number[] = []
  let from = 0
  for (const ch of query) {
    if (/\s/.test(ch)) continue
    const found = name.indexOf(ch, from)
    if (found < 0) return null
    marks.push(found)
    from = found + 1
  }
  if (marks.length === 0) return null
  return { tier: GAPPED, marks, spread: marks[marks.length - 1]! - marks[0]! }
}

/** The items whose name matches `query`, best first; every item, in order, for an empty query. */
export function rankClasses<T extends { name: string }>(items: readonly T[], query: string): ClassMatch<T>[] {
  const q = query.trim().toLowerCase()
  if (!q) return items.map((item, index) => ({ item, index, marks: [] }))
  const found: (ClassMatch<T> & { tier: number; spread: number })[] = []
  items.forEach((item, index) => {
    const m = match(item.name.toLowerCase(), q)
    if (m) found.push({ item, index, ...m })
  })
  // Array.prototype.sort is stable: equal keys keep the list's order.
  found.sort((a, b) => a.tier - b.tier || a.spread - b.spread)
  return found.map(({ item, index, marks }) => ({ item, index, marks }))
}
