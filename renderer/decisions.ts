/**
 * One decision per keystroke, the same in the grid, the viewer and the review queue:
 *   1-9  give the image class 1-9 (a seed label, or a correction of a pseudo-label)
 *   0    clear its label
 *   a    accept its pseudo-label        x  reject it       (proposals only)
 *   c    pick any class by name (the class picker), applied as a digit would be
 * Returns true when the key was a decision (the caller then moves on to the next image).
 */
import type { ClassInfo, ImageInfo } from '../preload/contract'
import { digitClass, isDigit } from './keymap'
import { pickClass } from './stores/class-picker'
import { useGrid } from './stores/grid'
import { useLabels } from './stores/labels'
import { notify } from './stores/notices'

const PSEUDO: ReadonlySet<string> = new Set(['proposed', 'accepted', 'rejected'])

/** Gives the image class `cls` (null clears): a seed label, or a correction where it holds a pseudo-label. */
export function labelImage(image: ImageInfo, cls: ClassInfo | null): void {
  const labels = useLabels.getState()
  if (cls === null) void labels.label([image.id], null)
  else void (PSEUDO.has(image.status) ? labels.relabel([image.id], cls.id) : labels.label([image.id], cls.id))
}

export function decide(image: ImageInfo, key: string): boolean {
  const labels = useLabels.getState()
  if (isDigit(key)) {
    const cls = digitClass(key)
    if (cls === undefined) return false
    labelImage(image, cls)
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
  const known = loadedImages()
  if (isDigit(key)) {
    const cls = digitClass(key)
    if (cls === undefined) return false
    labelImages(imageIds, cls)
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

/** The images of the grid's loaded pages, by id. */
function loadedImages(): Map<number, ImageInfo> {
  const known = new Map<number, ImageInfo>()
  for (const page of Object.values(useGrid.getState().pages)) for (const i of page) known.set(i.id, i)
  return known
}

/** `labelImage` for many images at once: one undo step per request (seed labels and corrections are two). */
export function labelImages(imageIds: readonly number[], cls: ClassInfo | null): void {
  const labels = useLabels.getState()
  if (cls === null) {
    void labels.label([...imageIds], null)
    return
  }
  const known = loadedImages()
  const isPseudo = (id: number) => PSEUDO.has(known.get(id)?.status ?? '')
  const pseudo = imageIds.filter(isPseudo)
  const seed = imageIds.filter((id) => !isPseudo(id))
  if (pseudo.length) void labels.relabel(pseudo, cls.id)
  if (seed.length) void labels.label(seed, cls.id)
}

/** The file name of an image, as the picker's title says it. */
const fileName = (image: ImageInfo) => image.relPath.split('/').pop() ?? image.relPath

/** Opens the class picker for one image; the class picked labels it as its digit would, then `then` runs (the viewer and the queue move on). */
export function pickClassFor(image: ImageInfo, then?: () => void): void {
  pickClass(`${PSEUDO.has(image.status) ? 'Relabel' : 'Label'} ${fileName(image)}`, (cls) => {
    labelImage(image, cls)
    then?.()
  })
}

/** Opens the class picker for the selected images; the class picked labels them all as its digit would. */
export function pickClassForMany(imageIds: readonly number[]): void {
  const ids = [...imageIds]
  pickClass(`Label ${ids.length.toLocaleString()} selected image${ids.length === 1 ? '' : 's'}`, (cls) => labelImages(ids, cls))
}
