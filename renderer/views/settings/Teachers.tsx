import { useState } from 'react'
import type { TeacherEntry } from '../../../preload/contract'
import type { TeacherUse } from '../../../preload/vocabulary'
import { formatBytes, formatDuration } from '../../format'
import { useSettings } from '../../stores/settings'
import { useTeacher } from '../../stores/teacher'
import { useTeachers } from '../../stores/teachers'

/** The studio's suggestion badges, in words. */
const USE_TEXT: Record<TeacherUse, string> = {
  photos: 'Suggested for photos',
  'small-or-greyscale': 'Suggested for small or greyscale images',
  'cpu-laptop': 'Suggested for a CPU-only laptop',
  'classes-by-name': 'Classes by name',
}

const mb = (bytes: number) => formatBytes(bytes, 'MB')

const eta = (seconds: number | null): string => (seconds === null ? 'time left unknown' : `${formatDuration(seconds)} left`)

/**
 * The teachers of this machine, in Settings: the catalog with what each is good at, its size and
 * licence and the studio's suggestions; downloads with progress (bytes, speed, ETA) and cancel;
 * "I already have the file"; removal; the mirror for users behind a firewall. Choosing one as the
 * teacher is the Teacher setting above (its menu lists what is on this machine).
 */
export function TeachersSection() {
  // SettingsForm loads the list when Settings opens; this section only reads it.
  const { teachers, error } = useTeachers()
  const settings = useTeacher((s) => s.settings)
  const save = useSettings((s) => s.save)
  const [mirror, setMirror] = useState<string | null>(null)

  return (
    <fieldset className="teachers" data-testid="teachers-section">
      <legend>Teachers</legend>
      <p className="muted help-wide">
        Downloads are checked (size and sha256) before first use and kept in the app’s data folder for every project. A cut download resumes where it
        stopped. HTTPS_PROXY is honoured.
      </p>
      <ul className="teacher-list">
        {teachers.map((t) => (
          <TeacherCard key={t.id} teacher={t} current={settings?.teacher === t.id} onUse={() => void save({ teacher: t.id })} />
        ))}
      </ul>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <label className="field">
        <span>Download mirror</span>
        <input
          type="text"
          aria-label="Download mirror base URL"
          placeholder="https://mirror.example.org/models"
          spellCheck={false}
          value={mirror ?? settings?.modelMirror ?? ''}
          onChange={(e) => setMirror(e.target.value)}
          onBlur={() => {
            const next = mirror?.trim() ?? null
            if (mirror !== null && next !== (settings?.modelMirror ?? '')) void save({ modelMirror: next ? next : null })
            setMirror(null)
          }}
        />
      </label>
      <p className="muted help">Empty: the publishers’ own hosts. Set: a file’s host is replaced by the mirror, its path kept: https://huggingface.co/org/model/… becomes &lt;mirror&gt;/org/model/…</p>
    </fieldset>
  )
}

function TeacherCard({ teacher: t, current, onUse }: { teacher: TeacherEntry; current: boolean; onUse: () => void }) {
  const { pull, cancel, useFile, remove } = useTeachers()
  const [localOpen, setLocalOpen] = useState(false)
  const [localPath, setLocalPath] = useState('')
  const p = t.progress
  return (
    <li className="teacher-card" data-testid={`teacher-${t.id}`} data-state={t.state}>
      <div className="row teacher-head">
        <strong>{t.name}</strong>
        {t.default && <span className="badge">Default, shipped</span>}
        {current && <span className="badge">In use</span>}
        {t.suggestedFor.map((u) => (
          <span key={u} className="badge suggest" title={t.why ?? undefined}>
            {USE_TEXT[u]}
          </span>
        ))}
      </div>
      {(t.goodAt ?? t.description) && <p className="muted teacher-text">{t.goodAt ?? t.description}</p>}
      <p className="muted teacher-facts">
        {t.bytes !== null ? mb(t.bytes) : 'size unknown'} · {t.licence ?? 'licence not given'} ·{' '}
        <span data-testid="teacher-state">{t.state === 'installed' ? 'on this machine' : t.state === 'downloading' ? 'downloading' : 'not downloaded'}</span>
      </p>
      {t.state === 'downloading' && (
        <div className="row teacher-progress">
          <progress aria-label={`Download of ${t.name}`} value={p?.done ?? 0} max={p && p.total > 0 ? p.total : undefined} />
          <span className="num" data-testid="download-progress">
            {p ? `${mb(p.done)}${p.total ? ` of ${mb(p.total)}` : ''} · ${mb(p.bytesPerSecond)}/s · ${eta(p.etaSeconds)}` : 'starting…'}
          </span>
          <button type="button" onClick={() => void cancel()}>
            Cancel
          </button>
        </div>
      )}
      {t.error && t.state !== 'downloading' && <p className="error-text">{t.error}</p>}
      <div className="row teacher-actions">
        {t.state === 'not-downloaded' && t.downloadable && (
          <button type="button" className="primary" onClick={() => void pull(t.id)}>
            Download
          </button>
        )}
        {t.state === 'installed' && !current && (
          <button type="button" onClick={onUse}>
            Use as teacher
          </button>
        )}
        {t.state === 'not-downloaded' && (
          <button type="button" className="link" aria-expanded={localOpen} onClick={() => setLocalOpen(!localOpen)}>
            I already have the file
          </button>
        )}
        {t.removable && t.state === 'installed' && (
          <button type="button" className="link" onClick={() => void remove(t.id)}>
            Remove
          </button>
        )}
      </div>
      {localOpen && t.state === 'not-downloaded' && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault()
            void useFile(t.id, localPath.trim()).then((ok) => ok && setLocalOpen(false))
          }}
        >
          <input type="text" aria-label={`Path of the ${t.name} model file`} placeholder="/home/me/Downloads/model.onnx" spellCheck={false} value={localPath} onChange={(e) => setLocalPath(e.target.value)} />
          <button type="submit" disabled={!localPath.trim()}>
            Check and use
          </button>
        </form>
      )}
    </li>
  )
}
