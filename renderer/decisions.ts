/**
 * One decision per keystroke, the same in the grid, the viewer and the review queue:
 *   1-9  give the image class 1-9 (a seed label, or a correction of a pseudo-label)
 *   0    clear its label
 *   a    accept its pseudo-label        x  reject it       (proposals only)
 * Returns true when the key was a decision (the caller then moves on to the next image).
 */
import type { ImageInfo } from '../preload/contract'
import { digitClass, isDigit } from './keymap'
import { useGrid } from './stores/grid'
import { useLabels } from './stores/labels'
import { notify } from './stores/notices'

const PSEUDO: ReadonlySet<string> = new Set(['proposed', 'accepted', 'rejected'])

export function decide(image: ImageInfo, key: string): boolean {
  const labels = useLabels.getState()
  if (isDigit(key)) {
    const cls = digitClass(key)
    if (cls === undefined) return false
    if (cls === null) void labels.label([image.id], null)
    else void (PSEUDO.has(image.status) ? labels.relabel([image.id], cls.id) : labels.label([image.id], cls.id))
    return true
  }
  if ((key === 'a' || key === 'x') && image.status === 'proposed') {
    void labels.review([image.id], key === 'a' ? 'accept' : 'reject')
    return true
  }
  return false
}

/**
 * The same keys on a selection: 1-9 and 0 label every selected image (a correction where it holds
 * a pseudo-label), a and x accept or reject the selected proposals: one undo step per request (a
 * selection mixing seed and pseudo-labels gives two).
 * Images on pages not loaded count as unlabelled for 1-9 and as proposals for a and x (main skips
 * the ones without a pseudo-label).
 */
export function decideMany(imageIds: readonly number[], key: string): boolean {
  const labels = useLabels.getState()
  const known = new Map<number, ImageInfo>()
  for (const page of Object.values(useGrid.getState().pages)) for (const i of page) known.set(i.id, i)
  const isPseudo = (id: number) => PSEUDO.has(known.get(id)?.status ?? '')
  if (isDigit(key)) {
    const cls = digitClass(key)
    if (cls === undefined) return false
    if (cls === null) {
      void labels.label([...imageIds], null)
      return true
    }
    const pseudo = imageIds.filter(isPseudo)
    const seed = imageIds.filter((id) => !isPseudo(id))
    if (pseudo.length) void labels.relabel(pseudo, cls.id)
    if (seed.length) void labels.label(seed, cls.id)
    return true
  }
  if (key === 'a' || key === 'x') {
    const proposals = imageIds.filter((id) => (known.get(id)?.status ?? 'proposed') === 'proposed')
    if (proposals.length === 0) {
      notify('None of the selected images has a proposal to accept or reject')
      return true
    }
    void labels.review(proposals, key === 'a' ? 'accept' : 'reject')
    return true
  }
  return false
}
