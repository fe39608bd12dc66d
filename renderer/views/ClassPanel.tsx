import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import type { ClassInfo } from '../../preload/contract'
import { classColor } from '../../preload/vocabulary'
import { useGrid } from '../stores/grid'
import { useLabels } from '../stores/labels'
import { useReview } from '../stores/review'

/** Labels a class holds in any state: what deleting it clears and merging it moves. */
const labelCount = (c: ClassInfo) => c.counts.human + c.counts.accepted + c.counts.proposed + c.counts.rejected
const plural = (n: number, one: string) => `${n.toLocaleString()} ${one}${n === 1 ? '' : 's'}`

/** The classes, their counts, their digit shortcuts; clicking one filters the grid to it. */
export function ClassPanel() {
  const { classes, loadClasses, createClass } = useLabels()
  const query = useGrid((s) => s.query)
  const [name, setName] = useState('')
  const [menuFor, setMenuFor] = useState<number | null>(null)

  useEffect(() => {
    void loadClasses()
  }, [loadClasses])

  async function submit(e: FormEvent) {
    e.preventDefault()
    const wanted = name.trim()
    if (!wanted) return
    // Clear at once so the next name can be typed; put it back if the class was refused.
    setName('')
    if (!(await createClass(wanted))) setName(wanted)
  }

  return (
    <aside className="class-panel" aria-labelledby="classes-title">
      <h2 id="classes-title">Classes</h2>
      <ul>
        {classes.map((c, i) => {
          const labelled = c.counts.human + c.counts.accepted
          const active = query.classId === c.id
          const open = menuFor === c.id
          return (
            <li key={c.id}>
              <div className="class-line">
                <button
                  type="button"
                  className={`class-row${active ? ' active' : ''}`}
                  aria-pressed={active}
                  onClick={() => useGrid.getState().setQuery(active ? { classId: undefined } : { classId: c.id })}
                  title={`${c.counts.human} labelled by a person, ${c.counts.accepted} accepted, ${c.counts.proposed} proposed`}
                >
                  <span className="swatch" style={{ background: classColor(i, c.color) }} />
                  {i < 9 && <kbd>{i + 1}</kbd>}
                  <span className="class-name">{c.name}</span>
                  <span className="class-count" data-testid={`class-count-${c.name}`}>
                    {labelled}
                    {c.counts.proposed > 0 && <span className="muted"> +{c.counts.proposed}?</span>}
                  </span>
                </button>
                <button
                  type="button"
                  className="class-menu-button"
                  aria-label={`Edit class ${c.name}`}
                  aria-haspopup="true"
                  aria-expanded={open}
                  onClick={() => setMenuFor(open ? null : c.id)}
                  data-testid={`class-menu-${c.name}`}
                >
                  ⋯
                </button>
              </div>
              {open && <ClassMenu cls={c} index={i} others={classes.filter((o) => o.id !== c.id)} onClose={() => setMenuFor(null)} />}
            </li>
          )
        })}
      </ul>
      <form onSubmit={(e) => void submit(e)} className="new-class">
        <label htmlFor="new-class" className="visually-hidden">
          New class name
        </label>
        <input id="new-class" type="text" placeholder="New class…" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={!name.trim()}>
          Add
        </button>
      </form>
      <button type="button" onClick={() => void useReview.getState().suggest(20)} disabled={classes.length === 0} title="Diverse, representative images: the best seeds">
        Suggest 20 to label
      </button>
      <button type="button" onClick={() => void useReview.getState().mistakes()} disabled={classes.length < 2} title="Human labels that heads trained without them contradict, most suspect first">
        Possible mistakes
      </button>
      <p className="muted hint">On an image: 1–9 label it (the first nine classes), c picks any class by name, 0 clears, Ctrl+Z undoes.</p>
    </aside>
  )
}

/**
 * One class's edits, opened below its row: rename, colour, merge into another class, delete. Merge
 * and delete ask first, saying how many labels they move or clear; both are one Ctrl+Z to undo.
 * Esc closes it and gives focus back to the row's menu button.
 */
