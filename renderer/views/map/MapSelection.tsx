import type { ClassInfo } from '../../../preload/contract'
import { classColor } from '../../../preload/vocabulary'
import { useMap } from '../../stores/map'

/**
 * The lasso's selection with a button per class of the first nine (digits 1-9), one for the class
 * picker (c, every class), clear (0) and deselect; a hint while nothing is selected.
 */
export function MapSelection({ count, classes, labelWith, pick }: { count: number; classes: ClassInfo[]; labelWith: (key: string) => void; pick: () => void }) {
  if (count === 0) {
    return (
      <p className="map-selection map-hint muted">
        Drag to pan, wheel to zoom, hover a point to see its image. <kbd>Shift</kbd>+drag (or <strong>Lasso</strong>) around a cluster to label it at once.
      </p>
    )
  }
  return (
    <div className="map-selection" role="region" aria-label="Selection">
      <strong data-testid="map-selection">{count.toLocaleString()} images selected</strong>
      <span className="muted">label them:</span>
      {classes.slice(0, 9).map((c, k) => (
        <button key={c.id} type="button" onClick={() => labelWith(String(k + 1))} aria-label={`Label the selected images ${c.name}`}>
          <span className="swatch" style={{ background: classColor(k, c.color) }} /> {c.name} <kbd>{k + 1}</kbd>
        </button>
      ))}
      <button type="button" onClick={pick} aria-label="Label the selected images with a class picked by name">
        {classes.length > 9 ? `${classes.length - 9} more…` : 'By name…'} <kbd>c</kbd>
      </button>
      <button type="button" onClick={() => labelWith('0')} aria-label="Clear the labels of the selected images">
        Clear labels <kbd>0</kbd>
      </button>
      <button type="button" onClick={() => useMap.getState().select(new Int32Array(0))}>
        Deselect <kbd>Esc</kbd>
      </button>
    </div>
  )
}
