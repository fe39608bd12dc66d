/** Small file-system helpers the engine's modules share. */
import { access } from 'node:fs/promises'

/** Whether `p` exists (a file or a folder; a dangling link does not). */
export async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  )
}
