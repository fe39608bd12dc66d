/**
 * Runs sandboxed in the renderer with contextIsolation: exposes the contract through ipcRenderer and
 * nothing else. No Node API reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IPC_EVENT, IPC_REQUEST, type ElectronBridge, type Reply, type StudioEvent } from './contract'

const bridge: ElectronBridge = {
  invoke: (name, input) => ipcRenderer.invoke(IPC_REQUEST, name, input) as Promise<Reply<unknown>>,
  subscribe: (listener) => {
    const wrapped = (_e: IpcRendererEvent, event: StudioEvent): void => listener(event)
    ipcRenderer.on(IPC_EVENT, wrapped)
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped)
  },
}

contextBridge.exposeInMainWorld('studioBridge', bridge)
