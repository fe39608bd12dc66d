/**
 * The ONNX Runtime session, in a worker thread: onnxruntime-node's run() is synchronous native code
 * behind a setImmediate, so on the main thread it would block the event loop for a whole batch.
 */
import { readFile, readdir, rm, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import type { ProviderAttempt } from './providers'
import type { ProviderName } from '../../../preload/vocabulary'
import { sessionProviders, shortError } from './providers'

export interface InitMessage {
  type: 'init'
  model: Uint8Array
  candidates: ProviderName[]
  deviceId: number
  intraOpThreads: number
  interOpThreads: number
  /** Profile the first batch to learn which provider took which nodes. */
  profile: boolean
  input: string
  outputs: string[]
}
export interface RunMessage {
  type: 'run'
  seq: number
  pixels: Uint8Array
  dims: number[]
}
export type ToWorker = InitMessage | RunMessage | { type: 'close' }
export interface OutTensor {
  data: Float32Array
  dims: number[]
}
export type FromWorker =
  | { type: 'ready'; used: ProviderName; attempts: ProviderAttempt[] }
  | { type: 'result'; seq: number; outputs: Record<string, OutTensor>; used: ProviderName; attempts: ProviderAttempt[]; nodes?: Record<string, number> }
  | { type: 'error'; seq: number; message: string }
  | { type: 'closed' }

const port = parentPort
if (!port) throw new Error('ort-worker must run in a worker thread')

let init: InitMessage | undefined
let session: ort.InferenceSession | undefined
let used: ProviderName = 'cpu'
let remaining: ProviderName[] = []
const attempts: ProviderAttempt[] = []
let profileDir: string | undefined
let firstRunDone = false
let chain: Promise<void> = Promise.resolve()

async function createNext(): Promise<void> {
  if (!init) throw new Error('not initialised')
  for (;;) {
    const p = remaining.shift()
    if (!p) throw new Error(`no execution provider could run the model: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`)
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: sessionProviders(p, init.deviceId) as ort.InferenceSession.ExecutionProviderConfig[],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      logSeverityLevel: 3,
      // Decoding shares the cores with inference: ORT threads that spin between batches would
      // steal the CPU that sharp needs to prepare the next one.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    }
    if (init.intraOpThreads > 0) opts.intraOpNumThreads = init.intraOpThreads
    if (init.interOpThreads > 0) opts.interOpNumThreads = init.interOpThreads
    if (init.profile) {
      profileDir ??= await mkdtemp(path.join(os.tmpdir(), 'pls-ort-profile-'))
      opts.enableProfiling = true
      opts.profileFilePrefix = path.join(profileDir, 'p')
    }
    try {
      session = await ort.InferenceSession.create(init.model, opts)
      used = p
      attempts.push({ provider: p, ok: true })
      return
    } catch (err) {
      attempts.push({ provider: p, ok: false, error: shortError(err) })
    }
  }
}

/** Nodes per provider from ORT's profile: one "Node" event per kernel run, tagged with its provider. */
async function readPlacement(): Promise<Record<string, number> | undefined> {
  if (!profileDir) return undefined
  try {
    const files = (await readdir(profileDir)).filter((f) => f.endsWith('.json'))
    const counts: Record<string, Set<string>> = {}
    for (const f of files) {
      const events = JSON.parse(await readFile(path.join(profileDir, f), 'utf8')) as { cat?: string; name?: string; args?: { provider?: string } }[]
      for (const e of events) {
        if (e.cat !== 'Node' || !e.args?.provider || !e.name) continue
        const node = e.name.replace(/_(kernel_time|fence_before|fence_after)$/, '')
        ;(counts[e.args.provider] ??= new Set()).add(node)
      }
    }
    return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.size]))
  } catch {
    return undefined
  } finally {
    await rm(profileDir, { recursive: true, force: true })
    profileDir = undefined
  }
}

async function run(msg: RunMessage): Promise<void> {
  if (!init || !session) throw new Error('session not ready')
  const feeds = { [init.input]: new ort.Tensor('uint8', msg.pixels, msg.dims) }
  let result: ort.InferenceSession.ReturnType
  for (;;) {
    try {
      result = await session.run(feeds, init.outputs)
      break
    } catch (err) {
      // A GPU provider can load and still fail on the first batch (no adapter, missing kernel):
      // fall back like a load failure. Later failures are real errors.
      if (firstRunDone || used === 'cpu') throw err
      const last = attempts[attempts.length - 1]
      if (last) Object.assign(last, { ok: false, error: `first run failed: ${shortError(err)}` })
      await session.release()
      await createNext()
    }
  }
  let nodes: Record<string, number> | undefined
  if (!firstRunDone) {
    firstRunDone = true
    if (init.profile) {
      session.endProfiling()
      nodes = await readPlacement()
    }
  }
  const outputs: Record<string, OutTensor> = {}
  const transfer: ArrayBuffer[] = []
  for (const name of init.outputs) {
    const t = result[name]
    if (!t) throw new Error(`the model gave no output "${name}"`)
    if (t.type !== 'float32') throw new Error(`output "${name}" is ${t.type}, expected float32`)
    const data = t.data as Float32Array
    outputs[name] = { data, dims: t.dims.map(Number) }
    transfer.push(data.buffer as ArrayBuffer)
  }
  const reply: FromWorker = { type: 'result', seq: msg.seq, outputs, used, attempts, ...(nodes ? { nodes } : {}) }
  // Transferring can fail when ORT's buffers share one ArrayBuffer; then copy.
  try {
    port!.postMessage(reply, [...new Set(transfer)])
  } catch {
    port!.postMessage(reply)
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    init = msg
    remaining = [...msg.candidates]
    createNext().then(
      () => port.postMessage({ type: 'ready', used, attempts } satisfies FromWorker),
      (err: unknown) => port.postMessage({ type: 'error', seq: -1, message: shortError(err) } satisfies FromWorker),
    )
  } else if (msg.type === 'run') {
    // One batch at a time, in order: the fallback logic relies on it.
    chain = chain.then(() => run(msg)).catch((err: unknown) => port.postMessage({ type: 'error', seq: msg.seq, message: shortError(err) } satisfies FromWorker))
  } else {
    void (async () => {
      await session?.release()
      if (profileDir) await rm(profileDir, { recursive: true, force: true })
      port.postMessage({ type: 'closed' } satisfies FromWorker)
    })()
  }
})
