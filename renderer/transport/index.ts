/**
 * Picks the transport at start: the Electron bridge when preload exposed one, else the web host.
 * The rest of the renderer sees only the `Studio` contract.
 */
import { MEDIA_SCHEME, mediaPath, StudioError, type ElectronBridge, type Reply, type Studio, type StudioEvent } from '../../preload/contract'

declare global {
  interface Window {
    studioBridge?: ElectronBridge
  }
}

function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value
  throw new StudioError(reply.error.code, reply.error.message)
}

function electronStudio(bridge: ElectronBridge): Studio {
  return {
    call: async (name, input) => unwrap(await bridge.invoke(name, input)) as never,
    onEvent: (listener) => bridge.subscribe(listener),
    mediaUrl: (kind, rel) => `${MEDIA_SCHEME}://project/${mediaPath(kind, rel)}`,
  }
}

/**
 * Decisions the web transport retries when the server cannot be reached (restarting, a dropped
 * link), for up to DECISION_RETRY_MS, each with its own Idempotency-Key: the server applies a
 * decision once however often it arrives, so a retry whose first attempt did land is harmless.
 */
const DECISIONS: ReadonlySet<string> = new Set(['labels.set', 'labels.review', 'labels.relabel', 'labels.keep', 'proposals.acceptAbove'])
const DECISION_RETRY_MS = 30_000

/** A random request id (crypto.randomUUID exists only on https or localhost pages). */
function requestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}

function webStudio(): Studio {
  const listeners = new Set<(event: StudioEvent) => void>()
  const emit = (event: StudioEvent): void => listeners.forEach((l) => l(event))
  let online = true
  // EventSource reconnects by itself; we only tell the UI when the link drops and returns.
  const events = new EventSource('/api/events')
  events.onmessage = (m: MessageEvent<string>) => emit(JSON.parse(m.data) as StudioEvent)
  events.onopen = () => {
    if (!online) emit({ type: 'connection', online: (online = true) })
  }
  events.onerror = () => {
    if (online) emit({ type: 'connection', online: (online = false) })
  }
  return {
    call: async (name, input) => {
      const decision = DECISIONS.has(name)
      const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(decision ? { 'Idempotency-Key': requestId() } : {}) }
      const giveUp = Date.now() + (decision ? DECISION_RETRY_MS : 0)
      let res: Response | null = null
      while (!res) {
        try {
          res = await fetch(`/api/call/${encodeURIComponent(name)}`, { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify(input) })
        } catch {
          if (Date.now() >= giveUp) throw new StudioError('internal', 'cannot reach the studio server: check that `npm run serve` is still running, then retry')
          await new Promise((r) => setTimeout(r, 500))
        }
      }
      if (res.status === 401) throw new StudioError('forbidden', 'the server refused the session token: open the URL the server printed (with ?token=)')
      const body = (await res.json().catch(() => null)) as Reply<unknown> | null
      if (!body) throw new StudioError('internal', `the server answered ${res.status} without a reply body`)
      return unwrap(body) as never
    },
    onEvent: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    mediaUrl: (kind, rel) => `/media/${mediaPath(kind, rel)}`,
  }
}

export const studio: Studio = window.studioBridge ? electronStudio(window.studioBridge) : webStudio()
