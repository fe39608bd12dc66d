import { useEffect } from 'react'
import type { RoundInfo } from '../../preload/contract'
import { useLabels } from '../stores/labels'
import { useTeachers } from '../stores/teachers'
import { useTeacher } from '../stores/teacher'

/** Whether the teacher that embeds the project has a text tower (classes by name, zero-shot rounds). */
export function useTextAligned(): boolean {
  const teacher = useTeacher((s) => s.status?.model ?? s.settings?.teacher ?? null)
  const teachers = useTeachers((s) => s.teachers)
  useEffect(() => {
    if (teachers.length === 0) void useTeachers.getState().load()
  }, [teachers.length])
  return teachers.some((t) => t.id === teacher && t.textAligned)
}

/** Under "Run a round": with a text-aligned teacher and no label yet, the round proposes from the class names. */
export function ZeroShotHint() {
  const textAligned = useTextAligned()
  const labels = useLabels((s) => s.classes.reduce((n, c) => n + (c.counts.human ?? 0) + (c.counts.accepted ?? 0), 0))
  if (!textAligned || labels > 0) return null
  return (
    <p className="muted hint" data-testid="zero-shot-hint">
      No seed labels: proposals from the class names
    </p>
  )
}

/** How a round proposed, in words, for its row's tooltip and tag. */
export function roundMethod(r: RoundInfo): { tag: string | null; title: string } {
  if (r.method === 'zero-shot') return { tag: 'by name', title: 'Zero-shot: proposed from the class names alone; no labels to calibrate on, so confidences are the raw softmax' }
  if (r.method === 'text-prior') return { tag: null, title: 'Head on the labels, pulled toward the class names' }
  return { tag: null, title: 'Head on the labels' }
}
