/**
 * The teacher catalog (models/catalog.json) and its manifests (models/<id>.json): every manifest is
 * one the studio accepts, every catalog entry has one, every downloadable teacher is pinned (a
 * revision in its URL, its size and sha256, its licence), and the suggestions cover the uses the
 * studio offers. No network: the URLs are checked for their form, not fetched.
 */
import { createHash } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUILTIN_MODELS_DIR, listCatalog, parseManifest } from '../../main/engine/teacher'
import type { Manifest } from '../../main/engine/teacher'

async function manifests(): Promise<Map<string, Manifest>> {
  const out = new Map<string, Manifest>()
  for (const f of (await readdir(BUILTIN_MODELS_DIR)).filter((f) => f.endsWith('.json') && f !== 'catalog.json').sort()) {
    const m = parseManifest(JSON.parse(await readFile(path.join(BUILTIN_MODELS_DIR, f), 'utf8')), f)
    out.set(f, m)
  }
  return out
}

/** A URL that names a fixed revision: no moving branch in its path. */
function pinned(url: string): boolean {
  const u = new URL(url)
  if (u.protocol !== 'https:') return false
  const parts = u.pathname.split('/')
  if (parts.some((p) => ['main', 'master', 'HEAD', 'latest'].includes(p))) return false
  // Hugging Face: /<owner>/<repo>/resolve/<40-hex commit>/<path>; GitHub: /<owner>/<repo>/raw/<40-hex commit>/<path>
  const at = parts.findIndex((p) => p === 'resolve' || p === 'raw')
  return at > 0 && /^[0-9a-f]{40}$/.test(parts[at + 1] ?? '')
}

describe('teacher catalog', () => {
  it('every models/*.json is a valid manifest, named after its id', async () => {
    const all = await manifests()
    expect(all.size).toBeGreaterThanOrEqual(7)
    for (const [file, m] of all) expect(file).toBe(`${m.id}.json`)
  })

  it('lists at least six teachers, the shipped default first, each with a manifest', async () => {
    const catalog = await listCatalog()
    const all = await manifests()
    expect(catalog.length).toBeGreaterThanOrEqual(6)
    expect(catalog[0]?.default).toBe(true)
    expect(catalog.filter((t) => t.default)).toHaveLength(1)
    expect(new Set(catalog.map((t) => t.id)).size).toBe(catalog.length)
    for (const t of catalog) expect(all.has(`${t.id}.json`), `models/${t.id}.json`).toBe(true)
  })

  it('every downloadable teacher is pinned: https URL at a revision, bytes, sha256, licence, what it is good at', async () => {
    const catalog = await listCatalog()
    const all = await manifests()
    for (const t of catalog.filter((t) => !t.default)) {
      const m = all.get(`${t.id}.json`)!
      const files = [m.file, ...(m.text ? [m.text.file] : [])]
      for (const f of files) {
        expect(f.url, `${t.id}: url`).toBeDefined()
        expect(pinned(f.url!), `${t.id}: ${f.url} is not pinned to a revision`).toBe(true)
        expect(f.bytes, `${t.id}: bytes`).toBeGreaterThan(0)
        expect(f.sha256, `${t.id}: sha256`).toMatch(/^[0-9a-f]{64}$/)
        expect(f.sha256, `${t.id}: a placeholder checksum`).not.toMatch(/^0+$/)
      }
      if (m.text) expect(pinned(m.text.tokenizer.url!), `${t.id}: tokenizer url`).toBe(true)
      expect(m.licence, `${t.id}: licence`).toBeTruthy()
      expect(m.goodAt, `${t.id}: goodAt`).toBeTruthy()
      expect(m.source, `${t.id}: source`).toMatch(/^https:\/\//)
    }
  })

  it('no two teachers share a model file (the sha256 names the embedding cache)', async () => {
    const seen = new Map<string, string>()
    for (const m of (await manifests()).values()) {
      const prev = seen.get(m.file.sha256)
      expect(prev, `${m.id} and ${prev} have the same sha256`).toBeUndefined()
      seen.set(m.file.sha256, m.id)
    }
  })

  it('suggests a teacher for photos, small or greyscale images, a CPU-only laptop and classes by name, with why', async () => {
    const catalog = await listCatalog()
    const all = await manifests()
    for (const use of ['photos', 'small-or-greyscale', 'cpu-laptop', 'classes-by-name'] as const) {
      const picks = catalog.filter((t) => t.suggestedFor.includes(use))
      expect(picks.length, use).toBeGreaterThan(0)
      for (const t of picks) expect(t.why, `${t.id}: why`).toBeTruthy()
    }
    // Classes by name needs a text tower.
    for (const t of catalog.filter((t) => t.suggestedFor.includes('classes-by-name'))) expect(all.get(`${t.id}.json`)!.text, t.id).toBeDefined()
  })

  it('token-sequence and text-aligned recipes: DINOv2 pools the CLS token; CLIP and SigLIP carry their text towers', async () => {
    const all = await manifests()
    const dino = all.get('dinov2-vits14.json')!
    expect(dino.outputs.embedding).toMatchObject({ tensor: 'last_hidden_state', dim: 384, pooling: 'cls' })
    const clip = all.get('clip-vit-b32.json')!
    expect(clip.text).toMatchObject({ maxLength: 77, logitScale: 100, output: { tensor: 'text_embeds', dim: 512 } })
    const siglip = all.get('siglip-b16-224.json')!
    expect(siglip.text).toMatchObject({ maxLength: 64, output: { dim: 768 } })
  })

  it("the shipped default's sha256 and size match the file in models/", async () => {
    const catalog = await listCatalog()
    const def = catalog.find((t) => t.default)!
    const m = (await manifests()).get(`${def.id}.json`)!
    expect(m.file.path).toBeDefined()
    const bytes = await readFile(path.join(BUILTIN_MODELS_DIR, m.file.path!))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.file.sha256)
    expect(bytes.length).toBe(m.file.bytes)
  })
})
