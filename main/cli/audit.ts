/**
 * `audit <folder> --draw N --out CSV` then `audit <folder> --in CSV`: the studio's spot-check
 * without a window. --draw takes a fresh random sample of up to N proposals per class and writes
 * `path,proposed,confidence,decision` with the decisions empty; a person fills them in (accept when
 * the proposed class is right, reject when it is wrong, or the right class name) and --in applies
 * them (decisions.ts: checked first, then one action per kind) and prints each class's precision
 * with its Wilson 95% interval. The verdicts are ordinary label decisions, so they feed the next round.
 */
import path from 'node:path'
import type { AuditReport } from '../../preload/contract'
import { LIMITS } from '../../preload/vocabulary'
import { applyDecisions, outMustNotExist, perClassText, readDecisions, writeNewCsv } from './decisions'
import { percent, runVerb, wholeNumber } from './session'

const USAGE = `audit <folder> --draw N --out CSV | audit <folder> --in CSV [--json] [--wait SECONDS]
  --draw N    a new sample of up to N proposals per class (1 to ${LIMITS.maxAuditPerClass}), written to --out
  --out CSV   path,proposed,confidence,decision rows, decision empty, to fill in
  --in CSV    the filled-in file: decision accept (right), reject (wrong) or the right class name`

export function run(args: string[]): Promise<number> {
  return runVerb(args, { usage: USAGE, options: { draw: { type: 'string' }, out: { type: 'string' }, in: { type: 'string' } } }, async (v) => {
    const draw = v.option('draw')
    const input = v.option('in')
    if ((draw === undefined) === (input === undefined)) throw v.usage('give either --draw N --out CSV (a new sample) or --in CSV (the verdicts)')
    if (draw !== undefined) {
      const perClass = wholeNumber(draw, 'draw', 1, v)
      if (perClass > LIMITS.maxAuditPerClass) throw v.usage(`--draw takes at most ${LIMITS.maxAuditPerClass} per class`)
      const outOpt = v.option('out')
      if (!outOpt) throw v.usage('--draw needs --out CSV: the file to write the sample to')
      const out = await outMustNotExist(outOpt, v)
      const s = await v.open()
      const classes = await s.call('classes.list', {})
      const sample = await s.call('audit.start', { perClass })
      const name = (id: number | null) => classes.find((c) => c.id === id)?.name ?? ''
      await writeNewCsv(out, ['path', 'proposed', 'confidence', 'decision'], sample.map((i) => [i.relPath, name(i.classId), i.confidence === null ? null : +i.confidence.toFixed(4), '']))
      const per: Record<string, number> = {}
      for (const i of sample) per[name(i.classId)] = (per[name(i.classId)] ?? 0) + 1
      v.say(`${sample.length} proposals drawn (${perClassText(per)}), written to ${out}; fill in the decision column and run audit --in`)
      return { drawn: sample.length, perClass: per, out, sample: sample.map((i) => ({ path: i.relPath, proposed: name(i.classId), confidence: i.confidence })) }
    }
    const decisions = await readDecisions(path.resolve(input!), v.folder)
    const s = await v.open()
    const applied = await applyDecisions(s, input!, decisions, { createClasses: false })
    const report = await s.call('audit.report', {})
    v.say(`verdicts: ${applied.accepted} right, ${applied.rejected} wrong, ${Object.values(applied.labelled).reduce((a, b) => a + b, 0)} relabelled, ${applied.unchanged} left open`)
    sayReport(v, report)
    return { applied, report }
  })
}

function sayReport(v: { say(line: string): void }, report: AuditReport | null): void {
  if (!report) {
    v.say('no audit sample yet: run audit --draw N --out CSV first')
    return
  }
  for (const c of report.classes)
    v.say(c.checked ? `${c.name}: precision ${percent(c.precision)} (${c.correct} of ${c.checked} right; 95% interval ${percent(c.low)} to ${percent(c.high)})` : `${c.name}: no verdicts yet (${c.sampled} sampled)`)
}
