/**
 * Worker-thread entry for the text tower: creating an ONNX Runtime session and running it are
 * native work that would hold the calling thread (main's event loop, in the app) for as long as
 * they take, a second or more for a CLIP-sized tower. Messages:
 *   in:  TextJob
 *   out: { type: 'done', result: Float32Array (names x dim) } | { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads'
import { TextTower, type TextJob } from './text'

parentPort?.once('message', (job: TextJob) => {
  void (async () => {
    const tower = await TextTower.open(job.loaded, { searchDirs: job.searchDirs })
    try {
      return await tower.classTextEmbeddings(job.names, job.prompts)
    } finally {
      await tower.close()
    }
  })().then(
    (result) => parentPort?.postMessage({ type: 'done', result }, [result.buffer as ArrayBuffer]),
    (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  )
})
