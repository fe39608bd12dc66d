/**
 * Worker-thread entry: builds the embedding map off the main event loop, reading the teacher's
 * cache itself so the embeddings (0.5 GB at 100,000 images) never pass through the main process.
 *   in:  { type: 'map', cacheFile, ids: content hashes, options }
 *   out: { type: 'progress', stage, done, total } | { type: 'done', result: WorkerMapResult } | { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads'
import { matrix } from '../math/linalg'
import { loadEmbeddings } from '../teacher/cache'
import { buildMap, type MapOptions } from './layout'
import type { WorkerJobMessage } from '../worker'

export interface WorkerMapInput {
  cacheFile: string
  /** Content hashes of the images to map, in the order the caller wants them. */
  ids: string[]
  options?: Partial<MapOptions>
}

export interface WorkerMapResult {
  /** The ids that had an embedding, in input order; `coords` rows follow them. */
  ids: string[]
  coords: Float32Array
  landmarks: number
}

export type MapWorkerMessage = WorkerJobMessage<WorkerMapResult>

const post = (m: MapWorkerMessage, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(m, transfer)

parentPort?.on('message', (m: { type: 'map'; input: WorkerMapInput }) => {
  if (m.type !== 'map') return
  const { cacheFile, ids, options } = m.input
  post({ type: 'progress', stage: 'reading embeddings', done: 0, total: ids.length })
  loadEmbeddings(cacheFile, { ids, scores: false })
    .then((emb) => {
      post({ type: 'progress', stage: 'reading embeddings', done: emb.ids.length, total: ids.length })
      const layout = buildMap(matrix(emb.ids.length, emb.dim, emb.data), options, (stage, done, total) => post({ type: 'progress', stage, done, total }))
      post({ type: 'done', result: { ids: emb.ids, coords: layout.coords, landmarks: layout.landmarks.length } }, [layout.coords.buffer as ArrayBuffer])
    })
    .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }))
})
