import type { SortKey, StatusFilter } from '../../preload/vocabulary'
import { useGrid } from '../stores/grid'

const STATUSES: [StatusFilter, string][] = [
  ['all', 'All images'],
  ['unlabelled', 'Unlabelled'],
  ['human', 'Labelled by a person'],
  ['proposed', 'Proposed (to review)'],
  ['accepted', 'Accepted'],
  ['rejected', 'Rejected'],
  ['labelled', 'Any label'],
]
const SORTS: [SortKey, string][] = [
  ['name', 'Name'],
  ['confidence', 'Confidence'],
  ['uncertainty', 'Uncertainty'],
  ['changed', 'Last changed'],
]

/** A labelled drop-down over a fixed list of values. */
function Choice<T extends string>(props: { label: string; ariaLabel: string; value: T; options: [T, string][]; onChange: (value: T) => void }) {
  return (
    <label className="row">
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value as T)} aria-label={props.ariaLabel}>
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  )
}

export function FilterBar() {
  const query = useGrid((s) => s.query)
  const total = useGrid((s) => s.total)
  const setQuery = useGrid((s) => s.setQuery)
  const list = useGrid((s) => s.list)
  const loading = useGrid((s) => s.similarLoading)
  return (
    <div className="filter-bar" role="toolbar" aria-label="Filter and sort">
      {list && (
        // A fixed list (more like this, suggestions) stands in for the filter until cleared.
        <span className={`chip chip-${list.kind}`} data-testid="list-chip">
          {list.title}
          <button type="button" onClick={() => useGrid.getState().clearList()} aria-label={`Clear "${list.title}" and go back to the filter`} title="Back to the filter">
            ×
          </button>
        </span>
      )}
      {loading && (
        // "more like this" waits for these features (main loads them when the teacher pass ends)
        <span className="row muted" data-testid="similar-loading">
          Preparing "more like this": {Math.floor((100 * loading.done) / Math.max(1, loading.total))}%
          <progress max={loading.total} value={loading.done} aria-label='Reading features for "more like this"' />
        </span>
      )}
      <Choice label="Show" ariaLabel="Filter by state" value={query.status} options={STATUSES} onChange={(status) => setQuery({ status })} />
      <Choice label="Sort by" ariaLabel="Sort by" value={query.sort} options={SORTS} onChange={(sort) => setQuery({ sort })} />
      <label className="row">
        <input type="checkbox" checked={query.descending} onChange={(e) => setQuery({ descending: e.target.checked })} />
        Descending
      </label>
      <span className="muted" data-testid="filtered-count">
        {total.toLocaleString()} shown
      </span>
    </div>
  )
}
