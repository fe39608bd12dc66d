/**
 * The embedding cache: one append-only binary file per (model sha256, preprocessing hash).
 *
 * Layout: a 4096-byte header ("PLSEMB1\n", u32 JSON length, JSON), then fixed-size records:
 *   id (64 bytes, UTF-8, zero-padded) | embedding float32[dim] | scores float32[scoresDim] | crc32 (u32 LE)
 * Fixed records make the index (id -> row) one pass over the file and a torn tail easy to find:
 * a partial record, or a full-size one whose CRC does not match, is cut off and redone.
 * Float32 throughout: float16 was not measured for accuracy, so it is not used.
 * A shard's file (one share of a folder, see shard.ts) is the same, with `shard: {index, count}` in
 * its header JSON.
 */
import { mkdir, open, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { crc32 } from 'node:zlib'

const MAGIC = 'PLSEMB1\n'
const HEADER_BYTES = 4096
export const ID_BYTES = 64
/** How many records are read per chunk when scanning; bounds memory while scanning. */
const SCAN_RECORDS = 512

export interface CacheKey {
  modelSha256: string
  preprocessHash: string
  dim: number
  scoresDim: number
}

/** One share of a folder embedded apart (engine/teacher/shard.ts): shard `index` of `count`, 0-based. */
export interface Shard {
  index: number
  count: number
}

export interface CacheHeader extends CacheKey {
  format: 1
  idBytes: number
  dtype: 'float32'
  /** Present in a shard's file: which share of the folder it holds. */
  shard?: Shard
}

export function cacheFileName(key: Pick<CacheKey, 'modelSha256' | 'preprocessHash'>): string {
  return `${key.modelSha256.slice(0, 16)}-${key.preprocessHash.slice(0, 16)}.emb`
}

const recordBytes = (k: Pick<CacheKey, 'dim' | 'scoresDim'>) => ID_BYTES + 4 * (k.dim + k.scoresDim) + 4

/** How many whole records a cache file of `bytes` bytes holds (good or not). */
export const recordsIn = (k: Pick<CacheKey, 'dim' | 'scoresDim'>, bytes: number) => Math.max(0, Math.floor((bytes - HEADER_BYTES) / recordBytes(k)))

function encodeHeader(k: CacheKey, shard?: Shard): Buffer {
  const h: CacheHeader = { format: 1, modelSha256: k.modelSha256, preprocessHash: k.preprocessHash, dim: k.dim, scoresDim: k.scoresDim, idBytes: ID_BYTES, dtype: 'float32', ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}) }
  const json = Buffer.from(JSON.stringify(h))
  const buf = Buffer.alloc(HEADER_BYTES)
  buf.write(MAGIC, 0, 'latin1')
  buf.writeUInt32LE(json.length, 8)
  json.copy(buf, 12)
  return buf
}

