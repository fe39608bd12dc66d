import { useMap } from '../../stores/map'

/** In place of the map while there is none yet: waiting for the teacher, building (with Cancel), or failed (with Retry). */
export function MapStatus() {
  const { state, message, progress } = useMap()
  return (
    <div className="map-view map-empty" role="status" aria-live="polite">
      {state === 'waiting' && <p>The map is drawn once the teacher has embedded every image (see the status bar below).</p>}
      {(state === 'loading' || state === 'idle') && (
        <div className="map-progress">
          <p>
            Building the map{progress ? `: ${progress.stage}` : '…'}
            {progress && progress.total > 0 && ` ${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}`}
            {progress?.etaSeconds != null && progress.etaSeconds > 1 && `, about ${Math.ceil(progress.etaSeconds)} s left`}
          </p>
          {progress && progress.total > 0 && <progress max={progress.total} value={progress.done} aria-label="Map progress" />}
          <button type="button" onClick={() => void useMap.getState().cancel()}>
            Cancel
          </button>
        </div>
      )}
      {state === 'failed' && (
        <>
          <p className="error-text">{message}</p>
          <button type="button" onClick={() => void useMap.getState().load()}>
            Build the map again
          </button>
        </>
      )}
    </div>
  )
}
