import type { ClassInfo } from '../../../preload/contract'
import { STATUSES, type MapData } from '../../stores/map'
import { studio } from '../../transport'
import { STATE_NAMES } from './colours'
import type { Size } from './camera'

/** The image of the point under the mouse, its name, class, state and confidence, beside the pointer. */
export function MapHover({ data, classes, hover, size }: { data: MapData; classes: ClassInfo[]; hover: { i: number; x: number; y: number }; size: Size }) {
  const cls = classes.find((c) => c.id === data.classId[hover.i])
  const status = STATUSES[data.status[hover.i]!]!
  const confidence = data.confidence[hover.i]!
  return (
    <div className="map-hover" data-testid="map-hover" style={{ left: Math.min(hover.x + 14, size.width - 190), top: Math.min(hover.y + 14, size.height - 200) }}>
      <img src={studio.mediaUrl('thumb', data.relPaths[hover.i]!)} alt={data.relPaths[hover.i]} />
      <span className="map-hover-name">{data.relPaths[hover.i]!.split('/').pop()}</span>
      <span className="muted">
        {status === 'unlabelled' ? 'unlabelled' : `${cls?.name ?? '?'}, ${STATE_NAMES[status].toLowerCase()}`}
        {!Number.isNaN(confidence) && status !== 'human' && ` ${Math.round(confidence * 100)}%`}
      </span>
    </div>
  )
}
