/**
 * Sharded embedding (`embed --shard i/n`, `embed --merge`): three shards run as three processes side
 * by side on one folder, as three machines would, and their merge is the cache a single run makes.
 * Then what a cluster user gets wrong: a bad --shard, a shard missing or unfinished, shards of
 * another teacher, a merge while the project is open.
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProjectPaths } from '../../main/engine/project/paths'
import { projectDataDir } from '../../main/engine/project/locations'
import { ProjectLock } from '../../main/engine/store/db'
import { EmbeddingCache, embeddingCacheDir, loadEmbeddings, parseShard, shardOf } from '../../main/engine/teacher'
import { readCacheHeader } from '../../main/engine/teacher/cache'
import { hymenopteraSubset, runCli } from '../shared'

let folder: string
let tmp: string
let env: NodeJS.ProcessEnv
/** The project's data folder under STUDIO_DATA_DIR, where merges go by default. */
let project: ProjectPaths
let shardsDir: string
/** The three finished shard files, in shard order. */
let shardFiles: string[]

const cpu = ['--provider', 'cpu', '--threads', '1']
const files = async (dir: string) => (existsSync(dir) ? (await readdir(dir)).sort() : [])

beforeAll(async () => {
  folder = await hymenopteraSubset('shard-', 15) // 30 photos
  tmp = await mkdtemp(path.join(os.tmpdir(), 'shard-test-'))
  env = { ...process.env, STUDIO_DATA_DIR: path.join(tmp, 'data') }
  project = new ProjectPaths(projectDataDir(path.join(tmp, 'data'), folder))
  shardsDir = path.join(tmp, 'shards')
})

afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
  await rm(tmp, { recursive: true, force: true })
})

describe('parseShard and shardOf', () => {
  it('reads i/n from 0 and puts an image in the shard of its first 32 bits', () => {
    expect(parseShard('0/8')).toEqual({ index: 0, count: 8 })
    expect(parseShard('7/8')).toEqual({ index: 7, count: 8 })
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 })
    expect(() => parseShard('8/8')).toThrow(/counts from 0.*0 to 7/)
    expect(() => parseShard('/8')).toThrow(/INDEX\/COUNT/) // an unset $JOB_COMPLETION_INDEX
    expect(shardOf('0000000a' + 'f'.repeat(56), 3)).toBe(10 % 3)
    expect(shardOf('ffffffff' + '0'.repeat(56), 8)).toBe(0xffffffff % 8)
  })
})