async function readHeader(fh: FileHandle, file: string): Promise<CacheHeader> {
  const buf = Buffer.alloc(HEADER_BYTES)
  const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0)
  if (bytesRead < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${file} is not an embedding cache (bad magic)`)
  const len = buf.readUInt32LE(8)
  if (len > HEADER_BYTES - 12) throw new Error(`${file}: bad header length`)
  return JSON.parse(buf.toString('utf8', 12, 12 + len)) as CacheHeader
}

/** The header of a cache file: its teacher key, and its shard when it is one. */
export async function readCacheHeader(file: string): Promise<CacheHeader> {
  const fh = await open(file, 'r')
  try {
    return await readHeader(fh, file)
  } finally {
    await fh.close()
  }
}

function decodeId(buf: Buffer, at: number): string {
  let end = at
  while (end < at + ID_BYTES && buf[end] !== 0) end++
  return buf.toString('utf8', at, end)
}

/**
 * Reads records in chunks of up to SCAN_RECORDS and yields each chunk with the number of leading
 * records whose CRC matches (at offsets 0, rec, 2 rec, ...); stops after the first bad or partial
 * one. The chunk buffer is reused: use it before asking for the next. Two buffers take turns: the
 * next chunk is read while this one is checked and used (a 100k-image cache is ~0.5 GB, and
 * waiting for each read in turn cost "more like this" a tenth of its first query).
 */
async function* chunks(fh: FileHandle, size: number, rec: number): AsyncGenerator<{ chunk: Buffer; good: number }> {
  const buffers = [Buffer.allocUnsafe(rec * SCAN_RECORDS), Buffer.allocUnsafe(rec * SCAN_RECORDS)]
  const readAt = (buf: Buffer, at: number) => {
    if (at + rec > size) return null
    const read = fh.read(buf, 0, Math.min(buf.length, Math.floor((size - at) / rec) * rec), at)
    // A read ahead that fails while the caller is busy elsewhere must not be an unhandled
    // rejection (it would end the process): the error comes out where the read is awaited.
    read.catch(() => undefined)
    return read
  }
  let pos = HEADER_BYTES
  let turn = 0
  let pending = readAt(buffers[0]!, pos)
  try {
    while (pending) {
      const { bytesRead } = await pending
      const chunk = buffers[turn]!
      const n = Math.floor(bytesRead / rec)
      pending = n > 0 ? readAt(buffers[1 - turn]!, pos + n * rec) : null
      let good = 0
      while (good < n && crc32(chunk.subarray(good * rec, (good + 1) * rec - 4)) === chunk.readUInt32LE((good + 1) * rec - 4)) good++
      if (good > 0) yield { chunk, good }
      if (good < n || n === 0) return
      pos += n * rec
      turn = 1 - turn
    }
  } finally {
    // a read still under way when the caller stops must end before the caller closes the file
    await pending?.catch(() => undefined)
  }
}

/** Calls `each(chunk, offset)` for every good record (see chunks); returns how many there were. */
async function scan(fh: FileHandle, size: number, rec: number, each: (chunk: Buffer, at: number) => void): Promise<number> {
  let rows = 0
  for await (const { chunk, good } of chunks(fh, size, rec)) {
    for (let i = 0; i < good; i++) each(chunk, i * rec)
    rows += good
  }
  return rows
}

export interface OpenReport {
  /** Records kept. */
  records: number
  /** Bytes cut from a torn or damaged tail (0 after a clean close). */
  truncatedBytes: number
}

export interface CacheRecord {
  id: string
  embedding: Float32Array
  scores?: Float32Array
}

/** A cache open for appending. One writer per file at a time. */
export class EmbeddingCache {
  readonly file: string
  readonly key: CacheKey
  readonly opened: OpenReport
  private readonly rec: number
  private readonly rows = new Map<string, number>()
  private unsynced = 0

  private constructor(file: string, key: CacheKey, private fh: FileHandle, opened: OpenReport) {
    this.file = file
    this.key = key
    this.opened = opened
    this.rec = recordBytes(key)
  }

  /** Opens (or creates) the cache for `key` in `dir`, indexing it and cutting any torn tail. */
  static open(dir: string, key: CacheKey): Promise<EmbeddingCache> {
    return EmbeddingCache.openFile(path.join(dir, cacheFileName(key)), key)
  }

  /** Opens (or creates) the cache file `file` for `key`, and for one shard of a folder when `shard` is given. */
  static async openFile(file: string, key: CacheKey, shard?: Shard): Promise<EmbeddingCache> {
    await mkdir(path.dirname(file), { recursive: true })
    const fh = await open(file, 'a+').then(async (h) => {
      // 'a+' only to create it; positional writes need 'r+' (Linux ignores the position in append mode).
      await h.close()
      return open(file, 'r+')
    })
    try {
      let size = (await fh.stat()).size
      if (size < HEADER_BYTES) {
        await fh.truncate(0)
        await fh.write(encodeHeader(key, shard), 0, HEADER_BYTES, 0)
        await fh.sync()
        size = HEADER_BYTES
      } else {
        const h = await readHeader(fh, file)
        if (h.modelSha256 !== key.modelSha256 || h.preprocessHash !== key.preprocessHash || h.dim !== key.dim || h.scoresDim !== key.scoresDim || h.idBytes !== ID_BYTES) {
          throw new Error(`${file} was written for a different teacher (header ${JSON.stringify(h)})`)
        }
        if (h.shard?.index !== shard?.index || h.shard?.count !== shard?.count) {
          const what = (s: Shard | undefined) => (s ? `shard ${s.index}/${s.count}` : 'a whole folder')
          throw new Error(`${file} holds ${what(h.shard)}, not ${what(shard)}`)
        }
      }
      const rec = recordBytes(key)
      const ids: string[] = []
      const good = await scan(fh, size, rec, (chunk, at) => ids.push(decodeId(chunk, at)))
      const end = HEADER_BYTES + good * rec
      if (end < size) {
        await fh.truncate(end)
        await fh.sync()
      }
      const cache = new EmbeddingCache(file, key, fh, { records: good, truncatedBytes: size - end })
      ids.forEach((id, row) => cache.rows.has(id) || cache.rows.set(id, row))
      cache.count = good
      return cache
    } catch (err) {
      await fh.close()
      throw err
    }
  }

  private count = 0

  get size(): number {
    return this.rows.size
  }
  has(id: string): boolean {
    return this.rows.has(id)
  }

  /** Appends records in one write; ids already present are skipped. Not durable until sync(). */
  async append(records: CacheRecord[]): Promise<void> {
    const fresh = records.filter((r) => !this.rows.has(r.id))
    if (fresh.length === 0) return
    const { dim, scoresDim } = this.key
    const buf = Buffer.alloc(fresh.length * this.rec)
    fresh.forEach((r, i) => {
      const at = i * this.rec
      if (Buffer.byteLength(r.id) > ID_BYTES) throw new Error(`image id "${r.id}" is longer than ${ID_BYTES} bytes`)
      if (r.embedding.length !== dim) throw new Error(`embedding has ${r.embedding.length} values, the cache holds ${dim}`)
      buf.write(r.id, at, 'utf8')
      Buffer.from(r.embedding.buffer, r.embedding.byteOffset, dim * 4).copy(buf, at + ID_BYTES)
      if (scoresDim > 0) {
        if (!r.scores || r.scores.length !== scoresDim) throw new Error(`scores missing or not ${scoresDim} long for "${r.id}"`)
        Buffer.from(r.scores.buffer, r.scores.byteOffset, scoresDim * 4).copy(buf, at + ID_BYTES + dim * 4)
      }
      buf.writeUInt32LE(crc32(buf.subarray(at, at + this.rec - 4)), at + this.rec - 4)
    })
    await this.fh.write(buf, 0, buf.length, HEADER_BYTES + this.count * this.rec)
    fresh.forEach((r, i) => this.rows.set(r.id, this.count + i))
    this.count += fresh.length
    this.unsynced += fresh.length
  }

  /** Makes appended records durable (fsync). */
  async sync(): Promise<void> {
    if (this.unsynced === 0) return
    await this.fh.sync()
    this.unsynced = 0
  }

  async close(): Promise<void> {
    await this.sync()
    await this.fh.close()
  }
}

export interface LoadedEmbeddings {
  ids: string[]
  dim: number
  /** ids.length x dim, row-major. */
  data: Float32Array
  /** ids.length x scoresDim when the teacher has scores and they were asked for. */
  logits?: Float32Array
  scoresDim: number
}

/**
 * Reads a cache file as one matrix. With `ids`, returns exactly those rows in that order (ids not
 * in the cache are left out, so check `ids.length`). Stops quietly at a torn tail.
 */
export async function loadEmbeddings(file: string, opts: { ids?: string[]; scores?: boolean } = {}): Promise<LoadedEmbeddings> {
  const fh = await open(file, 'r')
  try {
    const h = await readHeader(fh, file)
    const rec = recordBytes(h)
    const size = (await stat(file)).size
    const max = recordsIn(h, size)
    // Slot per distinct id, in first-seen order: a repeated id must not point past the end.
    let want: Map<string, number> | undefined
    if (opts.ids) {
      want = new Map()
      for (const id of opts.ids) if (!want.has(id)) want.set(id, want.size)
    }
    const wantScores = (opts.scores ?? true) && h.scoresDim > 0
    const slots = want ? want.size : max
    const data = new Float32Array(slots * h.dim)
    const logits = wantScores ? new Float32Array(slots * h.scoresDim) : undefined
    const dataBytes = Buffer.from(data.buffer)
    const logitBytes = logits ? Buffer.from(logits.buffer) : undefined
    const found: (string | undefined)[] = new Array(slots)
    const seen = new Set<string>()
    let next = 0
    await scan(fh, size, rec, (chunk, at) => {
      const id = decodeId(chunk, at)
      if (seen.has(id)) return
      seen.add(id)
      const slot = want ? want.get(id) : next++
      if (slot === undefined) return
      found[slot] = id
      chunk.copy(dataBytes, slot * h.dim * 4, at + ID_BYTES, at + ID_BYTES + h.dim * 4)
      if (logitBytes) chunk.copy(logitBytes, slot * h.scoresDim * 4, at + ID_BYTES + h.dim * 4, at + ID_BYTES + (h.dim + h.scoresDim) * 4)
    })
    // Compact away slots that were not filled (ids asked for but absent, or a torn tail).
    const keep: number[] = []
    for (let i = 0; i < slots; i++) if (found[i] !== undefined) keep.push(i)
    const ids = keep.map((i) => found[i] as string)
    if (keep.length === slots) return { ids, dim: h.dim, data, scoresDim: h.scoresDim, ...(logits ? { logits } : {}) }
    const d2 = new Float32Array(keep.length * h.dim)
    const l2 = logits ? new Float32Array(keep.length * h.scoresDim) : undefined
    keep.forEach((s, j) => {
      d2.set(data.subarray(s * h.dim, (s + 1) * h.dim), j * h.dim)
      if (l2 && logits) l2.set(logits.subarray(s * h.scoresDim, (s + 1) * h.scoresDim), j * h.scoresDim)
    })
    return { ids, dim: h.dim, data: d2, scoresDim: h.scoresDim, ...(l2 ? { logits: l2 } : {}) }
  } finally {
    await fh.close()
  }
}

/**
 * Streams a cache file's embeddings, up to SCAN_RECORDS rows at a time: their ids and one
 * rows x dim matrix (reused between chunks: use it before asking for the next), with how many
 * records the file can hold at most (for progress, and to size a buffer once). Repeated ids are
 * passed on as they are; ends quietly at a torn tail, as loadEmbeddings does.
 */
export async function* embeddingChunks(file: string): AsyncGenerator<{ ids: string[]; data: Float32Array; dim: number; records: number }> {
  const fh = await open(file, 'r')
  try {
    const h = await readHeader(fh, file)
    const rec = recordBytes(h)
    const size = (await fh.stat()).size
    const records = recordsIn(h, size)
    const data = new Float32Array(SCAN_RECORDS * h.dim)
    const bytes = Buffer.from(data.buffer)
    for await (const { chunk, good } of chunks(fh, size, rec)) {
      const ids: string[] = []
      for (let i = 0; i < good; i++) {
        const at = i * rec
        ids.push(decodeId(chunk, at))
        chunk.copy(bytes, i * h.dim * 4, at + ID_BYTES, at + ID_BYTES + h.dim * 4)
      }
      yield { ids, data: data.subarray(0, good * h.dim), dim: h.dim, records }
    }
  } finally {
    await fh.close()
  }
}

/**
 * Streams a cache file's records, up to SCAN_RECORDS at a time, each a copy (memory stays bounded
 * by one chunk whatever the file's size). Ends at a torn or damaged tail: `records` then says how
 * many good ones there were and `damaged` that the file holds more bytes than that.
 */
export async function* readRecords(file: string): AsyncGenerator<CacheRecord[], { records: number; damaged: boolean }> {
  const fh = await open(file, 'r')
  try {
    const h = await readHeader(fh, file)
    const rec = recordBytes(h)
    const size = (await fh.stat()).size
    let records = 0
    for await (const { chunk, good } of chunks(fh, size, rec)) {
      const out: CacheRecord[] = []
      for (let i = 0; i < good; i++) {
        const at = i * rec
        const embedding = new Float32Array(h.dim)
        Buffer.from(embedding.buffer).set(chunk.subarray(at + ID_BYTES, at + ID_BYTES + h.dim * 4))
        const r: CacheRecord = { id: decodeId(chunk, at), embedding }
        if (h.scoresDim > 0) {
          r.scores = new Float32Array(h.scoresDim)
          Buffer.from(r.scores.buffer).set(chunk.subarray(at + ID_BYTES + h.dim * 4, at + ID_BYTES + (h.dim + h.scoresDim) * 4))
        }
        out.push(r)
      }
      records += good
      yield out
    }
    return { records, damaged: HEADER_BYTES + records * rec < size }
  } finally {
    await fh.close()
  }
}
