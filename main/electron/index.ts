/**
 * The desktop app's main process: one hardened window, the contract over IPC, project images over a
 * custom protocol. All work is done by StudioApi (main/app/studio.ts), the same code the web host runs.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell } from 'electron'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { IPC_EVENT, IPC_REQUEST, MEDIA_SCHEME } from '../../preload/contract'
import { parseMediaPath } from '../app/media'
import { StudioApi } from '../app/studio'
import { PathRefused } from '../engine/library/safe-path'

const here = path.dirname(fileURLToPath(import.meta.url))
const rendererIndex = path.join(here, '../renderer/index.html')

// Must happen before `ready`: lets the renderer load images from studio-media:// under its CSP.
protocol.registerSchemesAsPrivileged([{ scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }])

let win: BrowserWindow | null = null

const api = new StudioApi({
  host: 'electron',
  appDataDir: app.getPath('userData'),
  pickFolder: async () => {
    const result = win
      ? await dialog.showOpenDialog(win, { title: 'Open a folder of images', properties: ['openDirectory'] })
      : await dialog.showOpenDialog({ title: 'Open a folder of images', properties: ['openDirectory'] })
    return result.canceled ? null : (result.filePaths[0] ?? null)
  },
})

/** True when an IPC message comes from our own page, not from some frame that navigated elsewhere. */
function trustedSender(url: string | undefined): boolean {
  if (!url) return false
  if (process.env.ELECTRON_RENDERER_URL) return url.startsWith(process.env.ELECTRON_RENDERER_URL)
  return url.startsWith('file://') && fileURLToPath(url.split('#')[0]?.split('?')[0] ?? '') === rendererIndex
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'Pseudolabel Studio',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  win.once('ready-to-show', () => win?.show())
  // No navigation away from the app and no new windows; web links open in the user's browser.
  win.webContents.on('will-navigate', (e) => e.preventDefault())
  win.webContents.on('will-redirect', (e) => e.preventDefault())
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.on('closed', () => (win = null))
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(rendererIndex)
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
})

app.whenReady().then(() => {
  // Nothing remote: every request that is not the app, its dev server or our protocol is cancelled.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url
    const allowed =
      url.startsWith('file://') || url.startsWith(`${MEDIA_SCHEME}:`) || url.startsWith('devtools://') || url.startsWith('data:') || (process.env.ELECTRON_RENDERER_URL !== undefined && url.startsWith(process.env.ELECTRON_RENDERER_URL))
    callback({ cancel: !allowed })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))

  protocol.handle(MEDIA_SCHEME, async (request) => {
    try {
      // The raw path, not URL's normalised one, so `%2e%2e` reaches the checks instead of being folded.
      const raw = request.url.slice(`${MEDIA_SCHEME}://`.length).split(/[?#]/)[0] ?? ''
      const [kind, rel] = parseMediaPath(raw.slice(raw.indexOf('/') + 1))
      const media = await api.media(kind, rel)
      return new Response(new Uint8Array(media.bytes), { headers: { 'Content-Type': media.mime, 'X-Content-Type-Options': 'nosniff' } })
    } catch (err) {
      const status = err instanceof PathRefused ? err.status : 500
      return new Response(err instanceof Error ? err.message : 'error', { status })
    }
  })

  ipcMain.handle(IPC_REQUEST, (event, name: unknown, input: unknown) => {
    if (!trustedSender(event.senderFrame?.url)) return { ok: false, error: { code: 'forbidden', message: 'request from an unknown frame' } }
    return api.handle(typeof name === 'string' ? name : '', input)
  })
  api.onEvent((event) => win?.webContents.send(IPC_EVENT, event))

  // `electron . <folder>` opens that folder at start.
  const folder = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => !a.startsWith('-') && a !== '.')
  if (folder) void api.handle('project.open', { folder })

  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

// Close the project's database and watcher before the process goes.
app.on('will-quit', (e) => {
  e.preventDefault()
  void api.close().finally(() => app.exit(0))
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