describe('embed --shard i/3 on three processes, then --merge', () => {
  it('merges into the cache a single run makes', { timeout: 300_000 }, async () => {
    const runs = await Promise.all([0, 1, 2].map((i) => runCli(['embed', folder, '--shard', `${i}/3`, '--out', shardsDir, ...cpu], env)))
    runs.forEach((r) => expect(r.code, r.stderr).toBe(0))
    // Each share is by content hash, and the shares cover the folder once.
    const shares = runs.map((r) => Number(r.stdout.match(/^shard \d\/3: (\d+) of the folder's 30 files/m)?.[1]))
    expect(shares.reduce((a, b) => a + b, 0)).toBe(30)
    shardFiles = runs.map((r) => r.stdout.match(/^cache: (.+)$/m)?.[1] as string)
    expect(shardFiles.map((f) => path.dirname(f))).toEqual([shardsDir, shardsDir, shardsDir])
    for (const [i, file] of shardFiles.entries()) {
      expect((await readCacheHeader(file)).shard).toEqual({ index: i, count: 3 })
      const { ids } = await loadEmbeddings(file)
      expect(ids).toHaveLength(shares[i] as number)
      for (const id of ids) expect(shardOf(id, 3)).toBe(i)
    }
    // The shards never touched the project: no database, no lock (three of them could not all hold it).
    expect(existsSync(project.database)).toBe(false)
    expect(existsSync(project.lock)).toBe(false)

    const merged = await runCli(['embed', folder, '--merge', shardsDir], env)
    expect(merged.code, merged.stderr).toBe(0)
    expect(merged.stdout).toMatch(/merged 3 shards: 30 images added, 0 already in the cache/)
    const mergedFile = merged.stdout.match(/^cache: (.+)$/m)?.[1] as string
    expect(path.dirname(mergedFile)).toBe(embeddingCacheDir(project.teacher))

    const single = await runCli(['embed', folder, '--cache-dir', path.join(tmp, 'single'), ...cpu], env)
    expect(single.code, single.stderr).toBe(0)
    const singleFile = single.stdout.match(/^cache: (.+)$/m)?.[1] as string
    expect(path.basename(singleFile)).toBe(path.basename(mergedFile)) // the same teacher key

    const a = await loadEmbeddings(mergedFile)
    const b = await loadEmbeddings(singleFile)
    expect([...a.ids].sort()).toEqual([...b.ids].sort())
    expect(a.ids).toHaveLength(30)
    const row = new Map(b.ids.map((id, i) => [id, i]))
    let worst = 0
    a.ids.forEach((id, i) => {
      const j = row.get(id) as number
      for (let k = 0; k < a.dim; k++) worst = Math.max(worst, Math.abs((a.data[i * a.dim + k] as number) - (b.data[j * b.dim + k] as number)))
      for (let k = 0; k < a.scoresDim; k++) worst = Math.max(worst, Math.abs((a.logits?.[i * a.scoresDim + k] as number) - (b.logits?.[j * b.scoresDim + k] as number)))
    })
    // Batches differ between the runs; the CPU provider gives each image the same values whatever its batch.
    expect(worst).toBeLessThan(1e-5)

    // A second merge adds nothing and changes nothing (a folder named twice is read once).
    const before = await readFile(mergedFile)
    const again = await runCli(['embed', folder, '--merge', shardsDir, `${shardsDir}/`], env)
    expect(again.stdout).toMatch(/merged 3 shards: 0 images added, 30 already in the cache/)
    expect(Buffer.compare(await readFile(mergedFile), before)).toBe(0)
  })

  it('resumes a shard that was stopped: its .part file is kept and finished', { timeout: 120_000 }, async () => {
    const dir = path.join(tmp, 'resume')
    await mkdir(dir)
    const done = shardFiles[0] as string
    const whole = await readFile(done)
    const share = (await loadEmbeddings(done)).ids
    const rec = (whole.length - 4096) / share.length
    // Killed after 5 records (a sixth half written): what the shard leaves is <name>.part.
    const part = path.join(dir, `${path.basename(done)}.part`)
    await writeFile(part, whole.subarray(0, 4096 + 5 * rec + Math.floor(rec / 2)))
    const merge = await runCli(['embed', folder, '--merge', dir, '--cache-dir', path.join(tmp, 'resume-cache')], env)
    expect(merge.code).toBe(2)
    expect(merge.stderr).toMatch(/unfinished: .*\.part \(shard 0\/3\): run those shards again, they resume/)

    const r = await runCli(['embed', folder, '--shard', '0/3', '--out', dir, ...cpu], env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`embedded ${share.length - 5} images \\(5 already cached`))
    expect(await files(dir)).toEqual([path.basename(done)])
    expect((await loadEmbeddings(path.join(dir, path.basename(done)))).ids.sort()).toEqual([...share].sort())
  })
})

describe('what the merge and --shard refuse', () => {
  it('a bad --shard: exit 2 with what to write instead', { timeout: 60_000 }, async () => {
    const [zero, over, words] = await Promise.all(['0/0', '3/3', 'a/b'].map((s) => runCli(['embed', folder, '--shard', s], env)))
    expect(zero?.code).toBe(2)
    expect(zero?.stderr).toMatch(/--shard 0\/0: the count must be at least 1/)
    expect(over?.code).toBe(2)
    expect(over?.stderr).toMatch(/--shard 3\/3: the index counts from 0, so it goes from 0 to 2 for 3 shards/)
    expect(words?.code).toBe(2)
    expect(words?.stderr).toMatch(/--shard must be INDEX\/COUNT .*got "a\/b"/)
  })

  it('a missing shard: names it, writes nothing', { timeout: 60_000 }, async () => {
    const dir = path.join(tmp, 'two-of-three')
    await mkdir(dir)
    for (const f of [shardFiles[0], shardFiles[2]] as string[]) await copyFile(f, path.join(dir, path.basename(f)))
    const cache = path.join(tmp, 'missing-cache')
    const r = await runCli(['embed', folder, '--merge', dir, '--cache-dir', cache], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/cannot merge 3 shards; nothing was merged:\n\s+shard 1\/3 is missing: run it \(--shard 1\/3\)/)
    expect(await files(embeddingCacheDir(cache))).toEqual([])
  })

  it('the same shard twice, or shards of another teacher: refused, nothing written', { timeout: 60_000 }, async () => {
    // Shard 1 in two folders.
    const other = path.join(tmp, 'copy-of-1')
    await mkdir(other)
    await copyFile(shardFiles[1] as string, path.join(other, path.basename(shardFiles[1] as string)))
    const cache = path.join(tmp, 'refused-cache')
    const twice = await runCli(['embed', folder, '--merge', shardsDir, other, '--cache-dir', cache], env)
    expect(twice.code).toBe(2)
    expect(twice.stderr).toMatch(/shard 1\/3 is there 2 times .*: keep one/)

    // Shard 2 written by another teacher (another model file): its header says so.
    const mixed = path.join(tmp, 'mixed')
    await mkdir(mixed)
    for (const f of [shardFiles[0], shardFiles[1]] as string[]) await copyFile(f, path.join(mixed, path.basename(f)))
    const key = { ...(await readCacheHeader(shardFiles[0] as string)), modelSha256: 'f'.repeat(64) }
    const foreign = await EmbeddingCache.openFile(path.join(mixed, 'ffffffffffffffff-x.shard-2-of-3.emb'), key, { index: 2, count: 3 })
    await foreign.append([{ id: 'e'.repeat(64), embedding: new Float32Array(key.dim), scores: new Float32Array(key.scoresDim) }])
    await foreign.close()
    const r = await runCli(['embed', folder, '--merge', mixed, '--cache-dir', cache], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/written by different teachers: .*shard-0-of-3\.emb \(model [0-9a-f]{12}.*\) and .*shard-2-of-3\.emb \(model ffffffffffff/)
    expect(await files(embeddingCacheDir(cache))).toEqual([])
  })

  it('a merge into the project while the studio has it open: refused', { timeout: 60_000 }, async () => {
    const lock = ProjectLock.acquire(project.lock, project.owner)
    try {
      const r = await runCli(['embed', folder, '--merge', shardsDir], env)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/open in another studio window or process/)
    } finally {
      lock.release()
    }
  })
})
