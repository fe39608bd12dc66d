import { useEffect, useState, type FormEvent } from 'react'
import { useProject } from '../stores/project'

/** Open a folder (a native dialog in the desktop app, a path field everywhere), a recent project, or the demo. */
export function ProjectPicker() {
  const { info, opening, open, openDemo, pickAndOpen, project, recent, loadRecent, forget } = useProject()
  const [folder, setFolder] = useState(project?.folder ?? '')

  useEffect(() => {
    void loadRecent()
  }, [loadRecent])

  function submit(e: FormEvent) {
    e.preventDefault()
    if (folder.trim()) void open(folder.trim())
  }

  return (
    <section className="picker" aria-labelledby="picker-title">
      <h1 id="picker-title">Open a folder of images</h1>
      <p className="muted">
        The studio lists every image below the folder (JPEG, PNG, WebP, GIF, TIFF, AVIF), makes thumbnails and keeps its own data in a
        <code>.pseudolabel</code> folder inside it. Your images are never changed.
      </p>
      {info?.canPickFolder && (
        <button type="button" className="primary" onClick={() => void pickAndOpen()} disabled={opening}>
          Choose folder…
        </button>
      )}
      <form onSubmit={submit} className="path-form">
        <label htmlFor="folder-path">Folder path</label>
        <div className="row">
          <input
            id="folder-path"
            name="folder"
            type="text"
            placeholder="/data/camera-traps"
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
          <button type="submit" disabled={opening || !folder.trim()}>
            Open
          </button>
        </div>
      </form>

      <div className="picker-demo">
        <button type="button" onClick={() => void openDemo()} disabled={opening}>
          Open the demo project
        </button>
        <span className="muted">300 Fashion-MNIST images of 10 kinds of clothing, unlabelled: try the whole loop in a few minutes.</span>
      </div>

      {recent && recent.length > 0 && (
        <section className="picker-recent" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent projects</h2>
          <ul data-testid="recent-projects">
            {recent.map((r) => (
              <li key={r.folder} className={r.exists ? '' : 'missing'}>
                <button
                  type="button"
                  className="recent-open"
                  disabled={opening || !r.exists}
                  onClick={() => void (r.demo ? openDemo() : open(r.folder))}
                  aria-label={`Open ${r.name}${r.exists ? '' : ' (missing)'}`}
                  title={r.folder}
                >
                  <span className="recent-name">{r.name}</span>
                  <span className="recent-folder muted">{r.folder}</span>
                </button>
                {!r.exists && <span className="badge warn">missing</span>}
                <span className="muted recent-when">{new Date(r.openedAt).toLocaleDateString()}</span>
                <button type="button" className="recent-remove" onClick={() => void forget(r.folder)} aria-label={`Remove ${r.name} from recent projects`} title="Remove from this list (nothing on disk is touched)">
                  ×
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  )
}
