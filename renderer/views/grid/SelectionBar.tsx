import { decideMany, pickClassForMany } from '../../decisions'
import { useLabels } from '../../stores/labels'
import { useSelection } from '../../stores/selection'

/** "N selected" with the actions that apply to all of them at once. */
export function SelectionBar() {
  const ids = useSelection((s) => s.ids)
  const classes = useLabels((s) => s.classes)
  if (ids.size === 0) return null
  const all = () => [...useSelection.getState().ids]
  return (
    <div className="selection-bar" role="toolbar" aria-label="Selection" data-testid="selection-bar">
      <strong data-testid="selection-count">{ids.size.toLocaleString()} selected</strong>
      <span className="muted">Label as</span>
      {classes.slice(0, 9).map((c, i) => (
        <button key={c.id} type="button" onClick={() => decideMany(all(), String(i + 1))} aria-label={`Label the selected images ${c.name}`}>
          <kbd>{i + 1}</kbd> {c.name}
        </button>
      ))}
      <button type="button" onClick={() => pickClassForMany(all())} aria-label="Label the selected images with a class picked by name">
        {classes.length > 9 ? `${classes.length - 9} more…` : 'By name…'} <kbd>c</kbd>
      </button>
      <button type="button" onClick={() => decideMany(all(), 'a')} aria-label="Accept the selected proposals">
        <kbd>a</kbd> Accept
      </button>
      <button type="button" onClick={() => decideMany(all(), 'x')} aria-label="Reject the selected proposals">
        <kbd>x</kbd> Reject
      </button>
      <span className="spacer" />
      <button type="button" onClick={() => useSelection.getState().clear()} aria-label="Clear the selection">
        Clear <kbd>Esc</kbd>
      </button>
    </div>
  )
}
