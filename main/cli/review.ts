/**
 * `review <folder> --in CSV [--create-classes] [--json] [--wait S]`: decisions from a file, as a
 * person makes them in the review queue: `path,decision` rows, the decision `accept`, `reject` or a
 * class name (a human label for any image: a seed label on an unlabelled one, a correction on a
 * labelled one). decisions.ts says how the file is read and checked (all of it before any change).
 */
import path from 'node:path'
import { applyDecisions, perClassText, readDecisions } from './decisions'
import { runVerb } from './session'

const USAGE =
  'review <folder> --in CSV [--create-classes] [--json] [--wait SECONDS]\n  --in CSV           path,decision rows; decision: accept, reject or a class name (empty: left as it is)\n  --create-classes   create the classes the file names that the project does not have yet'

export function run(args: string[]): Promise<number> {
  return runVerb(args, { usage: USAGE, options: { in: { type: 'string' }, 'create-classes': { type: 'boolean', default: false } } }, async (v) => {
    const file = v.option('in')
    if (!file) throw v.usage('--in CSV is needed: the file of path,decision rows')
    const decisions = await readDecisions(path.resolve(file), v.folder)
    const s = await v.open()
    const applied = await applyDecisions(s, file, decisions, { createClasses: v.flag('create-classes') })
    if (applied.createdClasses.length) v.say(`created classes: ${applied.createdClasses.join(', ')}`)
    v.say(`accepted ${applied.accepted}, rejected ${applied.rejected}, labelled ${perClassText(applied.labelled)}, unchanged ${applied.unchanged}`)
    return applied
  })
}
