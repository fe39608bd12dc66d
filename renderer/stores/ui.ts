import { create } from 'zustand'

/** 'system' follows the operating system's light or dark preference (prefers-color-scheme). */
export type ThemeChoice = 'system' | 'light' | 'dark'

const THEME_KEY = 'studio.theme'

function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY)
    return v === 'light' || v === 'dark' ? v : 'system'
  } catch {
    return 'system' // storage refused (private mode, file://): follow the system
  }
}

const systemDark = () => typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches

/** The colours in force: a light or dark choice, or the system's when following it. */
export const effectiveTheme = (choice: ThemeChoice): 'light' | 'dark' => (choice === 'system' ? (systemDark() ? 'dark' : 'light') : choice)

/** styles.css keys its variables on html[data-theme]; none means the system's preference. */
function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement
  if (choice === 'system') root.removeAttribute('data-theme')
  else root.setAttribute('data-theme', choice)
}

interface UiState {
  theme: ThemeChoice
  /** The system's preference, kept here so that views re-render when it changes. */
  systemDark: boolean
  setTheme(choice: ThemeChoice): void
  /** Flips between light and dark from what is on screen now (and stops following the system). */
  toggleTheme(): void
  settingsOpen: boolean
  shortcutsOpen: boolean
  openSettings(open: boolean): void
  openShortcuts(open: boolean): void
}

export const useUi = create<UiState>((set, get) => ({
  theme: storedTheme(),
  systemDark: systemDark(),
  setTheme(choice) {
    try {
      if (choice === 'system') localStorage.removeItem(THEME_KEY)
      else localStorage.setItem(THEME_KEY, choice)
    } catch {
      // not remembered, but still applied for this session
    }
    applyTheme(choice)
    set({ theme: choice })
  },
  toggleTheme() {
    get().setTheme(effectiveTheme(get().theme) === 'dark' ? 'light' : 'dark')
  },
  settingsOpen: false,
  shortcutsOpen: false,
  openSettings: (open) => set({ settingsOpen: open, ...(open ? { shortcutsOpen: false } : {}) }),
  openShortcuts: (open) => set({ shortcutsOpen: open, ...(open ? { settingsOpen: false } : {}) }),
}))

applyTheme(useUi.getState().theme)
// Following the system: re-render the toggle's icon when the system switches.
if (typeof matchMedia === 'function') matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (e) => useUi.setState({ systemDark: e.matches }))