function ClassMenu({ cls, index, others, onClose }: { cls: ClassInfo; index: number; others: ClassInfo[]; onClose: () => void }) {
  const { renameClass, setClassColor, deleteClass, mergeClass } = useLabels()
  const [name, setName] = useState(cls.name)
  const [into, setInto] = useState<number | null>(others[0]?.id ?? null)
  const [confirm, setConfirm] = useState<'merge' | 'delete' | null>(null)
  // A colour picker reports every step of a drag: save the colour once it rests.
  const [draftColor, setDraftColor] = useState<string | null>(null)
  useEffect(() => {
    if (draftColor === null) return
    const t = setTimeout(() => void setClassColor(cls.id, draftColor).then(() => setDraftColor(null)), 250)
    return () => clearTimeout(t)
  }, [draftColor, cls.id, setClassColor])
  const box = useRef<HTMLDivElement>(null)
  const n = labelCount(cls)
  const target = others.find((o) => o.id === into)

  useEffect(() => {
    box.current?.querySelector<HTMLInputElement>('input')?.focus()
  }, [])
  // The confirm step takes focus so that Enter or Esc answers it at once.
  useEffect(() => {
    if (confirm) box.current?.querySelector<HTMLButtonElement>('.confirm button')?.focus()
  }, [confirm])

  function close() {
    onClose()
    // The menu unmounts; its button is the natural place to continue from.
    requestAnimationFrame(() => document.querySelector<HTMLButtonElement>(`[aria-label="Edit class ${CSS.escape(cls.name)}"]`)?.focus())
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation()
      if (confirm) setConfirm(null)
      else close()
    }
  }

  async function rename(e: FormEvent) {
    e.preventDefault()
    const wanted = name.trim()
    if (wanted && wanted !== cls.name && (await renameClass(cls.id, wanted))) close()
  }

  return (
    <div className="class-menu" ref={box} role="group" aria-label={`Edit class ${cls.name}`} onKeyDown={onKeyDown}>
      <p className="muted class-counts" data-testid="class-counts">
        {cls.counts.human.toLocaleString()} by a person · {cls.counts.accepted.toLocaleString()} accepted · {cls.counts.proposed.toLocaleString()} proposed · {cls.counts.rejected.toLocaleString()} rejected
      </p>
      <form className="row" onSubmit={(e) => void rename(e)}>
        <input type="text" aria-label={`New name for ${cls.name}`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={!name.trim() || name.trim() === cls.name}>
          Rename
        </button>
      </form>
      <label className="row">
        Colour
        <input type="color" aria-label={`Colour of ${cls.name}`} value={draftColor ?? classColor(index, cls.color)} onChange={(e) => setDraftColor(e.target.value)} />
        {cls.color && (
          <button type="button" className="link" onClick={() => void setClassColor(cls.id, null)}>
            Reset
          </button>
        )}
      </label>
      {others.length > 0 && (
        <div className="row">
          <select aria-label={`Merge ${cls.name} into`} value={into ?? ''} onChange={(e) => setInto(Number(e.target.value))}>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => setConfirm('merge')} disabled={!target}>
            Merge into…
          </button>
        </div>
      )}
      <button type="button" className="danger" onClick={() => setConfirm('delete')}>
        Delete class…
      </button>
      {confirm && (
        <div className="confirm" role="alertdialog" aria-label={confirm === 'merge' ? 'Confirm merge' : 'Confirm delete'} data-testid="class-confirm">
          <p>
            {confirm === 'merge' && target
              ? `Move ${plural(n, 'label')} of "${cls.name}" to "${target.name}" and remove "${cls.name}"?`
              : `Delete "${cls.name}" and clear ${plural(n, 'label')}?`}{' '}
            <span className="muted">Ctrl+Z undoes it.</span>
          </p>
          <div className="row">
            <button
              type="button"
              className={confirm === 'delete' ? 'danger' : 'primary'}
              onClick={() => {
                onClose()
                void (confirm === 'merge' && target ? mergeClass(cls.id, target.id) : deleteClass(cls.id))
                // The row is gone: carry on from the class list.
                requestAnimationFrame(() => document.querySelector<HTMLElement>('.class-panel .class-row, #new-class')?.focus())
              }}
            >
              {confirm === 'merge' ? 'Merge' : 'Delete'}
            </button>
            <button type="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  )
}
