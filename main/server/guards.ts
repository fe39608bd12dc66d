/**
 * The web host's defences against misuse, each small and on its own so the host reads as a list of
 * rules: which Host headers name this server, how many failed token attempts an address may make,
 * and how many event streams one token may hold open.
 */

/** The loopback names every server answers to, plus the bound address and the public names. */
export interface HostCheck {
  bindHost: string
  port: number
  /** `--public-host` names, each `NAME` (any port: a proxy may drop it) or `NAME:PORT`. */
  publicHosts: readonly string[]
}

/** Wildcard addresses: any name may reach the server, so only --public-host can say which are right. */
export function isWildcard(bindHost: string): boolean {
  return bindHost === '0.0.0.0' || bindHost === '::'
}

/**
 * Whether a request's Host header names this server (the DNS-rebinding defence: a page on
 * evil.example whose name now resolves to this machine still sends `Host: evil.example`). Bound to
 * a wildcard with no public names, any Host passes (the behaviour before --public-host; the serve
 * verb warns about it).
 */
export function hostAllowed(header: string, check: HostCheck): boolean {
  if (isWildcard(check.bindHost) && check.publicHosts.length === 0) return true
  const host = header.toLowerCase()
  const bracketed = (h: string) => (h.includes(':') ? `[${h}]` : h)
  const allowed = new Set(['127.0.0.1', 'localhost', '[::1]', ...(isWildcard(check.bindHost) ? [] : [bracketed(check.bindHost.toLowerCase())])].map((h) => `${h}:${check.port}`))
  for (const name of check.publicHosts) {
    const n = name.toLowerCase()
    allowed.add(n).add(withPort(n, check.port))
  }
  return allowed.has(host)
}

/** `name` as a URL authority: as given when it carries a port, else with `port`. */
export function withPort(name: string, port: number): string {
  return /:\d+$/.test(name) && !name.endsWith(']') ? name : `${name}:${port}`
}

/** A --public-host value: a DNS name, an IPv4 address or a bracketed IPv6 one, with an optional port. */
export function validPublicHost(name: string): boolean {
  return /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(name)
}

/**
 * Failed token attempts per remote address in a sliding window. Once an address has `limit`
 * failures within `windowMs`, every request from it is refused with 429 until the oldest of them
 * leaves the window, without looking at its token: otherwise a locked-out address could keep
 * guessing. Requests with a good token never count. Memory stays bounded: at most `limit`
 * timestamps per address and at most `maxAddresses` addresses (stale ones pruned first, then the
 * longest-known).
 */
export class FailedTokenLimiter {
  private readonly failures = new Map<string, number[]>()

  constructor(
    readonly limit = 10,
    readonly windowMs = 60_000,
    readonly maxAddresses = 10_000,
  ) {}

  /** Seconds until `address` may try again; null when it is not locked out. */
  retryAfter(address: string, now = Date.now()): number | null {
    const times = this.recent(address, now)
    if (times.length < this.limit) return null
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000))
  }

  /** Records one failed attempt from `address`. */
  fail(address: string, now = Date.now()): void {
    const times = this.recent(address, now)
    times.push(now)
    if (times.length > this.limit) times.shift()
    this.failures.delete(address) // re-inserted last: the Map's order is then least recently failed first
    this.failures.set(address, times)
    if (this.failures.size > this.maxAddresses) this.prune(now)
  }

  /** How many addresses are remembered (for tests of the bound). */
  get size(): number {
    return this.failures.size
  }

  private recent(address: string, now: number): number[] {
    const times = this.failures.get(address) ?? []
    while (times.length && times[0]! <= now - this.windowMs) times.shift()
    return times
  }

  private prune(now: number): void {
    for (const [address, times] of this.failures) if (times[times.length - 1]! <= now - this.windowMs) this.failures.delete(address)
    for (const address of this.failures.keys()) {
      if (this.failures.size <= this.maxAddresses) break
      this.failures.delete(address)
    }
  }
}

/**
 * Open event streams per token: each browser tab holds one, so a cap far above a person's tabs
 * stops one token (a leaked one, or a script) from tying up the server's sockets.
 */
export class StreamSlots {
  private readonly open = new Map<string, number>()

  constructor(readonly perToken = 8) {}

  /** Takes a slot for `token`; false when it holds `perToken` already. */
  take(token: string): boolean {
    const n = this.open.get(token) ?? 0
    if (n >= this.perToken) return false
    this.open.set(token, n + 1)
    return true
  }

  release(token: string): void {
    const n = (this.open.get(token) ?? 0) - 1
    if (n > 0) this.open.set(token, n)
    else this.open.delete(token)
  }
}
