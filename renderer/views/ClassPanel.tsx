import { useEffect, useState, type FormEvent } from 'react'
import { useGrid } from '../stores/grid'
import { useLabels } from '../stores/labels'
import { useReview } from '../stores/rounds'

/** A colour per class, stable by position, when the class has none of its own. */
export const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#808000']
export const classColor = (index: number, own: string | null) => own ?? PALETTE[index % PALETTE.length] ?? '#888'

/** The classes, their counts, their digit shortcuts; clicking one filters the grid to it. */
export function ClassPanel() {
  const { classes, loadClasses, createClass } = useLabels()
  const query = useGrid((s) => s.query)
  const [name, setName] = useState('')

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
          return (
            <li key={c.id}>
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
      <p className="muted hint">Press 1–9 on an image to label it, 0 to clear, Ctrl+Z to undo.</p>
    </aside>
  )
}
