import { useEffect } from 'react'
import { useGrid } from './stores/grid'
import { useProject } from './stores/project'
import { Grid } from './views/Grid'
import { ProjectPicker } from './views/ProjectPicker'
import { TeacherBar } from './views/TeacherBar'
import { Viewer } from './views/Viewer'

export function App() {
  const { project, opening, progress, error, unusableFolder, online, load, dismissError, startAfresh } = useProject()
  const showPicker = useProject((s) => s.project === null)

  useEffect(() => {
    void load()
  }, [load])

  useEffect(() => {
    if (project) useGrid.getState().reset(project.folder, project.imageCount)
  }, [project])

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
            <Grid />
          </>
        )}
      </main>
      {project && <TeacherBar />}
      <Viewer />
    </div>
  )
}
