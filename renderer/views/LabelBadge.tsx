import type { ImageInfo } from '../../preload/contract'
import { useLabels } from '../stores/labels'
import { classColor } from '../../preload/vocabulary'

const STATE_MARK: Record<ImageInfo['status'], string> = { unlabelled: '', human: '✎', proposed: '?', accepted: '✓', rejected: '✗' }
const STATE_TITLE: Record<ImageInfo['status'], string> = {
  unlabelled: 'unlabelled',
  human: 'labelled by a person',
  proposed: 'proposed by a round, not reviewed',
  accepted: 'pseudo-label accepted',
  rejected: 'pseudo-label rejected',
}

/** The class, the state and the confidence of an image, at a glance. */
export function LabelBadge({ image }: { image: ImageInfo }) {
  const classes = useLabels((s) => s.classes)
  if (image.status === 'unlabelled' || image.classId === null) return null
  const index = classes.findIndex((c) => c.id === image.classId)
  const cls = classes[index]
  return (
    <span
      className={`label-badge state-${image.status}`}
      data-testid="label-badge"
      data-status={image.status}
      style={{ borderColor: classColor(index, cls?.color ?? null) }}
      title={`${cls?.name ?? 'class ' + image.classId}: ${STATE_TITLE[image.status]}`}
    >
      <span className="swatch" style={{ background: classColor(index, cls?.color ?? null) }} />
      {cls?.name ?? '?'} {STATE_MARK[image.status]}
      {image.confidence !== null && image.status !== 'human' && <span className="conf">{Math.round(image.confidence * 100)}%</span>}
    </span>
  )
}
