import { useState } from 'react'
import { studio } from '../transport'

/** Export the labels: the file is written to the project's data folder and downloaded. */
export function ExportPanel() {
  const [withProposals, setWithProposals] = useState(false)
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)

  async function exportAs(format: 'csv' | 'json') {
    try {
      const result = await studio.call('labels.export', { format, scope: withProposals ? 'with-proposals' : 'reviewed' })
      const url = URL.createObjectURL(new Blob([result.content], { type: format === 'csv' ? 'text/csv' : 'application/json' }))
      const a = document.createElement('a')
      a.href = url
      a.download = result.fileName
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setMessage({ text: `${result.rows.toLocaleString()} labels written to ${result.path}`, error: false })
    } catch (err) {
      setMessage({ text: `Export failed: ${(err as Error).message}`, error: true })
    }
  }

  return (
    <section className="rounds-panel" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <label className="row">
        <input type="checkbox" checked={withProposals} onChange={(e) => setWithProposals(e.target.checked)} />
        Include unreviewed proposals
      </label>
      <div className="row">
        <button type="button" onClick={() => void exportAs('csv')}>
          Labels as CSV
        </button>
        <button type="button" onClick={() => void exportAs('json')}>
          JSON
        </button>
      </div>
      {message && (
        <p className={message.error ? 'error-text' : 'muted hint'} role="status" data-testid="export-message">
          {message.text}
        </p>
      )}
    </section>
  )
}
