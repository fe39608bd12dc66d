/** The renderer's one way to write durations and sizes. */
import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration } from '../../renderer/format'

describe('formatDuration', () => {
  it('rounds the whole duration before splitting it, so seconds never read 60', () => {
    expect(formatDuration(59.6)).toBe('1 min 0 s')
    expect(formatDuration(119.6)).toBe('2 min 0 s')
    expect(formatDuration(61)).toBe('1 min 1 s')
  })
  it('writes short and long durations', () => {
    expect(formatDuration(0.2)).toBe('1 s')
    expect(formatDuration(0)).toBe('0 s')
    expect(formatDuration(3600)).toBe('1 h 0 min')
    expect(formatDuration(3599.5)).toBe('1 h 0 min')
  })
})

describe('formatBytes', () => {
  it('uses decimal units, like the catalog sizes', () => {
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1500)).toBe('1.5 kB')
    expect(formatBytes(3_700_000)).toBe('3.7 MB')
    expect(formatBytes(500_000, 'MB')).toBe('0.5 MB')
  })
})
