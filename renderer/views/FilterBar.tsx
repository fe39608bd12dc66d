import { useGrid, type SortKey, type StatusFilter } from '../stores/grid'

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

export function FilterBar() {
  const query = useGrid((s) => s.query)
  const total = useGrid((s) => s.total)
  const setQuery = useGrid((s) => s.setQuery)
  return (
    <div className="filter-bar" role="toolbar" aria-label="Filter and sort">
      <label className="row">
        Show
        <select value={query.status} onChange={(e) => setQuery({ status: e.target.value as StatusFilter })} aria-label="Filter by state">
          {STATUSES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label className="row">
        Sort by
        <select value={query.sort} onChange={(e) => setQuery({ sort: e.target.value as SortKey })} aria-label="Sort by">
          {SORTS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
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
