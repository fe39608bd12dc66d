/** CSV as RFC 4180 has it: the label export writes it, the CLI's decision files are read with it. */

/** One field: quoted when it holds a comma, quote or line break, quotes doubled. */
export function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** One line of fields (without its line break). */
export function csvRow(fields: readonly (string | number | null)[]): string {
  return fields.map(csvField).join(',')
}

/** A CSV file's rows, with the 1-based line each starts on; a row of one empty field (a blank line) is left out. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text // a spreadsheet's byte-order mark
  const endRow = () => {
    fields.push(field)
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: start, fields })
    fields = []
    field = ''
  }
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else {
        if (c === '\n') line++
        field += c
      }
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      fields.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++
      endRow()
      line++
      start = line
    } else field += c
  }
  if (quoted) throw new Error(`line ${start}: a quoted field is not closed`)
  if (field !== '' || fields.length > 0) endRow()
  return rows
}
