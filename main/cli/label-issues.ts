/**
 * `label-issues <folder> [--out CSV] [--json] [--wait S]`: the human labels that k-fold heads (each
 * never shown the label it judges) most disagree with, by confident learning, most suspect first,
 * with the class the head suggests. The teacher runs first where images are not embedded yet.
 * --out writes `path,class,suggested,p_class,p_suggested,decision` with the decisions empty: put the
 * right class name in and give it to `review --in`.
 */
import { outMustNotExist, writeNewCsv } from './decisions'
import { runVerb } from './session'

const USAGE = 'label-issues <folder> [--out CSV] [--json] [--wait SECONDS]\n  --out CSV   path,class,suggested,p_class,p_suggested,decision rows (decision empty) for review --in'

export function run(args: string[]): Promise<number> {
  return runVerb(args, { usage: USAGE, options: { out: { type: 'string' } } }, async (v) => {
    const out = v.option('out') === undefined ? null : await outMustNotExist(v.option('out')!, v)
    const s = await v.open()
    await s.embed(v.signal)
    const classes = await s.call('classes.list', {})
    const issues = await s.call('labels.issues', {})
    const name = (id: number) => classes.find((c) => c.id === id)?.name ?? String(id)
    const rows = issues.map((i) => ({ path: i.image.relPath, class: name(i.classId), suggested: name(i.suggestedClassId), pClass: +i.pGiven.toFixed(4), pSuggested: +i.pSuggested.toFixed(4) }))
    if (out) await writeNewCsv(out, ['path', 'class', 'suggested', 'p_class', 'p_suggested', 'decision'], rows.map((r) => [r.path, r.class, r.suggested, r.pClass, r.pSuggested, '']))
    const human = classes.reduce((a, c) => a + c.counts.human, 0)
    v.say(`${issues.length} of ${human} human labels look wrong${issues.length ? ', most suspect first:' : ''}`)
    for (const r of rows) v.say(`  ${r.path}: labelled ${r.class} (p ${r.pClass.toFixed(2)}), the head says ${r.suggested} (p ${r.pSuggested.toFixed(2)})`)
    if (out) console.error(`written to ${out}`)
    return { humanLabels: human, issues: rows, out }
  })
}
