import { useEffect } from 'react'
import type { TeacherStatus } from '../../preload/contract'
import type { ProviderSetting } from '../../preload/vocabulary'
import { PROVIDER_NAMES } from '../providers'
import { useTeacher } from '../stores/teacher'


function nodesText(nodes: Record<string, number> | undefined): string | null {
  if (!nodes) return null
  return Object.entries(nodes)
    .map(([ep, n]) => `${n} nodes on ${ep.replace('ExecutionProvider', '')}`)
    .join(', ')
}

function stateText(s: TeacherStatus): string {
  switch (s.state) {
    case 'idle':
      return 'idle'
    case 'loading':
      return 'loading the model…'
    case 'embedding':
      return `embedding ${s.done.toLocaleString()} of ${s.total.toLocaleString()} images${s.imagesPerSecond > 0 ? ` · ${Math.round(s.imagesPerSecond)}/s` : ''}`
    case 'done':
      return `${s.done.toLocaleString()} images embedded`
    case 'cancelled':
      return `stopped at ${s.done.toLocaleString()} of ${s.total.toLocaleString()}`
    case 'failed':
      return 'failed'
  }
}

/** The status line of the teacher: which model, on which provider (and why), how far its pass is. */
export function TeacherBar() {
  const { status, settings, error, load, cancel, useProvider } = useTeacher()
  useEffect(() => {
    void load()
  }, [load])
  if (!status) return null
  const provider = status.provider
  return (
    <footer className="teacher-bar" aria-label="Teacher" data-testid="teacher-bar">
      <span className="teacher-model" title={status.model}>
        Teacher: {status.modelName ?? status.model}
      </span>
      {provider && (
        <span data-testid="teacher-provider" title={nodesText(provider.nodes) ?? undefined}>
          running on <strong>{PROVIDER_NAMES[provider.used]}</strong>
          {provider.nodes && <span className="muted"> ({nodesText(provider.nodes)})</span>}
        </span>
      )}
      <span className="teacher-state">{stateText(status)}</span>
      {status.state === 'embedding' && status.total > 0 && <progress max={status.total} value={status.done} aria-label="Embedding progress" />}
      {status.state === 'embedding' && (
        <button type="button" onClick={() => void cancel()}>
          Cancel
        </button>
      )}
      <span className="spacer" />
      {settings && (
        <label className="row">
          Provider
          <select value={settings.provider} onChange={(e) => void useProvider(e.target.value as ProviderSetting)} aria-label="Execution provider">
            {(Object.keys(PROVIDER_NAMES) as ProviderSetting[]).map((p) => (
              <option key={p} value={p}>
                {PROVIDER_NAMES[p]}
              </option>
            ))}
          </select>
        </label>
      )}
      {(provider?.fallback || status.message || error) && (
        <div className={`teacher-notice ${status.state === 'failed' || error ? 'error' : 'warn'}`} role="status" data-testid="teacher-notice">
          {error ?? (status.state === 'failed' ? status.message : (provider?.fallback ?? status.message))}
        </div>
      )}
    </footer>
  )
}
