/** Indexes a folder in a separate process (the permission test runs it without root's power to read any file) and prints what it found as JSON. */
import { Project } from '../../main/engine/project/project'

const [folder, appDataDir] = process.argv.slice(2)
const p = await Project.open(folder as string, { appDataDir })
await p.index()
process.stdout.write(JSON.stringify({ images: p.store.queries.page().items.map((i) => i.path), unreadable: p.store.images.unreadableFiles().items }))
await p.close()
