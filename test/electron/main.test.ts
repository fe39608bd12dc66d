/**
 * The Electron main process, with a stand-in for the `electron` module: its binary cannot be
 * installed on these machines. What is checked is our wiring and hardening (window preferences,
 * navigation and window.open blocked, no remote requests, IPC validated and limited to our page,
 * the media protocol limited to the project folder), all of which reach the same StudioApi the web
 * host tests exercise for real.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import sharp from 'sharp'
import { IPC_REQUEST, MEDIA_SCHEME } from '../../preload/contract'

type Handler = (...args: unknown[]) => unknown
const fake = vi.hoisted(() => ({
  windows: [] as { options: { webPreferences: Record<string, unknown> } }[],
  webContents: new Map<string, Handler>(),
  windowOpen: null as Handler | null,
  ipc: new Map<string, Handler>(),
  protocols: new Map<string, Handler>(),
  privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
  beforeRequest: null as Handler | null,
  permission: null as Handler | null,
  loaded: '' as string,
  appEvents: new Map<string, Handler>(),
  onExit: null as (() => void) | null,
}))

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = {
      on: (event: string, fn: Handler) => fake.webContents.set(event, fn),
      setWindowOpenHandler: (fn: Handler) => (fake.windowOpen = fn),
      send: () => undefined,
    }
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      fake.windows.push(this)
    }
    once() {}
    on() {}
    show() {}
    loadFile(file: string) {
      fake.loaded = file
      return Promise.resolve()
    }
    loadURL() {
      return Promise.resolve()
    }
    static getAllWindows() {
      return fake.windows
    }
  }
  return {
    app: {
      whenReady: () => Promise.resolve(),
      on: (event: string, fn: Handler) => fake.appEvents.set(event, fn),
      isPackaged: false,
      quit: () => undefined,
      exit: () => fake.onExit?.(),
      getPath: () => `${process.env.TMPDIR ?? '/tmp'}/studio-electron-appdata`,
    },
    BrowserWindow,
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
    ipcMain: { handle: (channel: string, fn: Handler) => fake.ipc.set(channel, fn) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: typeof fake.privileged) => fake.privileged.push(...schemes),
      handle: (scheme: string, fn: Handler) => fake.protocols.set(scheme, fn),
    },
    session: {
      defaultSession: {
        webRequest: { onBeforeRequest: (fn: Handler) => (fake.beforeRequest = fn) },
        setPermissionRequestHandler: (fn: Handler) => (fake.permission = fn),
      },
    },
    shell: { openExternal: async () => undefined },
  }
})

let tmp: string
let project: string

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'studio-electron-'))
  project = path.join(tmp, 'project')
  await mkdir(project)
  await writeFile(path.join(tmp, 'secret.txt'), 'secret')
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toFile(path.join(project, 'a.png'))
  await import('../../main/electron/index')
  await new Promise((r) => setTimeout(r, 0)) // let whenReady().then(...) run
})

afterAll(async () => {
  // Quitting closes the project (its database, watcher and teacher pass) before the files go.
  const exited = new Promise<void>((resolve) => (fake.onExit = resolve))
  fake.appEvents.get('will-quit')?.({ preventDefault: () => undefined })
  await exited
  await rm(tmp, { recursive: true, force: true })
})

// Our page, as main computes it from its own location (main/electron -> main/renderer when run from source).
const ourPage = pathToFileURL(path.resolve('main/renderer/index.html')).href
const invoke = (senderUrl: string, name: unknown, input: unknown) => fake.ipc.get(IPC_REQUEST)?.({ senderFrame: { url: senderUrl } }, name, input) as Promise<{ ok: boolean; error?: { code: string; message: string }; value?: unknown }>

describe('window hardening', () => {
  it('creates the window isolated, sandboxed, without Node, with a CommonJS preload', () => {
    const prefs = fake.windows[0]?.options.webPreferences
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false })
    expect(String(prefs?.preload)).toMatch(/preload[/\\]index\.cjs$/)
    expect(fake.loaded).toMatch(/renderer[/\\]index\.html$/)
  })

  it('blocks navigation and new windows', () => {
    let prevented = false
    fake.webContents.get('will-navigate')?.({ preventDefault: () => (prevented = true) }, 'https://evil.example')
    expect(prevented).toBe(true)
    expect(fake.windowOpen?.({ url: 'https://evil.example' })).toEqual({ action: 'deny' })
    expect(fake.windowOpen?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
  })

  it('loads nothing remote and grants no permission', () => {
    const decide = (url: string) => {
      let cancel: boolean | undefined
      fake.beforeRequest?.({ url }, (r: { cancel: boolean }) => (cancel = r.cancel))
      return cancel
    }
    expect(decide('https://cdn.example/x.js')).toBe(true)
    expect(decide('http://127.0.0.1:8080/')).toBe(true)
    expect(decide(ourPage)).toBe(false)
    expect(decide(`${MEDIA_SCHEME}://project/thumb/a.png`)).toBe(false)
    let granted: boolean | undefined
    fake.permission?.({}, 'media', (g: boolean) => (granted = g))
    expect(granted).toBe(false)
  })
})

describe('IPC', () => {
  it('answers only our own page', async () => {
    const reply = await invoke('https://evil.example/', 'app.info', {})
    expect(reply.ok).toBe(false)
    expect(reply.error?.code).toBe('forbidden')
  })

  it('validates every payload in main', async () => {
    expect((await invoke(ourPage, 'images.page', { offset: 'zero', limit: 5 })).error?.code).toBe('invalid_input')
    expect((await invoke(ourPage, { toString: () => 'app.info' }, {})).error?.code).toBe('invalid_input')
    expect((await invoke(ourPage, 'project.open', { folder: project, extra: 1 })).error?.code).toBe('invalid_input')
  })

  it('runs requests through the shared StudioApi', async () => {
    const opened = await invoke(ourPage, 'project.open', { folder: project })
    expect(opened.ok).toBe(true)
    expect(opened.value).toMatchObject({ imageCount: 1 })
  })
})

describe('media protocol', () => {
  const fetchMedia = (url: string) => fake.protocols.get(MEDIA_SCHEME)?.({ url }) as Promise<Response>

  it('is registered as a secure standard scheme', () => {
    expect(fake.privileged).toContainEqual(expect.objectContaining({ scheme: MEDIA_SCHEME, privileges: expect.objectContaining({ standard: true, secure: true }) }))
  })

  it('serves project images and nothing outside the folder', async () => {
    const ok = await fetchMedia(`${MEDIA_SCHEME}://project/thumb/a.png`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('image/webp')
    for (const bad of ['original/..%2fsecret.txt', `original/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`, 'original/%2e%2e/secret.txt']) {
      const res = await fetchMedia(`${MEDIA_SCHEME}://project/${bad}`)
      expect(res.status, bad).toBe(403)
      expect(await res.text()).not.toBe('secret')
    }
  })
})
