/**
 * The student ONNX export end to end, through the studio's own requests: a real round on real
 * photos (hymenoptera, a few seed labels, the int8 MobileNetV2 teacher), a logistic round then an
 * MLP round, each exported and run by onnxruntime-node on the same decoded pixels the teacher pass
 * uses. Its probabilities must be the round's stored ones (the engine's head on the cached embeddings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { StudioApi } from '../../main/app/studio'
import { readMetadata } from '../../main/engine/exchange/student'
import { loadEmbeddings, loadManifest } from '../../main/engine/teacher'
import { decodeInto } from '../../main/engine/teacher/preprocess'
import { dataset, ROOT, TEST_TEACHER } from '../shared'

const PER_CLASS = 12
let dir: string
let studio: StudioApi
let apiExport: { bytes: Buffer } | null = null

/** Runs the CLI as a user would; resolves with its exit code and everything it printed. */
function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, STUDIO_DATA_DIR: '' } })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

async function call<T>(name: string, input: unknown = {}): Promise<T> {
  const r = await studio.handle(name, input)
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`)
  return r.value as T
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 180_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== null) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-student-'))
  const folder = path.join(dir, 'photos')
  for (const cls of ['ants', 'bees']) {
    await mkdir(path.join(folder, cls), { recursive: true })
    const files = (await readdir(path.join(dataset('hymenoptera'), 'pool', cls))).sort().slice(0, PER_CLASS)
    for (const f of files) await copyFile(path.join(dataset('hymenoptera'), 'pool', cls, f), path.join(folder, cls, f))
  }
  studio = new StudioApi({ host: 'web', appDataDir: path.join(dir, 'app') })
  await call('settings.set', { provider: 'cpu' })
})

afterAll(async () => {
  await studio?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('student ONNX export', () => {
  it('refuses before any round, saying what to do', async () => {
    await call('project.open', { folder: path.join(dir, 'photos') })
    const r = await studio.handle('student.export', {})
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).toMatch(/no finished round yet: label a few images/)
  })

  /** Runs a round with the settings' head and exports its student; the student's bytes and what it gave for every photo. */
  async function roundAndStudent(): Promise<{ bytes: Buffer; roundId: number; worst: number }> {
    const started = await call<{ id: number }>('rounds.start')
    const round = await until('the round', async () => {
      const r = (await call<{ id: number; status: string; error: string | null }[]>('rounds.list')).find((x) => x.id === started.id)
      if (r?.status === 'failed') throw new Error(`round failed: ${r.error}`)
      return r?.status === 'done' ? r : null
    })
    const project = (await call<{ project: { folder: string; dataDir: string } }>('app.info')).project
    const student = await call<{ path: string; roundId: number; classes: string[] }>('student.export')
    expect(student.roundId).toBe(round.id)
    expect(student.classes).toEqual(['ants', 'bees'])
    expect(path.dirname(student.path)).toBe(path.join(project.dataDir, 'exports'))
    const bytes = await readFile(student.path)
    const meta = readMetadata(bytes)
    expect(JSON.parse(meta.classes ?? '[]')).toEqual(['ants', 'bees'])
    expect(meta.teacher).toBe('mobilenetv2-12-int8')

    // The round's stored probabilities of its head (the engine's head on the cached embeddings), by
    // image hash. (`<id>.proba` holds what the proposals were chosen by, which with a graph strategy
    // is also label propagation's view: no standalone model can carry that, so the student is
    // checked against the head's own.)
    const raw = await readFile(path.join(project.dataDir, 'rounds', `${round.id}.head.proba`))
    const stored = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
    const order = JSON.parse(await readFile(path.join(project.dataDir, 'rounds', `${round.id}.json`), 'utf8')) as { classIds: number[]; hashes: string[] }
    expect(order.classIds).toEqual([ids.ants, ids.bees])
    const row = new Map(order.hashes.map((h, i) => [h, i]))

    // Every image, decoded exactly as the teacher pass decodes it.
    const { manifest } = await loadManifest('mobilenetv2-12-int8')
    const [H, W] = manifest.input.size
    const page = await call<{ images: { id: number; relPath: string }[] }>('images.page', { offset: 0, limit: 100, sort: 'name' })
    const files = page.images.map((im) => path.join(project.folder, im.relPath))
    const pixels = new Uint8Array(files.length * H * W * 3)
    for (let i = 0; i < files.length; i++) await decodeInto(files[i]!, manifest.preprocess, [H, W], pixels, i * H * W * 3)
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] })
    expect(session.inputNames).toEqual(['pixels'])
    expect([...session.outputNames].sort()).toEqual(['embedding', 'probabilities'])
    const out = await session.run({ pixels: new ort.Tensor('uint8', pixels, [files.length, H, W, 3]) })
    const proba = out.probabilities!.data as Float32Array
    expect(out.probabilities!.dims).toEqual([files.length, 2])
    expect(out.embedding!.dims).toEqual([files.length, manifest.outputs.embedding.dim])

    let worst = 0
    const hashes: string[] = []
    for (let i = 0; i < files.length; i++) {
      const hash = createHash('sha256').update(await readFile(files[i]!)).digest('hex')
      hashes.push(hash)
      const r = row.get(hash)
      expect(r, `round has no row for ${files[i]}`).toBeDefined()
      const want = stored.subarray(r! * 2, r! * 2 + 2)
      const got = proba.subarray(i * 2, i * 2 + 2)
      for (let c = 0; c < 2; c++) worst = Math.max(worst, Math.abs(got[c]! - want[c]!))
      expect(got[0]! > got[1]!, `argmax of ${files[i]}`).toBe(want[0]! > want[1]!)
    }
    // Not a constant model: the round tells the two classes apart on most photos.
    const argmax = Array.from({ length: files.length }, (_, i) => (proba[i * 2]! > proba[i * 2 + 1]! ? 0 : 1))
    expect(new Set(argmax).size).toBe(2)

    // The embedding output is the teacher's embedding, as cached by the teacher pass.
    const cacheDir = path.join(project.dataDir, 'teacher', 'embeddings')
    const cached = await loadEmbeddings(path.join(cacheDir, (await readdir(cacheDir))[0]!), { ids: hashes, scores: false })
    const emb = out.embedding!.data as Float32Array
    let embWorst = 0
    hashes.forEach((h, i) => {
      const j = cached.ids.indexOf(h)
      for (let c = 0; c < cached.dim; c++) embWorst = Math.max(embWorst, Math.abs(emb[i * cached.dim + c]! - cached.data[j * cached.dim + c]!))
    })
    expect(embWorst).toBeLessThan(1e-4)
    await session.release()
    return { bytes, roundId: round.id, worst }
  }

  const ids: Record<string, number> = {}

  it('gives the logistic round’s probabilities for real photos, within 1e-4, with the same argmax', async () => {
    expect(TEST_TEACHER).toMatch(/mobilenetv2-12-int8\.onnx$/)
    const project = (await call<{ project: { imageCount: number } }>('app.info')).project
    expect(project.imageCount).toBe(2 * PER_CLASS)
    await until('the teacher', async () => {
      const s = await call<{ state: string; message: string | null }>('teacher.status')
      if (s.state === 'failed') throw new Error(`teacher failed: ${s.message}`)
      return s.state === 'done' ? s : null
    })

    // Three seed labels per class (the first files by name), then one round.
    const page = await call<{ images: { id: number; relPath: string }[] }>('images.page', { offset: 0, limit: 100, sort: 'name' })
    for (const cls of ['ants', 'bees']) ids[cls] = (await call<{ id: number }>('classes.create', { name: cls })).id
    for (const cls of ['ants', 'bees']) {
      const seeds = page.images.filter((im) => im.relPath.startsWith(`${cls}/`)).slice(0, 3)
      await call('labels.set', { imageIds: seeds.map((s) => s.id), classId: ids[cls] })
    }
    expect((await call<{ head: string }>('settings.get')).head).toBe('logistic')
    const { worst } = await roundAndStudent()
    expect(worst).toBeLessThan(1e-4)
    console.log(`logistic student vs round: largest probability difference ${worst.toExponential(2)} over ${2 * PER_CLASS} photos`)
  }, 300_000)

  it('gives the MLP round’s probabilities too, within 1e-4 (its dropout is training-only)', async () => {
    await call('settings.set', { head: 'mlp' })
    const { bytes, roundId, worst } = await roundAndStudent()
    expect(worst).toBeLessThan(1e-4)
    console.log(`MLP student vs round: largest probability difference ${worst.toExponential(2)} over ${2 * PER_CLASS} photos`)
    // The round kept the MLP's layers, and the export carries them (not the logistic head of round 1).
    const project = (await call<{ project: { dataDir: string } }>('app.info')).project
    const saved = JSON.parse(await readFile(path.join(project.dataDir, 'rounds', `${roundId}.head.json`), 'utf8')) as { head: { kind: string; hidden: number } }
    expect(saved.head).toMatchObject({ kind: 'mlp', hidden: 256 })
    apiExport = { bytes }
  }, 300_000)

  it('is the same file from the CLI (the MLP round), which refuses to overwrite', async () => {
    expect(apiExport).not.toBeNull()
    await studio.close() // the CLI opens the project itself: one process at a time
    const folder = path.join(dir, 'photos')
    const out = path.join(dir, 'cli-student.onnx')
    const ok = await cli(['export', folder, '--format', 'onnx', '--out', out])
    expect(ok.code, ok.output).toBe(0)
    expect(ok.output).toMatch(/student of round \d+ \(ants, bees\)/)
    // Compared by hash: a deep equality over 3.7 MB of bytes is slow to run and slower to report.
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
    expect(sha(await readFile(out))).toBe(sha(apiExport!.bytes))
    const again = await cli(['export', folder, '--format', 'onnx', '--out', out])
    expect(again.code).toBe(2)
    expect(again.output).toMatch(/already exists/)
  }, 60_000)
})
