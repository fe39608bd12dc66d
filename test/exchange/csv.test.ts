import { describe, expect, it } from 'vitest'
import { csvRow, parseCsv } from '../../main/engine/exchange/csv'

describe('CSV', () => {
  it('reads back what it writes: commas, quotes and line breaks in fields', () => {
    const rows = [
      ['path', 'decision'],
      ['a, b/c.jpg', 'say "bees"'],
      ['multi\nline.png', ''],
    ]
    const parsed = parseCsv(rows.map(csvRow).join('\r\n') + '\r\n')
    expect(parsed.map((r) => r.fields)).toEqual(rows)
    // the line each row starts on, counting the line break inside the quoted field
    expect(parsed.map((r) => r.line)).toEqual([1, 2, 3])
  })

  it('skips blank lines, drops a byte-order mark, keeps a last row without a line break', () => {
    const parsed = parseCsv('\ufeffpath,decision\n\nants/1.jpg,ants\r\nbees/2.jpg,accept')
    expect(parsed).toEqual([
      { line: 1, fields: ['path', 'decision'] },
      { line: 3, fields: ['ants/1.jpg', 'ants'] },
      { line: 4, fields: ['bees/2.jpg', 'accept'] },
    ])
  })

  it('names the line of a quote left open', () => {
    expect(() => parseCsv('path,decision\n"ants/1.jpg,ants\n')).toThrow(/line 2: a quoted field is not closed/)
  })
})
