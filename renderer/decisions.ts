/**
 * One decision per keystroke, the same in the grid and the viewer:
 *   1-9  give the image class 1-9 (a seed label, or a correction of a pseudo-label)
 *   0    clear its label
 *   a    accept its pseudo-label        x  reject it
 * Returns true when the key was a decision (the caller then moves on to the next image).
 */
import type { ImageInfo } from '../preload/contract'
import { useLabels } from './stores/labels'

export function decide(image: ImageInfo, key: string): boolean {
  const labels = useLabels.getState()
  if (key >= '1' && key <= '9') {
    const cls = labels.classes[Number(key) - 1]
    if (!cls) {
      useLabels.setState({ message: `No class ${key} yet: create it in the Classes panel` })
      return false
    }
    const isPseudo = image.status === 'proposed' || image.status === 'accepted' || image.status === 'rejected'
    void (isPseudo ? labels.relabel([image.id], cls.id) : labels.label([image.id], cls.id))
    return true
  }
  if (key === '0') {
    void labels.label([image.id], null)
    return true
  }
  if ((key === 'a' || key === 'x') && image.status === 'proposed') {
    void labels.review([image.id], key === 'a' ? 'accept' : 'reject')
    return true
  }
  return false
}

/** True when a key press belongs to a text field, not to the studio's shortcuts. */
export function typingInField(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)
}
