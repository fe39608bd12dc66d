import { describe, expect, it } from 'vitest'
import { formatLabels, type ExportedLabel } from '../../main/engine/exchange/labels'

const label = (path: string, cls: string): ExportedLabel => ({ path, class: cls, status: 'human', confidence: null, round: null, sha256: 'ab'.repeat(32), decided_by: 'user' })

describe('label export formats', () => {
  it('quotes CSV fields that hold commas, quotes or line breaks', () => {
    const csv = formatLabels([label('a, b/"quoted".jpg', 'cat'), label('plain/x.jpg', 'line\nbreak')], 'csv')
    const lines = csv.split('\r\n')
    expect(lines[0]).toBe('path,class,status,confidence,round,sha256,decided_by')
    expect(lines[1]).toBe(`"a, b/""quoted"".jpg",cat,human,,,${'ab'.repeat(32)},user`)
    // A bare \n inside a quoted field is data, not a record break (records end with \r\n).
    expect(lines[2]).toBe(`plain/x.jpg,"line\nbreak",human,,,${'ab'.repeat(32)},user`)
  })

  it('writes JSON that reads back to the same labels', () => {
    const labels = [{ ...label('x.png', 'dog'), status: 'accepted' as const, confidence: 0.93, round: 2 }]
    expect(JSON.parse(formatLabels(labels, 'json'))).toEqual({ labels })
  })
})
