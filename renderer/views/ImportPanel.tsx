import { useState } from 'react'
import type { LabelImport } from '../../preload/contract'
import type { ImportAs, ImportFormat } from '../../preload/vocabulary'
import { useProject } from '../stores/project'
import { studio } from '../transport'

const FORMATS: { format: ImportFormat; label: string; hint: string }[] = [
  { format: 'csv', label: 'CSV', hint: 'a .csv file with a path (or file name) column and a class or label column' },
  { format: 'json', label: 'JSON', hint: "the studio's JSON export, or a list of {path, class} objects" },
  { format: 'coco', label: 'COCO', hint: "a COCO .json: each image's category (or the majority of its boxes)" },
  { format: 'labelstudio', label: 'Label Studio', hint: "Label Studio's JSON export (choices)" },
  { format: 'folders', label: 'Class folders', hint: 'a folder of <class>/<file>, also under train/ val/ test/' },
  { format: 'yolo', label: 'YOLO', hint: "Ultralytics' classification layout: a folder with train/<class>/ and val/<class>/" },
]

/**
 * Import labels from a file or folder on the machine the studio runs on: check first (a dry run
 * that shows what matched, what did not, new classes and conflicts, writing nothing), then import
 * as one action that one Ctrl+Z undoes.
 */
export function ImportPanel() {
  const [format, setFormat] = useState<ImportFormat>('csv')
  const [source, setSource] = useState('')
  const [as, setAs] = useState<ImportAs>('human')
  const [replace, setReplace] = useState(false)
  const [busy, setBusy] = useState(false)
  const [report, setReport] = useState<LabelImport | null>(null)
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)
  const canPickFolder = useProject((st) => st.info?.canPickFolder ?? false)
  const hint = FORMATS.find((f) => f.format === format)!.hint
  const folderFormat = format === 'folders' || format === 'yolo'

  /** Any change of what to import makes the shown report stale. */
  const change = <T,>(set: (v: T) => void) => (v: T) => {
    set(v)
    setReport(null)
    setMessage(null)
  }

  async function call(dryRun: boolean) {
    setBusy(true)
    setMessage(null)
    try {
      const r = await studio.call('labels.import', { format, path: source.trim(), dryRun, as, onConflict: replace ? 'replace' : 'keep' })
      if (dryRun) setReport(r)
      else {
        setReport(null)
        setMessage({ text: `Imported ${r.imageIds.length.toLocaleString()} labels from ${r.source}${r.newClasses.length ? ` (new classes: ${r.newClasses.join(', ')})` : ''}. Ctrl+Z undoes the whole import.`, error: false })
      }
    } catch (err) {
      setReport(null)
      setMessage({ text: `${dryRun ? 'Check' : 'Import'} failed: ${(err as Error).message}`, error: true })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="rounds-panel import-panel" aria-labelledby="import-title">
      <h2 id="import-title">Import</h2>
      <label className="row">
        Format
        <select value={format} onChange={(e) => change(setFormat)(e.target.value as ImportFormat)} aria-label="Import format">
          {FORMATS.map((f) => (
            <option key={f.format} value={f.format}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <input
        type="text"
        value={source}
        placeholder={folderFormat ? '/path/to/folder' : '/path/to/labels.' + (format === 'csv' ? 'csv' : 'json')}
        aria-label="Path of the file or folder to import"
        title={`The path on the machine the studio runs on: ${hint}`}
        onChange={(e) => change(setSource)(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && source.trim() && !busy) void call(true)
        }}
      />
      {folderFormat && canPickFolder && (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void studio.call('dialog.pickFolder', {}).then((picked) => {
              if (picked) change(setSource)(picked)
            })
          }
        >
          Choose folder…
        </button>
      )}
      <p className="muted hint">{hint}</p>
      <label className="row">
        Import as
        <select value={as} onChange={(e) => change(setAs)(e.target.value as ImportAs)} aria-label="Labels come in as">
          <option value="human">my labels</option>
          <option value="proposal">proposals to review</option>
        </select>
      </label>
      <label className="row" title="An image someone labelled with another class: keep that label (default), or replace it with the imported one">
        <input type="checkbox" checked={replace} onChange={(e) => change(setReplace)(e.target.checked)} />
        Replace labels that differ
      </label>
      <div className="row">
        <button type="button" disabled={busy || !source.trim()} onClick={() => void call(true)}>
          Check
        </button>
      </div>
      {report && <ImportReport report={report} busy={busy} onImport={() => void call(false)} onCancel={() => setReport(null)} />}
      {message && (
        <p className={message.error ? 'error-text' : 'muted hint'} role="status" data-testid="import-message">
          {message.text}
        </p>
      )}
    </section>
  )
}

function Examples({ label, list, testId }: { label: string; list: { count: number; first: string[] }; testId: string }) {
  if (list.count === 0) return null
  return (
    <li data-testid={testId}>
      {label}: {list.count.toLocaleString()}
      {list.first.length > 0 && (
        <ul className="import-examples">
          {list.first.map((f) => (
            <li key={f}>{f}</li>
          ))}
          {list.count > list.first.length && <li className="muted">and {(list.count - list.first.length).toLocaleString()} more</li>}
        </ul>
      )}
    </li>
  )
}

/** The dry run's report, and the question: import or cancel. */
function ImportReport({ report: r, busy, onImport, onCancel }: { report: LabelImport; busy: boolean; onImport: () => void; onCancel: () => void }) {
  return (
    <div className="import-report" data-testid="import-report" role="region" aria-label="Import report">
      <ul>
        <li data-testid="import-matched">
          Matched: {r.matched.toLocaleString()} of {r.rows.toLocaleString()} rows ({r.byPath} by path, {r.byName} by file name, {r.byHash} by content)
        </li>
        <Examples label="Not in this project" list={r.unmatched} testId="import-unmatched" />
        <Examples label="Ambiguous" list={r.ambiguous} testId="import-ambiguous" />
        <Examples label="Without a label" list={r.skipped} testId="import-skipped" />
        <li data-testid="import-new-classes">New classes: {r.newClasses.length ? r.newClasses.join(', ') : 'none'}</li>
        {r.conflicts.count > 0 && (
          <li data-testid="import-conflicts">
            Conflicts with labels given: {r.conflicts.count.toLocaleString()} ({r.onConflict === 'keep' ? 'kept' : 'replaced'})
            <ul className="import-examples">
              {r.conflicts.first.map((c) => (
                <li key={c.path}>
                  {c.path}: {c.current} → {c.imported}
                </li>
              ))}
            </ul>
          </li>
        )}
        {r.unchanged > 0 && <li>Already so: {r.unchanged.toLocaleString()}</li>}
      </ul>
      <p data-testid="import-to-write">
        {r.toWrite ? `Import ${r.toWrite.toLocaleString()} labels as ${r.as === 'human' ? 'your labels' : 'proposals to review'}?` : 'Nothing to import.'}
      </p>
      <div className="row">
        <button type="button" disabled={busy || r.toWrite === 0} onClick={onImport}>
          Import
        </button>
        <button type="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}
