/**
 * For tests that drive a real project through the contract, as the UI does: a folder of real
 * photos, replies unwrapped, and a wait for what main reports by event.
 */
import { StudioApi } from '../main/app/studio'
import type { HostOptions } from '../main/app/context'
import type { RequestName, RequestResults, StudioEvent } from '../preload/contract'
export { hymenopteraSubset } from './shared'

/** The request's result; a refusal throws with its code and message. */
export async function callStudio<N extends RequestName>(studio: StudioApi, name: N, input: unknown = {}): Promise<RequestResults[N]> {
  const reply = await studio.handle(name, input)
  if (!reply.ok) throw new Error(`${name}: ${reply.error.code}: ${reply.error.message}`)
  return reply.value as RequestResults[N]
}

/** Resolves once `ok()` holds (checked every 50 ms); throws naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 150_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * A web-host StudioApi with `folder` open and embedded by the teacher; every event it emits is
 * pushed onto `events`. `options`: more of the host's options (HostOptions).
 */
export async function openEmbedded(folder: string, appDataDir: string, events: StudioEvent[], options: Omit<HostOptions, 'host' | 'appDataDir'> = {}): Promise<StudioApi> {
  const studio = new StudioApi({ host: 'web', appDataDir, ...options })
  studio.onEvent((e) => events.push(e))
  await callStudio(studio, 'project.open', { folder })
  await until('the teacher', () => events.some((e) => e.type === 'teacher.status' && e.status.state === 'done'))
  return studio
}
