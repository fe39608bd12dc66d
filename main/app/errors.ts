/**
 * How failures cross the contract: every reply's error is a StudioError shape (code + message), so
 * engine errors are translated here into the codes the UI acts on.
 */
import { StudioError } from '../../preload/contract'
import { PathRefused } from '../engine/library/safe-path'
import { ClassConflict, StoreError } from '../engine/store'

/** A store failure while opening `folder`, said in the user's terms; other errors pass through. */
export function fromStoreError(err: unknown, folder: string): unknown {
  if (!(err instanceof StoreError)) return err
  switch (err.code) {
    case 'open_elsewhere':
      // The store's message names the process holding it (pid and host), which helps find it.
      return new StudioError('open_elsewhere', `${folder}: ${err.message}`)
    case 'no_writable_location':
      return new StudioError('forbidden', err.message)
    default:
      return new StudioError('unusable_database', `${err.message} Start afresh to keep the old database aside (nothing is deleted) and index the folder anew.`)
  }
}

export function toErrorShape(err: unknown): { code: StudioError['code']; message: string } {
  if (err instanceof StudioError) return { code: err.code, message: err.message }
  if (err instanceof ClassConflict) return { code: 'invalid_input', message: err.message }
  if (err instanceof PathRefused) return { code: err.status === 404 ? 'not_found' : 'forbidden', message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message }
}
