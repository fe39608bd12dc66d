import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react'
import type { ClassInfo } from '../../preload/contract'
import { classColor } from '../../preload/vocabulary'
import { rankClasses, type ClassMatch } from '../class-filter'
import { useKeys, type Bindings } from '../keymap'
import { useClassPicker, type PickRequest } from '../stores/class-picker'
import { useLabels } from '../stores/labels'

/** Options a PageUp / PageDown moves by. */
const PAGE = 8

/**
 * The quick class picker: type a few letters, Enter. Opened by `c` wherever a digit labels (see
 * stores/class-picker.ts); lists every class with its colour and its digit where it has one,
 * filtered as class-filter.ts ranks them. Its keys are the keymap's `picker` layer, a modal one:
 * ↑ ↓ PageUp PageDown move, Enter applies, Esc closes, Tab stays in the field, and every other key
 * is typed into the field and reaches no view underneath. Focus goes back where it was on close.
 * A combobox (the field) owning a listbox, the active option named by aria-activedescendant.
 */
export function ClassPicker() {
  const request = useClassPicker((s) => s.request)
  return request ? <Picker request={request} /> : null
}

function Picker({ request }: { request: PickRequest }) {
  const classes = useLabels((s) => s.classes)
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const field = useRef<HTMLInputElement>(null)
  const list = useRef<HTMLUListElement>(null)
  const listId = useId()
  const matches = useMemo(() => rankClasses(classes, query), [classes, query])
  const at = Math.min(active, matches.length - 1)
  const current = matches[at]
  const optionId = (cls: ClassInfo) => `${listId}-option-${cls.id}`
  const close = useClassPicker((s) => s.close)

  useEffect(() => {
    field.current?.focus()
    return () => {
      // Back to the thumbnail, viewer, queue or map the picker was opened from, if it is still there.
      // No scroll by the browser: a grid cell may be drawn off its real row, and the grid scrolls to that itself (Grid.tsx).
      if (request.returnFocus?.isConnected) request.returnFocus.focus({ preventScroll: true })
    }
  }, [request])

  useEffect(() => {
    list.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [at, matches])

  function choose(m: ClassMatch<ClassInfo>) {
    close()
    request.apply(m.item)
  }

  const keys: Bindings = (e) => {
    // Enter that ends an input method's composition belongs to the composition.
    if (e.isComposing) return false
    const n = matches.length
    // Arrows wrap around the list; PageUp and PageDown stop at its ends.
    const step = (by: number) => n > 0 && setActive((at + by + n) % n)
    const jump = (to: number) => n > 0 && setActive(Math.max(0, Math.min(n - 1, to)))
    if (e.key === 'Escape') close()
    else if (e.key === 'Enter') {
      if (current) choose(current)
    } else if (e.key === 'ArrowDown') step(1)
    else if (e.key === 'ArrowUp') step(-1)
    else if (e.key === 'PageDown') jump(at + PAGE)
    else if (e.key === 'PageUp') jump(at - PAGE)
    // The field is the picker's one control: focus stays in it.
    else if (e.key === 'Tab') field.current?.focus()
    else return false
    return true
  }
  useKeys('picker', keys, { modal: true })

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div
        className="dialog class-picker"
        role="dialog"
        aria-modal="true"
        aria-label={`Pick a class: ${request.title}`}
        data-testid="class-picker"
        // The field keeps the focus (and so the typing) whatever is clicked inside the picker.
        onMouseDown={(e) => e.target !== field.current && e.preventDefault()}
      >
        <p className="class-picker-title">{request.title}</p>
        <input
          ref={field}
          type="text"
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={current ? optionId(current.item) : undefined}
          aria-label="Class name"
          placeholder="Type to find a class…"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value)
            setActive(0)
          }}
        />
        <ul id={listId} role="listbox" aria-label="Classes" ref={list}>
          {matches.map((m, k) => (
            <li
              key={m.item.id}
              id={optionId(m.item)}
              role="option"
              aria-selected={k === at}
              aria-label={m.index < 9 ? `${m.item.name}, key ${m.index + 1}` : m.item.name}
              onClick={() => choose(m)}
              onMouseMove={() => k !== at && setActive(k)}
            >
              <span className="swatch" style={{ background: classColor(m.index, m.item.color) }} />
              <span className="class-name">
                <Marked name={m.item.name} marks={m.marks} />
              </span>
              {m.index < 9 && <kbd title={`Shortcut: ${m.index + 1}`}>{m.index + 1}</kbd>}
            </li>
          ))}
        </ul>
        {matches.length === 0 && <p className="muted class-picker-none">No class matches “{query.trim()}”: create it in the Classes panel.</p>}
        <p className="visually-hidden" aria-live="polite">
          {matches.length} of {classes.length} classes
        </p>
        <p className="muted class-picker-help">
          <kbd>↑</kbd> <kbd>↓</kbd> choose · <kbd>Enter</kbd> apply · <kbd>Esc</kbd> close
        </p>
      </div>
    </div>
  )
}

/** The name with the typed letters marked. */
function Marked({ name, marks }: { name: string; marks: number[] }) {
  if (marks.length === 0) return <>{name}</>
  const marked = new Set(marks)
  const parts: ReactNode[] = []
  let from = 0
  for (let i = 1; i <= name.length; i++) {
    if (i < name.length && marked.has(i) === marked.has(from)) continue
    const text = name.slice(from, i)
    parts.push(marked.has(from) ? <mark key={from}>{text}</mark> : text)
    from = i
  }
  return <>{parts}</>
}
