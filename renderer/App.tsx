import { useEffect } from 'react'
import { useKeymap } from './keymap'
import { useGrid } from './stores/grid'
import { useMap } from './stores/map'
import { useNotices } from './stores/notices'
import { useProject } from './stores/project'
import { ClassPanel } from './views/ClassPanel'
import { ClassPicker } from './views/ClassPicker'
import { ExportPanel } from './views/ExportPanel'
import { ImportPanel } from './views/ImportPanel'
import { FilterBar } from './views/FilterBar'
import { Grid } from './views/grid/Grid'
import { MainTabs } from './views/map/MainTabs'
import { MapView } from './views/map/MapView'
import { ProjectPicker } from './views/ProjectPicker'
import { ReviewView } from './views/review/ReviewView'
import { RoundsPanel } from './views/RoundsPanel'
import { SettingsView } from './views/SettingsView'
import { ShortcutSheet } from './views/ShortcutSheet'
import { TeacherBar } from './views/TeacherBar'
import { TopBarTools } from './views/TopBarTools'
import { Viewer } from './views/viewer/Viewer'

export function App() {
  const { project, opening, progress, error, unusableFolder, online, load, dismissError, startAfresh } = useProject()
  const showPicker = useProject((s) => s.project === null)

  useEffect(() => {
    void load()
  }, [load])

  const folder = project?.folder
  useEffect(() => {
    if (folder) useGrid.getState().reset(folder, useProject.getState().project?.imageCount ?? 0)
  }, [folder])
  // The folder changed on disk: refresh what is on screen, keeping the filter.
  useEffect(() => {
    if (project) useGrid.getState().refresh()
  }, [project])

  // The keyboard, everywhere: one listener (keymap.ts).
  useKeymap()
  const notice = useNotices((s) => s.message)
  const mainView = useMap((s) => s.view)

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Pseudolabel Studio</span>
        {project && (
          <>
            <span className="project-name" title={project.folder}>
              {project.name}
            </span>
            <span className="count" data-testid="image-count">
              {project.imageCount.toLocaleString()} images
            </span>
            {project.unreadableCount > 0 && <span className="badge warn">{project.unreadableCount.toLocaleString()} unreadable</span>}
            <span className="spacer" />
            <button type="button" onClick={() => useProject.setState({ project: null })}>
              Open another folder
            </button>
          </>
        )}
        <TopBarTools />
      </header>
      {!online && (
        <div className="banner warn" role="status">
          Lost the connection to the studio server; reconnecting…
        </div>
      )}
      {error && (
        <div className="banner error" role="alert">
          <span>{error}</span>
          {unusableFolder && (
            <button type="button" onClick={() => void startAfresh()}>
              Start afresh (keep the old database aside)
            </button>
          )}
          <button type="button" onClick={dismissError} aria-label="Dismiss error">
            ×
          </button>
        </div>
      )}
      {notice && (
        <div className="banner warn" role="status">
          <span>{notice}</span>
          <button type="button" onClick={() => useNotices.getState().dismiss()} aria-label="Dismiss message">
            ×
          </button>
        </div>
      )}
      {opening && (
        <div className="banner" role="status" aria-live="polite">
          Indexing… {progress ? `${progress.done.toLocaleString()} of ${progress.total.toLocaleString()} images, ${Math.round(progress.perSecond)}/s` : ''}
          {progress && progress.total > 0 && <progress max={progress.total} value={progress.done} />}
        </div>
      )}
      <main className="content">
        {showPicker ? (
          <ProjectPicker />
        ) : (
          <>
            {project && project.unreadableCount > 0 && (
              <details className="unreadable" data-testid="unreadable">
                <summary>
                  {project.unreadableCount.toLocaleString()} file{project.unreadableCount === 1 ? '' : 's'} could not be read
                  {project.unreadableCount > project.unreadable.length && ` (the first ${project.unreadable.length} are listed)`}
                </summary>
                <ul>
                  {project.unreadable.map((u) => (
                    <li key={u.relPath}>
                      <code>{u.relPath}</code>: {u.reason}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <div className="workspace">
              <div className="sidebar">
                <ClassPanel />
                <RoundsPanel />
                <ExportPanel />
                <ImportPanel />
              </div>
              <div className="grid-column">
                <MainTabs />
                {mainView === 'map' ? (
                  <MapView />
                ) : (
                  <>
                    <FilterBar />
                    <Grid />
                  </>
                )}
              </div>
            </div>
          </>
        )}
      </main>
      {project && <TeacherBar />}
      <Viewer />
      <ReviewView />
      <SettingsView />
      <ShortcutSheet />
      <ClassPicker />
    </div>
  )
}
