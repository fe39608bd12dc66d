import type { KeyboardEvent } from 'react'
import { useMap } from '../../stores/map'

/** The Grid | Map switch above the main area (a tab list: arrow keys move between the two). */
export function MainTabs() {
  const view = useMap((s) => s.view)
  const setView = useMap((s) => s.setView)
  const tabs: ['grid' | 'map', string][] = [
    ['grid', 'Grid'],
    ['map', 'Map'],
  ]
  function onKey(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return
    e.preventDefault()
    const next = view === 'grid' ? 'map' : 'grid'
    setView(next)
    e.currentTarget.parentElement?.querySelector<HTMLButtonElement>(`[data-view="${next}"]`)?.focus()
  }
  return (
    <div className="main-tabs" role="tablist" aria-label="Main view">
      {tabs.map(([v, name]) => (
        <button key={v} type="button" role="tab" data-view={v} aria-selected={view === v} tabIndex={view === v ? 0 : -1} onClick={() => setView(v)} onKeyDown={onKey}>
          {name}
        </button>
      ))}
    </div>
  )
}
