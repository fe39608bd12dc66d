/**
 * How the studio writes times and sizes, in one place: the settings' downloads, the rounds panel,
 * the viewer's facts and the export messages all read the same.
 */

/**
 * A duration, e.g. time left: whole seconds first (rounded up, so a running estimate never reads
 * 0 s), then split, so 59.6 s is "1 min 0 s", never "0 min 60 s" or "1 min 60 s".
 */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds))
  if (total < 60) return `${total} s`
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  if (h > 0) return `${h} h ${m} min`
  return `${m} min ${total % 60} s`
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const

/**
 * A size in decimal units (1 MB = 1,000,000 bytes), as the teacher catalog gives its sizes. `unit`
 * fixes the unit (a download's progress stays in MB while it counts up); otherwise the largest
 * that keeps the number at 1 or more.
 */
export function formatBytes(bytes: number, unit?: (typeof UNITS)[number]): string {
  let i = unit ? UNITS.indexOf(unit) : 0
  if (!unit) while (i < UNITS.length - 1 && bytes >= 1000 ** (i + 1)) i++
  return i === 0 ? `${bytes} B` : `${(bytes / 1000 ** i).toFixed(1)} ${UNITS[i]}`
}

/** A share in [0, 1] as a whole percentage; a dash when there is none yet. */
export function formatPercent(x: number | null): string {
  return x === null ? '–' : `${Math.round(x * 100)}%`
}
