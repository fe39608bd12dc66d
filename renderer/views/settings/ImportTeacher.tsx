import { useState } from 'react'
import type { TeacherImportChoices, TeacherInspection } from '../../../preload/contract'
import { studio } from '../../transport'
import { useTeachers } from '../../stores/teachers'

type Draft = Omit<TeacherImportChoices, 'size' | 'mean' | 'std'> & { size: string; mean: string; std: string }

const list = (v: readonly number[]) => v.join(', ')
/** "a, b, c" -> numbers, or null when it is not `n` finite numbers. */
function numbers(s: string, n: number): number[] | null {
  const v = s.split(/[,\sx×]+/).filter(Boolean).map(Number)
  return v.length === n && v.every(Number.isFinite) ? v : null
}

/** The draft as the contract's choices, or the field at fault. */
function toChoices(d: Draft): TeacherImportChoices | string {
  const size = numbers(d.size, 2)
  const mean = numbers(d.mean, 3)
  const std = numbers(d.std, 3)
  if (!size || size.some((x) => !Number.isInteger(x) || x < 1)) return 'Size: two whole numbers, height and width'
  if (!mean) return 'Mean: three numbers, one per channel (R, G, B)'
  if (!std || std.some((x) => x <= 0)) return 'Std: three numbers above 0'
  return { ...d, size: size as [number, number], mean: mean as TeacherImportChoices['mean'], std: std as TeacherImportChoices['std'] }
}

/**
 * Settings › Import a teacher: any ONNX image model. The studio reads its input and outputs and
 * proposes a recipe; every part of it can be changed; Check runs it on a few images of the open
 * project (finite embeddings that differ between images) and Save keeps it for all projects.
 */
export function ImportTeacher() {
  const [file, setFile] = useState('')
  const [inspection, setInspection] = useState<TeacherInspection | null>(null)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)

  async function run(work: () => Promise<string>) {
    setBusy(true)
    setMessage(null)
    try {
      setMessage({ text: await work(), error: false })
    } catch (err) {
      setMessage({ text: (err as Error).message, error: true })
    } finally {
      setBusy(false)
    }
  }

  const inspect = () =>
    run(async () => {
      setInspection(null)
      const found = await studio.call('models.inspect', { path: file.trim() })
      const p = found.proposal
      setInspection(found)
      setDraft({ ...p, size: list(p.size), mean: list(p.mean), std: list(p.std) })
      return 'Recognised; check the proposal on a few images of the open project, then save it.'
    })

  const submit = (dryRun: boolean) =>
    run(async () => {
      const choices = draft && toChoices(draft)
      if (!inspection || !choices) throw new Error('Inspect a file first')
      if (typeof choices === 'string') throw new Error(choices)
      const r = await studio.call('models.import', { path: inspection.path, choices, dryRun })
      const checked = `Checked on ${r.checkedImages} images: ${r.dim}-d embeddings, finite and different for each image.`
      if (!r.savedTo) return checked
      void useTeachers.getState().load() // the new teacher joins the list
      return `${checked} Saved as "${r.id}" (${r.savedTo}).`
    })

  const set = (patch: Partial<Draft>) => draft && setDraft({ ...draft, ...patch })
  const candidate = inspection?.candidates.find((c) => c.tensor === draft?.output)

  return (
    <fieldset className="import-teacher" data-testid="import-teacher">
      <legend>Import a teacher (ONNX)</legend>
      <label className="field">
        <span>ONNX file</span>
        <span className="row">
          <input type="text" aria-label="ONNX file path" placeholder="/path/to/model.onnx" value={file} onChange={(e) => setFile(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && !busy && file.trim() && void inspect()} />
          <button type="button" disabled={busy || !file.trim()} onClick={() => void inspect()}>
            Inspect
          </button>
        </span>
      </label>
      {inspection && draft && (
        <>
          <ul className="muted help" data-testid="import-recognised">
            {inspection.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
          <label className="field">
            <span>Embedding</span>
            <select
              aria-label="Embedding output"
              value={draft.output}
              // Another output brings its own pooling: a token sequence's, or none.
              onChange={(e) => set({ output: e.target.value, pooling: inspection.candidates.find((c) => c.tensor === e.target.value)?.pooling ?? null })}
            >
              {inspection.candidates.map((c) => (
                <option key={c.tensor} value={c.tensor}>
                  {c.tensor}
                  {c.dim ? ` (${c.dim}-d)` : ''}
                </option>
              ))}
            </select>
          </label>
          {candidate && <p className="muted help">{candidate.note}</p>}
          {candidate?.pooling && (
            <label className="field">
              <span>Pooling</span>
              <select aria-label="Token pooling" value={draft.pooling ?? ''} onChange={(e) => set({ pooling: e.target.value === 'mean' ? 'mean' : 'cls' })}>
                <option value="cls">CLS token</option>
                <option value="mean">Mean over tokens</option>
              </select>
            </label>
          )}
          <label className="field">
            <span>Size (H, W)</span>
            <input type="text" aria-label="Input size" value={draft.size} onChange={(e) => set({ size: e.target.value })} />
          </label>
          <label className="field">
            <span>Resize</span>
            <select aria-label="Resize mode" value={draft.resize} onChange={(e) => set({ resize: e.target.value === 'squash' ? 'squash' : 'shorter-side-then-centre-crop' })}>
              <option value="shorter-side-then-centre-crop">Shorter side, then centre crop</option>
              <option value="squash">Squash to the size</option>
            </select>
          </label>
          <label className="field">
            <span>Mean (R, G, B)</span>
            <input type="text" aria-label="Normalisation mean" value={draft.mean} onChange={(e) => set({ mean: e.target.value })} />
          </label>
          <label className="field">
            <span>Std (R, G, B)</span>
            <input type="text" aria-label="Normalisation std" value={draft.std} onChange={(e) => set({ std: e.target.value })} />
          </label>
          <label className="field">
            <span>Id</span>
            <input type="text" aria-label="Teacher id" value={draft.id} onChange={(e) => set({ id: e.target.value })} />
          </label>
          <p className="row">
            <button type="button" disabled={busy} onClick={() => void submit(true)}>
              Check
            </button>
            <button type="button" className="primary" disabled={busy} onClick={() => void submit(false)}>
              Save
            </button>
          </p>
        </>
      )}
      {(busy || message) && (
        <p className={message?.error ? 'error-text' : 'muted help'} role="status" aria-live="polite" data-testid="import-note">
          {busy ? 'Working…' : message?.text}
        </p>
      )}
    </fieldset>
  )
}
