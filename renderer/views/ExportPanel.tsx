import { useEffect, useState } from 'react'
import type { ProgressEvent } from '../../preload/contract'
import { formatBytes } from '../format'
import { studio } from '../transport'

type Format = 'csv' | 'json' | 'coco' | 'yolo' | 'folders'

const FORMATS: { format: Format; label: string; title: string }[] = [
  { format: 'csv', label: 'CSV', title: 'One row per image file: path, class, status, confidence (downloaded too)' },
  { format: 'json', label: 'JSON', title: 'The same rows as JSON (downloaded too)' },
  { format: 'coco', label: 'COCO', title: 'COCO JSON: images, categories and one annotation per image (no boxes)' },
  { format: 'yolo', label: 'YOLO', title: "Ultralytics' classification layout: train/ and val/ folders per class, and names.txt" },
  { format: 'folders', label: 'Class folders', title: 'One folder per class holding its images' },
]

/**
 * Export the labels in five formats and the student as one ONNX model. Everything is written to
 * the project's exports folder (shown after each export); CSV and JSON are also downloaded.
 */
export function ExportPanel() {
  const [withProposals, setWithProposals] = useState(false)
  const [link, setLink] = useState(false)
  const [valPercent, setValPercent] = useState(20)
  const [busy, setBusy] = useState(false)
  const [progress, setProgress] = useState<ProgressEvent | null>(null)
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)

  useEffect(
    () =>
      studio.onEvent((event) => {
        if (event.type === 'progress' && event.job === 'export') setProgress(event)
      }),
    [],
  )

  async function run(what: string, work: () => Promise<string>) {
    setBusy(true)
    setProgress(null)
    setMessage(null)
    try {
      setMessage({ text: await work(), error: false })
    } catch (err) {
      setMessage({ text: `${what} failed: ${(err as Error).message}`, error: true })
    } finally {
      setBusy(false)
      setProgress(null)
    }
  }

  const exportAs = (format: Format) =>
    run('Export', async () => {
      const scope = withProposals ? 'with-proposals' : 'reviewed'
      const result = await studio.call('labels.export', { format, scope, link, valRatio: valPercent / 100 })
      if (result.content !== null) download(result.content, result.fileName, format === 'csv' ? 'text/csv' : 'application/json')
      const placed = result.linked + result.copied
      const how = placed ? ` (${result.linked ? `${result.linked.toLocaleString()} linked, ` : ''}${result.copied.toLocaleString()} copied)` : ''
      return [`${result.rows.toLocaleString()} labels written to ${result.path}${how}`, ...result.warnings].join('. ')
    })

  const exportStudent = () =>
    run('Student export', async () => {
      const s = await studio.call('student.export', {})
      return `Student of round ${s.roundId} (${s.classes.length} classes, ${formatBytes(s.bytes, 'MB')}) written to ${s.path}`
    })

  return (
    <section className="rounds-panel export-panel" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <label className="row">
        <input type="checkbox" checked={withProposals} onChange={(e) => setWithProposals(e.target.checked)} />
        Include unreviewed proposals
      </label>
      <label className="row" title="Hard links take no extra space; they need the export on the same disk as the images, else the images are copied">
        <input type="checkbox" checked={link} onChange={(e) => setLink(e.target.checked)} />
        Link images instead of copying
      </label>
      <label className="row">
        YOLO val share
        <input
          type="number"
          min={0}
          max={90}
          step={5}
          value={valPercent}
          aria-label="Share of each class in the YOLO val split, in percent"
          onChange={(e) => setValPercent(Math.min(90, Math.max(0, Number(e.target.value) || 0)))}
          className="export-val"
        />
        %
      </label>
      <div className="row export-formats" role="group" aria-label="Export the labels as">
        {FORMATS.map((f) => (
          <button key={f.format} type="button" title={f.title} disabled={busy} onClick={() => void exportAs(f.format)}>
            {f.format === 'csv' ? 'Labels as CSV' : f.label}
          </button>
        ))}
      </div>
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void exportStudent()} title="The teacher and the latest round's head as one ONNX model: uint8 pixels in, class probabilities and the embedding out">
          Student model (ONNX)
        </button>
      </div>
      {busy && progress && progress.total > 0 && (
        <p className="muted hint" role="status">
          Copying {progress.done.toLocaleString()} of {progress.total.toLocaleString()} images <progress max={progress.total} value={progress.done} />
        </p>
      )}
      {message && (
        <p className={message.error ? 'error-text' : 'muted hint'} role="status" data-testid="export-message">
          {message.text}
        </p>
      )}
    </section>
  )
}

function download(content: string, fileName: string, type: string) {
  const url = URL.createObjectURL(new Blob([content], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
