/**
 * `accept <folder> --above P [--class C] [--json] [--wait S]`: accepts every waiting proposal whose
 * confidence is P or more (of one class, or all), as the review queue's threshold does: one action,
 * one undo step in the studio.
 */
import { perClassText } from './decisions'
import { classByName, probability, runVerb } from './session'

const USAGE = 'accept <folder> --above P [--class C] [--json] [--wait SECONDS]\n  --above P   accept the proposals with confidence >= P (0 to 1)\n  --class C   only this class'

export function run(args: string[]): Promise<number> {
  return runVerb(args, { usage: USAGE, options: { above: { type: 'string' }, class: { type: 'string' } } }, async (v) => {
    const threshold = probability(v.option('above'), 'above', v)
    const s = await v.open()
    const classes = await s.call('classes.list', {})
    const name = v.option('class')
    const classId = name === undefined ? undefined : classByName(classes, name, '--class')
    const counts = (await s.call('proposals.countAbove', { threshold })).filter((c) => classId === undefined || c.classId === classId)
    const done = await s.call('proposals.acceptAbove', { threshold, ...(classId !== undefined ? { classId } : {}) })
    const perClass: Record<string, number> = {}
    for (const c of counts) if (c.count) perClass[classes.find((x) => x.id === c.classId)?.name ?? String(c.classId)] = c.count
    v.say(`accepted ${done.imageIds.length} proposals with confidence >= ${threshold} (${perClassText(perClass)})`)
    return { threshold, accepted: done.imageIds.length, perClass }
  })
}
