import { useEffect, useState } from 'react'
import type { ClassInfo, ClassProbability, ImageInfo, LabelEvent } from '../../../preload/contract'
import { classColor } from '../../../preload/vocabulary'
import { formatBytes } from '../../format'
import { studio } from '../../transport'
import { LabelBadge } from '../LabelBadge'

function describeEvent(e: LabelEvent, className: (id: number | null) => string): string {
  const cls = className(e.classId)
  if (e.classId === null) return 'label cleared'
  if (e.source === 'pseudo' && e.state === 'proposed') return `${cls} proposed${e.confidence !== null ? ` (${Math.round(e.confidence * 100)}%)` : ''}`
  if (e.source === 'pseudo') return `${cls} ${e.state}`
  return e.state === 'relabelled' ? `relabelled ${cls}` : `labelled ${cls}`
}

/** Asks main for something about the image on screen; a late answer for another image is dropped. */
function useImageFact<T>(image: ImageInfo | undefined, ask: (image: ImageInfo) => Promise<T>, empty: T): T {
  const [value, setValue] = useState<T>(empty)
  // Another image: its facts are not known yet, so the last one's go at once (not when the answer comes).
  const [shown, setShown] = useState(image?.id)
  if (shown !== image?.id) {
    setShown(image?.id)
    setValue(empty)
  }
  useEffect(() => {
    if (!image) return
    let live = true
    ask(image).then(
      (v) => live && setValue(v),
      () => live && setValue(empty),
    )
    return () => {
      live = false
    }
    // `ask` and `empty` are fixed per call site; the image is what changes.
  }, [image])
  return value
}

export interface Facts {
  history: LabelEvent[]
  probabilities: ClassProbability[]
  duplicates: string[]
}

/** The image's label history, the last round's most probable classes and its identical files, asked of main. */
export function useImageFacts(image: ImageInfo | undefined): Facts {
  const history = useImageFact(image, (i) => studio.call('images.history', { imageId: i.id }), [] as LabelEvent[])
  const probabilities = useImageFact(image, (i) => studio.call('images.probabilities', { imageId: i.id }), [] as ClassProbability[])
  const duplicates = useImageFact(image, (i) => (i.fileCount > 1 ? studio.call('images.files', { imageId: i.id }) : Promise.resolve([])), [] as string[])
  return { history, probabilities, duplicates }
}

/** The viewer's side panel below the file name: label, file facts, probabilities, history. */
export function ImageFacts({ image, facts, classes }: { image: ImageInfo | undefined; facts: Facts; classes: ClassInfo[] }) {
  const { history, probabilities, duplicates } = facts
  const className = (id: number | null) => classes.find((c) => c.id === id)?.name ?? `class ${id}`
  const colourOf = (id: number) => {
    const i = classes.findIndex((c) => c.id === id)
    return classColor(i, classes[i]?.color ?? null)
  }
  return (
    <>
      {image && <LabelBadge image={image} />}
      {image && (
        <dl>
          <dt>Path</dt>
          <dd>{image.relPath}</dd>
          <dt>Size</dt>
          <dd>
            {image.width} × {image.height} px
          </dd>
          <dt>Format</dt>
          <dd>{image.format.toUpperCase()}</dd>
          <dt>File</dt>
          <dd>{formatBytes(image.bytes)}</dd>
          {image.fileCount > 1 && (
            <>
              <dt>Copies</dt>
              <dd data-testid="duplicates">
                {image.fileCount} identical files
                {duplicates.length > 0 && (
                  <ul className="history">
                    {duplicates.map((d) => (
                      <li key={d}>{d}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </>
          )}
        </dl>
      )}
      {probabilities.length > 0 && (
        <section aria-label="Class probabilities of the last round">
          <h3>Last round: most probable</h3>
          <ol className="probabilities" data-testid="probabilities">
            {probabilities.map((p) => (
              <li key={p.classId}>
                <span>{p.name}</span>
                <span className="bar" aria-hidden="true">
                  <span style={{ width: `${p.p * 100}%`, background: colourOf(p.classId) }} />
                </span>
                <span className="p">{(p.p * 100).toFixed(1)}%</span>
              </li>
            ))}
          </ol>
        </section>
      )}
      {history.length > 0 && (
        <section aria-label="Label history">
          <h3>History</h3>
          <ol className="history" data-testid="label-history">
            {history.map((e) => (
              <li key={e.id} className={e.undone ? 'undone' : ''}>
                {describeEvent(e, className)} <span className="muted">· {e.actor}{e.origin ? ` · imported from ${e.origin}` : ''} · {new Date(e.at).toLocaleString()}</span>
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  )
}
