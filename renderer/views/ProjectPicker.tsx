import { useState, type FormEvent } from 'react'
import { useProject } from '../stores/project'

/** Open a folder: a native dialog in the desktop app, a path field everywhere. */
export function ProjectPicker() {
  const { info, opening, open, pickAndOpen, project } = useProject()
  const [folder, setFolder] = useState(project?.folder ?? '')

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
    </section>
  )
}
