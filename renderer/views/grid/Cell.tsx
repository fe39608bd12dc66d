import type { MouseEvent } from 'react'
import type { ImageInfo } from '../../../preload/contract'
import { studio } from '../../transport'
import { LabelBadge } from '../LabelBadge'

/** What a cell does with the pointer and the focus (its keys are the grid's: see keys.ts). */
export interface CellActions {
  onClick(e: MouseEvent<HTMLButtonElement>, index: number): void
  onOpen(index: number): void
  onFocus(index: number): void
  onBlur(index: number): void
  onMenu(index: number, x: number, y: number): void
}

/**
 * One grid cell at its place: a thumbnail button with its label badge, selection mark and caption,
 * or a light placeholder while its page (or the end of a fling) has not come.
 */
export function Cell({ index, image, left, top, selected, similarity, actions }: { index: number; image: ImageInfo | undefined; left: number; top: number; selected: boolean; similarity: number | undefined; actions: CellActions }) {
  return (
    <div className={`cell${selected ? ' selected' : ''}`} role="gridcell" aria-selected={selected} style={{ transform: `translate(${left}px, ${top}px)` }}>
      {image ? (
        <button
          type="button"
          className="thumb"
          data-testid="thumb"
          data-index={index}
          data-selected={selected || undefined}
          title={image.relPath}
          onClick={(e) => actions.onClick(e, index)}
          onDoubleClick={() => actions.onOpen(index)}
          onFocus={() => actions.onFocus(index)}
          onBlur={() => actions.onBlur(index)}
          onContextMenu={(e) => {
            e.preventDefault()
            actions.onMenu(index, e.clientX, e.clientY)
          }}
        >
          <img ref={cancelOnUnmount} src={studio.mediaUrl('thumb', image.relPath)} alt={image.relPath} loading="lazy" decoding="async" draggable={false} />
          <LabelBadge image={image} />
          {selected && (
            <span className="select-mark" aria-hidden="true">
              ✓
            </span>
          )}
          <span className="caption">
            {similarity !== undefined && <span className="similarity">{index === 0 ? 'this image' : `${Math.round(similarity * 100)}% alike`} · </span>}
            {image.relPath.split('/').pop()}
          </span>
        </button>
      ) : (
        <div className="thumb placeholder" aria-hidden="true" />
      )}
    </div>
  )
}

/**
 * Chromium goes on loading an image whose element left the page until the element is garbage
 * collected; dropping its src when its cell unmounts lets the request be cancelled, so that cells
 * scrolled past do not hold up the thumbnails on screen (`npm run bench -- ui`, fast scroll).
 */
function cancelOnUnmount(img: HTMLImageElement | null) {
  return () => img?.removeAttribute('src')
}
