/**
 * Watches a project's folder while it is open and re-indexes what changes (debounced). One
 * non-recursive watcher per folder: Node 20's recursive watch on Linux walks the whole tree
 * synchronously when it starts (about 3 s of blocked event loop at 100k files). Falls back to
 * polling (a full incremental re-scan every `pollMs`) when the OS runs out of watches.
 */
import { existsSync, readdirSync, watch as fsWatch, type FSWatcher } from 'node:fs'
import path from 'node:path'
import { slicer, type IndexReport } from './indexer'

export interface WatchEvent {
  report?: IndexReport
  error?: unknown
}

export interface WatchOptions {
  debounceMs?: number
  pollMs?: number
}

/** What the watcher needs of its project: its scans, run one at a time with the project's own. */
export interface Rescanner {
  /** Re-indexes these paths (files or folders, relative to the folder), or all of it when absent. */
  rescan(subpaths?: string[]): Promise<IndexReport>
  /** True while a scan runs (a poll then skips its turn). */
  scanning(): boolean
  closed(): boolean
}

export class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>()
  private watching = false
  private poller: NodeJS.Timeout | null = null

  constructor(
    private readonly folder: string,
    private readonly project: Rescanner,
  ) {}

  watch(onChange: (e: WatchEvent) => void, opts: WatchOptions = {}): void {
    if (this.watching) return
    this.watching = true
    const debounceMs = opts.debounceMs ?? 300
    const pending = new Set<string>()
    let timer: NodeJS.Timeout | null = null
    const fail = (error: unknown) => {
      this.closeWatchers()
      onChange({ error })
      this.startPolling(onChange, opts.pollMs ?? 30_000)
    }
    const flush = () => {
      timer = null
      const subpaths = collapse([...pending])
      pending.clear()
      if (subpaths.length === 0 || this.project.closed() || !this.watching) return
      this.project.rescan(subpaths).then(
        async (report) => {
          onChange({ report })
          // New folders get their own watcher (watchers of vanished folders close themselves).
          // Files written into a new folder before its watcher existed are caught by one more pass.
          // A watcher follows its folder's inode, so after a rename it would report the old
          // name: drop watchers of paths that are gone (the new name gets fresh ones below).
          for (const sub of subpaths) {
            if (existsSync(path.join(this.folder, sub))) continue
            for (const [dir, w] of this.watchers) {
              if (sub !== '' && (dir === sub || dir.startsWith(sub + '/'))) {
                w.close()
                this.watchers.delete(dir)
              }
            }
          }
          const added: string[] = []
          for (const sub of subpaths) added.push(...(await this.watchTree(sub, onEvent).catch((e: unknown) => (fail(e), []))))
          if (added.length && this.watching) onChange({ report: await this.project.rescan(collapse(added)) })
        },
        (error: unknown) => onChange({ error }),
      )
    }
    const onEvent = (rel: string) => {
      if (rel.split('/').some((seg) => seg.startsWith('.'))) return // hidden, and our own folder
      // Any other name may be a folder (created, moved in or out; "holiday.2024" included), so
      // every path is re-walked; a non-image file costs one stat.
      pending.add(rel)
      if (!timer) timer = setTimeout(flush, debounceMs)
    }
    void this.watchTree('', onEvent).catch(fail)
  }

  /** Adds a watcher to `rel` and every folder below it that has none yet; returns the folders it added. */
  private async watchTree(rel: string, onEvent: (rel: string) => void): Promise<string[]> {
    const tick = slicer()
    const added: string[] = []
    const visit = async (dir: string): Promise<void> => {
      if (!this.watching || this.project.closed()) return
      const abs = path.join(this.folder, dir)
      let entries
      try {
        entries = readdirSync(abs, { withFileTypes: true })
      } catch {
        return // gone, or not a folder
      }
      if (!this.watchers.has(dir)) {
        const w = fsWatch(abs, (_event, name) => {
          if (name) onEvent(dir ? `${dir}/${name.toString()}` : name.toString())
        })
        w.on('error', () => {
          // the folder was removed: its parent reports that; just drop this watcher
          w.close()
          this.watchers.delete(dir)
        })
        this.watchers.set(dir, w)
        added.push(dir)
      }
      for (const e of entries) {
        await tick()
        if (e.isDirectory() && !e.name.startsWith('.')) await visit(dir ? `${dir}/${e.name}` : e.name)
      }
    }
    await visit(rel)
    return added
  }

  private closeWatchers(): void {
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }

  private startPolling(onChange: (e: WatchEvent) => void, pollMs: number): void {
    if (this.project.closed() || this.poller) return
    this.poller = setInterval(() => {
      if (this.project.scanning()) return
      this.project.rescan().then(
        (report) => onChange({ report }),
        (error: unknown) => onChange({ error }),
      )
    }, pollMs)
    this.poller.unref()
  }

  unwatch(): void {
    this.watching = false
    this.closeWatchers()
    if (this.poller) clearInterval(this.poller)
    this.poller = null
  }
}

/** Drops paths that lie below another path in the list (re-walking the parent covers them). */
function collapse(paths: string[]): string[] {
  paths.sort()
  const out: string[] = []
  for (const p of paths) {
    const last = out[out.length - 1]
    if (last !== undefined && (p === last || p.startsWith(last + '/'))) continue
    out.push(p)
  }
  return out
}
