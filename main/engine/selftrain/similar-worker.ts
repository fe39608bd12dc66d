/**
 * Worker-thread entry for "more like this": holds one teacher cache's features (L2-normalised,
 * centred, as the head sees them) and answers cosine top-k queries against them, so that neither
 * the transform of ~0.5 GB of embeddings nor a query's matrix-vector product blocks main. Messages:
 *   in:  { type: 'load', id, cacheFile } | { type: 'query', id, hash, k }
 *   out: { type: 'loaded', id, rows } | { type: 'result', id, hashes, sims } | { type: 'error', id, message }
 * A query names its image by content hash; an unknown hash gets an empty result.
 */
import { parentPort } from 'node:worker_threads'
import { loadEmbeddings } from '../teacher/cache'
import { applyFeatures, fitFeatures } from './features'
import { similar } from '../math/knn'
import { matrix, type Matrix } from '../math/linalg'

export type SimilarRequest = { type: 'load'; id: number; cacheFile: string } | { type: 'query'; id: number; hash: string; k: number }
export type SimilarReply =
  | { type: 'loaded'; id: number; rows: number }
  | { type: 'result'; id: number; hashes: string[]; sims: number[] }
  | { type: 'error'; id: number; message: string }

let held: { X: Matrix; hashes: string[]; rowOf: Map<string, number> } | null = null

async function handle(m: SimilarRequest): Promise<SimilarReply> {
  if (m.type === 'load') {
    held = null // the old features go before the new ones are read: one copy in memory at a time
    const emb = await loadEmbeddings(m.cacheFile, { scores: false })
    const pool = matrix(emb.ids.length, emb.dim, emb.data)
    held = { X: applyFeatures(fitFeatures(pool), pool), hashes: emb.ids, rowOf: new Map(emb.ids.map((h, i) => [h, i])) }
    return { type: 'loaded', id: m.id, rows: emb.ids.length }
  }
  if (!held) throw new Error('no features loaded')
  const row = held.rowOf.get(m.hash)
  if (row === undefined) return { type: 'result', id: m.id, hashes: [], sims: [] }
  const d = held.X.cols
  const { index, sim } = similar(held.X, matrix(1, d, held.X.data.slice(row * d, (row + 1) * d)), m.k)
  const hashes: string[] = []
  const sims: number[] = []
  index.forEach((i, j) => {
    if (i < 0) return
    hashes.push(held!.hashes[i]!)
    sims.push(sim[j]!)
  })
  return { type: 'result', id: m.id, hashes, sims }
}

parentPort?.on('message', (m: SimilarRequest) => {
  handle(m).then(
    (reply) => parentPort?.postMessage(reply),
    (err: unknown) => parentPort?.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies SimilarReply),
  )
})
