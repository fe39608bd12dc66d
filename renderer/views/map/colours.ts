/** The map's colours: per point, for the chosen colouring, packed for ImageData; and the legend's. */
import type { ClassInfo } from '../../../preload/contract'
import { classColor } from '../../../preload/vocabulary'
import { STATUSES, type ColourBy, type MapData } from '../../stores/map'

/** Grey for points without a label (readable on the light and the dark panel). */
export const NONE = '#8a929c'
export const STATE_COLOURS: Record<(typeof STATUSES)[number], string> = { unlabelled: NONE, rejected: '#d6453d', proposed: '#e8a33a', accepted: '#3cb44b', human: '#2f6fed' }
export const STATE_NAMES: Record<(typeof STATUSES)[number], string> = { unlabelled: 'Unlabelled', rejected: 'Rejected', proposed: 'Proposed', accepted: 'Accepted', human: 'Labelled by a person' }
/** Viridis at five stops: ordered in lightness, readable by the colour-blind. */
export const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725']

/** '#rrggbb' -> 0xAABBGGRR, the byte order of ImageData on little-endian machines. */
export function abgr(hex: string, alpha = 255): number {
  const v = parseInt(hex.slice(1, 7), 16)
  return ((alpha << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0
}

function mix(a: string, b: string, t: number): string {
  const pa = parseInt(a.slice(1, 7), 16)
  const pb = parseInt(b.slice(1, 7), 16)
  const ch = (s: number) => Math.round(((pa >> s) & 0xff) * (1 - t) + ((pb >> s) & 0xff) * t)
  return `#${((ch(16) << 16) | (ch(8) << 8) | ch(0)).toString(16).padStart(6, '0')}`
}

function rampColour(c: number): string {
  const t = Math.min(1, Math.max(0, c)) * (RAMP.length - 1)
  const k = Math.min(RAMP.length - 2, Math.floor(t))
  return mix(RAMP[k]!, RAMP[k + 1]!, t - k)
}

/** One packed colour per point for the chosen colouring. */
export function pointColours(data: MapData, by: ColourBy, classes: ClassInfo[]): Uint32Array {
  const out = new Uint32Array(data.count)
  const slot = new Map(classes.map((c, i) => [c.id, i]))
  const full = new Map(classes.map((c, i) => [c.id, abgr(classColor(i, c.color))]))
  // A proposal is the class's colour washed towards grey: a guess, not yet a label.
  const washed = new Map(classes.map((c, i) => [c.id, abgr(mix(classColor(i, c.color), NONE, 0.55))]))
  const none = abgr(NONE)
  const states = STATUSES.map((s) => abgr(STATE_COLOURS[s]))
  const ramp = Array.from({ length: 64 }, (_, k) => abgr(rampColour(k / 63)))
  for (let i = 0; i < data.count; i++) {
    const status = STATUSES[data.status[i]!]!
    if (by === 'state') out[i] = states[data.status[i]!]!
    else if (by === 'confidence') {
      const c = data.confidence[i]!
      out[i] = Number.isNaN(c) || status === 'human' ? none : ramp[Math.round(c * 63)]!
    } else {
      const id = data.classId[i]!
      out[i] = id < 0 || !slot.has(id) || status === 'unlabelled' || status === 'rejected' ? none : status === 'proposed' ? washed.get(id)! : full.get(id)!
    }
  }
  return out
}

/** Indices in drawing order: unlabelled first, people's labels last (on top). */
export function drawOrder(data: MapData): Int32Array {
  const start = new Int32Array(STATUSES.length + 1)
  for (let i = 0; i < data.count; i++) start[data.status[i]! + 1]!++
  for (let s = 1; s <= STATUSES.length; s++) start[s]! += start[s - 1]!
  const out = new Int32Array(data.count)
  for (let i = 0; i < data.count; i++) out[start[data.status[i]!]!++] = i
  return out
}

/** The theme's text colour as #rrggbb (the themes set --text in hex). */
export function textColour(el: Element): string {
  const v = getComputedStyle(el).getPropertyValue('--text').trim()
  return /^#[0-9a-f]{6}$/i.test(v) ? v : '#1b1f24'
}
