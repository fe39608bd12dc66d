/**
 * `suggest <folder> [--count N] [--out CSV] [--json] [--wait S]`: the images worth labelling next
 * (diverse and representative, those already labelled taken into account), as the studio suggests
 * them. Runs the teacher first where images are not embedded yet. `--out` writes `path,decision`
 * with the decisions empty: fill in class names and give it back to `review --in`.
 */
import { outMustNotExist, writeNewCsv } from './decisions'
import { runVerb, wholeNumber } from './session'

const USAGE = 'suggest <folder> [--count N] [--out CSV] [--json] [--wait SECONDS]\n  --count N   how many images (default 20)\n  --out CSV   write path,decision rows (decision empty) for review --in'

export function run(args: string[]): Promise<number> {
  return runVerb(args, { usage: USAGE, options: { count: { type: 'string', default: '20' }, out: { type: 'string' } } }, async (v) => {
    const count = wholeNumber(v.option('count'), 'count', 1, v)
    const out = v.option('out') === undefined ? null : await outMustNotExist(v.option('out')!, v)
    const s = await v.open()
    await s.embed(v.signal)
    const images = await s.call('suggest.seeds', { count })
    if (out) await writeNewCsv(out, ['path', 'decision'], images.map((i) => [i.relPath, '']))
    for (const i of images) v.say(i.relPath)
    if (out) console.error(`${images.length} suggestions written to ${out}`)
    return { suggestions: images.map((i) => ({ path: i.relPath, id: i.id, status: i.status })), out }
  })
}
