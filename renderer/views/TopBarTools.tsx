import { useProject } from '../stores/project'
import { effectiveTheme, useUi } from '../stores/ui'

/** The top bar's right end: the shortcut sheet, the light/dark toggle and the settings, reachable without a project. */
export function TopBarTools() {
  const { theme, openSettings, openShortcuts, toggleTheme } = useUi()
  useUi((s) => s.systemDark) // re-render when the system switches while it is followed
  const dark = effectiveTheme(theme) === 'dark'
  const reviewer = useProject((s) => s.info?.reviewer ?? null)
  return (
    <span className="topbar-tools">
      {reviewer && (
        <span className="reviewer-name" data-testid="reviewer-name" title="Your decisions are recorded under this name; undo takes back only yours">
          Reviewing as <strong>{reviewer}</strong>
        </span>
      )}
      <button type="button" className="icon-button" onClick={() => openShortcuts(true)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
        ?
      </button>
      <button
        type="button"
        className="icon-button"
        onClick={toggleTheme}
        aria-label={dark ? 'Switch to the light theme' : 'Switch to the dark theme'}
        title={dark ? 'Light theme' : 'Dark theme'}
        data-testid="theme-toggle"
      >
        {dark ? '☀' : '☾'}
      </button>
      <button type="button" onClick={() => openSettings(true)} title="Settings (Ctrl+,)">
        Settings
      </button>
    </span>
  )
}
