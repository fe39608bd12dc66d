import type { ClassInfo } from '../../../preload/contract'
import { classColor } from '../../../preload/vocabulary'
import { STATUSES, useMap, type ColourBy, type MapData } from '../../stores/map'
import { NONE, RAMP, STATE_COLOURS, STATE_NAMES } from './colours'

/** Colouring, lasso mode, reset, the legend, and how many points the map holds. */
export function MapToolbar({ data, classes, lassoMode, toggleLasso, resetView }: { data: MapData; classes: ClassInfo[]; lassoMode: boolean; toggleLasso: () => void; resetView: () => void }) {
  const { state, message, progress, colourBy } = useMap()
  return (
    <div className="map-toolbar" role="toolbar" aria-label="Map">
      <label className="row">
        Colour by
        <select value={colourBy} onChange={(e) => useMap.getState().setColourBy(e.target.value as ColourBy)} aria-label="Colour the map by">
          <option value="class">Class</option>
          <option value="state">State</option>
          <option value="confidence">Confidence</option>
        </select>
      </label>
      <button type="button" aria-pressed={lassoMode} className={lassoMode ? 'active' : ''} onClick={toggleLasso} title="Lasso (L); or shift+drag">
        Lasso
      </button>
      <button type="button" onClick={resetView} title="Reset the view (Home)">
        Reset view
      </button>
      <Legend by={colourBy} classes={classes} />
      <span className="spacer" />
      {state === 'loading' && <span className="muted">Updating the map{progress ? `: ${progress.stage}` : '…'}</span>}
      {state === 'failed' && <span className="error-text">{message}</span>}
      <span className="muted" data-testid="map-count" title={`${data.landmarks.toLocaleString()} laid out directly, the others placed among their nearest`}>
        {data.count.toLocaleString()} points
      </span>
    </div>
  )
}

function Legend({ by, classes }: { by: ColourBy; classes: ClassInfo[] }) {
  const items: [string, string][] =
    by === 'state'
      ? STATUSES.map((s) => [STATE_COLOURS[s], STATE_NAMES[s]])
      : by === 'confidence'
        ? [
            [RAMP[0]!, '0%'],
            [RAMP[2]!, '50%'],
            [RAMP[4]!, '100%'],
            [NONE, 'none'],
          ]
        : [...classes.map((c, i): [string, string] => [classColor(i, c.color), c.name]), [NONE, 'unlabelled']]
  return (
    <ul className="map-legend" aria-label="Legend">
      {items.map(([colour, name]) => (
        <li key={name}>
          <span className="swatch" style={{ background: colour }} />
          {name}
        </li>
      ))}
    </ul>
  )
}
