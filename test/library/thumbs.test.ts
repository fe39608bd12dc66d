import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { noise, tempDir, makeFixture, type Fixture } from './fixtures'
import { ThumbnailQueue } from '../../main/engine/library/thumbs'
import { identifyBuffer } from '../../main/engine/library/identify'
import { readHeader } from '../../main/engine/library/header'
import { readFileSync } from 'node:fs'

describe('thumbnail queue', () => {
  let dir: string
  const files: string[] = []

  beforeAll(async () => {
    dir = tempDir()
    for (let i = 0; i < 8; i++) {
      const f = path.join(dir, `src${i}.jpg`)
      await noise(300 + i, 200, i).jpeg().toFile(f)
      files.push(f)
    }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs the highest priority first, then what was focused, and shares one job per image', async () => {
    const q = new ThumbnailQueue(path.join(dir, 'cache1'), { concurrency: 1 })
    const order: number[] = []
    const jobs = files.map((f, i) => q.get(`h${i}`, f, { priority: i === 5 ? 10 : 0 }).then(() => order.push(i)))
    // The first request started at once (concurrency 1, nothing else queued); move 3 and 1 ahead of the rest.
    q.focus(['h3', 'h1'])
    const again = q.get('h7', files[7]!) // same image: shares the queued job
    expect(q.pending).toBe(8)
    await Promise.all([...jobs, again])
    expect(order[0]).toBe(0)
    expect(order.slice(1, 4)).toEqual([3, 1, 5])
    expect(order.slice(4)).toEqual([2, 4, 6, 7])
  })

  it('a cancelled or abandoned request is dropped before it runs; the cache can be deleted and rebuilt', async () => {
    const cache = path.join(dir, 'cache2')
    const q = new ThumbnailQueue(cache, { concurrency: 1 })
    const first = q.get('a0', files[0]!)
    const ctl = new AbortController()
    const abandoned = q.get('a1', files[1]!, { signal: ctl.signal })
    const cancelled = q.get('a2', files[2]!)
    ctl.abort()
    q.cancel(['a2'])
    await expect(abandoned).rejects.toThrow()
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' })
    const buf = await first
    expect(existsSync(q.cachePath('a0'))).toBe(true)
    expect(existsSync(q.cachePath('a1'))).toBe(false)
    expect(existsSync(q.cachePath('a2'))).toBe(false)
    const meta = await sharp(buf).metadata()
    expect([meta.format, meta.width]).toEqual(['webp', 256])
    // Served from the cache the second time (the source may even be gone).
    expect((await q.get('a0', '/nonexistent.jpg')).equals(buf)).toBe(true)
    await q.clear()
    expect(existsSync(cache)).toBe(false)
    expect((await q.get('a0', files[0]!)).length).toBeGreaterThan(0)
    expect(readdirSync(cache).length).toBe(1)
  })
})

describe('header reading agrees with sharp', () => {
  let fx: Fixture
  beforeAll(async () => {
    fx = await makeFixture()
  })
  afterAll(() => rmSync(fx.root, { recursive: true, force: true }))

  it('reads the size and orientation of every fixture image the way sharp does', async () => {
    let read = 0
    for (const [rel, want] of Object.entries(fx.good)) {
      const buf = readFileSync(path.join(fx.root, rel))
      const head = readHeader(buf)
      const meta = await sharp(buf).metadata()
      if (head) {
        read++
        expect([head.width, head.height, head.orientation]).toEqual([meta.width, meta.height, meta.orientation ?? 1])
      }
      const facts = await identifyBuffer(buf)
      expect({ width: facts.width, height: facts.height, format: facts.format }).toEqual(want)
    }
    expect(read).toBeGreaterThanOrEqual(10) // JPEG, PNG, GIF and WebP go through the fast path
  })
})
