/**
 * A second studio process for the store tests (run with tsx):
 *   write <folder> <imageId>...  : labels images one by one, printing "ack <n>" after each commit
 *   hold <folder>                : opens the project, prints "open", waits to be killed
 */
import { Project } from '../../main/engine/project/project'

const [mode, folder, ...rest] = process.argv.slice(2)
const p = await Project.open(folder as string)
if (mode === 'hold') {
  process.stdout.write('open\n')
  setInterval(() => undefined, 1000)
} else {
  const ids = rest.map(Number)
  const cls = [p.store.classes.ensure('a'), p.store.classes.ensure('b')]
  for (let n = 0; ; n++) {
    const id = ids[n % ids.length] as number
    p.store.labels.set([id], cls[n % 2] as number, `writer ${n}`)
    // The write has returned: it is committed. Only now is it acknowledged.
    process.stdout.write(`ack ${n} ${id}\n`)
  }
}
