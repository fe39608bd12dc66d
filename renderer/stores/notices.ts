import { create } from 'zustand'

/**
 * The app-wide message: the banner under the top bar that says why something did not happen (a
 * label change rolled back, nothing to undo, no class 3 yet). One at a time; a new one replaces
 * the one shown. Every store and view that has something to say says it here.
 */
interface NoticesState {
  message: string | null
  show(message: string): void
  dismiss(): void
}

export const useNotices = create<NoticesState>((set) => ({
  message: null,
  show: (message) => set({ message }),
  dismiss: () => set({ message: null }),
}))

/** Shows `message` in the app-wide banner. */
export const notify = (message: string): void => useNotices.getState().show(message)
