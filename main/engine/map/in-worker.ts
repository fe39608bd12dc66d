/**
 * Builds the embedding map in a worker thread (map-worker.ts). Cancelling terminates the worker:
 * the map arrives whole or not at all.
 */
import { runWorkerJob } from '../worker'
import type { WorkerMapInput, WorkerMapResult } from './map-worker'

export function buildMapInWorker(input: WorkerMapInput, onProgress?: (stage: string, done: number, total: number) => void, signal?: AbortSignal): Promise<WorkerMapResult> {
  return runWorkerJob<WorkerMapResult>('map-worker', import.meta.url, { type: 'map', input }, { signal, onProgress })
}
