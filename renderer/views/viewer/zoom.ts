import { useCallback, useLayoutEffect, useState, type RefObject } from 'react'

const MAX_SCALE = 16
/** Zoom per wheel pixel (exponential). */
export const WHEEL_STEP = 0.0015
/** How much + and - zoom. */
export const KEY_STEP = 1.25

/** Scale and offset of the image in its frame; `fit` while the whole image is shown. */
interface Zoom {
  scale: number
  x: number
  y: number
  fit: boolean
}

/**
 * Zoom and pan: wheel zooms about the pointer, + and - about the centre, f or a double-click toggles
 * between fit and 100% (200% for images smaller than the frame), Ctrl+0 fits; a drag pans. The image
 * is laid out at its natural size and placed by one CSS transform, so zooming repaints nothing else.
 */
export function useZoom(frame: RefObject<HTMLDivElement | null>, open: boolean, natural: { w: number; h: number }) {
  const [box, setBox] = useState({ w: 0, h: 0 })
  const [zoom, setZoom] = useState<Zoom | null>(null)

  useLayoutEffect(() => {
    const el = frame.current
    if (!el) return
    const observer = new ResizeObserver(() => setBox({ w: el.clientWidth, h: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [frame, open])

  const fitScale = natural.w && box.w ? Math.min(1, box.w / natural.w, box.h / natural.h) : 1
  const fitted: Zoom = { scale: fitScale, x: (box.w - natural.w * fitScale) / 2, y: (box.h - natural.h * fitScale) / 2, fit: true }
  const current = zoom ?? fitted

  /** Keeps the image over the frame: centred on an axis where it is smaller, edge to edge where larger. */
  const clamp = useCallback(
    (z: Zoom): Zoom => {
      const w = natural.w * z.scale
      const h = natural.h * z.scale
      const x = w <= box.w ? (box.w - w) / 2 : Math.min(0, Math.max(box.w - w, z.x))
      const y = h <= box.h ? (box.h - h) / 2 : Math.min(0, Math.max(box.h - h, z.y))
      return { ...z, x, y }
    },
    [natural, box],
  )

  /** Zooms by `factor` keeping the frame point (px, py) still. */
  const zoomAt = useCallback(
    (factor: number, px = box.w / 2, py = box.h / 2) => {
      setZoom((z) => {
        const from = z ?? fitted
        const scale = Math.min(MAX_SCALE, from.scale * factor)
        if (scale <= fitScale) return null
        return clamp({ scale, x: px - ((px - from.x) * scale) / from.scale, y: py - ((py - from.y) * scale) / from.scale, fit: false })
      })
    },
    [box, fitScale, clamp, fitted.x, fitted.y],
  )

  /** Fit <-> 100% (or 200% when 100% is the fit), about the frame point (px, py). */
  const toggle = useCallback(
    (px = box.w / 2, py = box.h / 2) => {
      if (zoom) setZoom(null)
      else zoomAt((fitScale < 1 ? 1 : 2) / fitScale, px, py)
    },
    [zoom, zoomAt, fitScale, box],
  )

  const pan = useCallback((dx: number, dy: number) => setZoom((z) => (z ? clamp({ ...z, x: z.x + dx, y: z.y + dy }) : z)), [clamp])
  const reset = useCallback(() => setZoom(null), [])
  return { current, zoomAt, toggle, pan, reset, zoomed: zoom !== null }
}
