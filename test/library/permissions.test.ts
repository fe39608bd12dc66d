import { expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { noise, tempDir } from './fixtures'

const here = path.dirname(fileURLToPath(import.meta.url))

it('records files and folders it may not read, and indexes the rest', async () => {
  const root = tempDir()
  const appData = tempDir()
  try {
    await noise(16, 16, 1).png().toFile(path.join(root, 'ok.png'))
    await noise(16, 16, 2).png().toFile(path.join(root, 'secret.png'))
    mkdirSync(path.join(root, 'locked'))
    await noise(16, 16, 3).png().toFile(path.join(root, 'locked/inner.png'))
    chmodSync(path.join(root, 'secret.png'), 0o000)
    chmodSync(path.join(root, 'locked'), 0o000)
    // root reads everything, so as root the scan runs as the unprivileged user "nobody", who owns
    // the folder itself (and may write .pseudolabel there) but not the two protected entries.
    const asRoot = process.getuid?.() === 0
    if (asRoot) {
      chownSync(root, 65534, 65534)
      chownSync(appData, 65534, 65534)
    }
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'scan-child.ts'), root, appData], {
      cwd: path.resolve(here, '../..'),
      encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: appData } } : {}),
    })
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout) as { images: string[]; unreadable: { path: string; reason: string }[] }
    expect(out.images).toEqual(['ok.png'])
    expect(out.unreadable.map((u) => [u.path, /permission denied/.test(u.reason)])).toEqual([
      ['locked/', true],
      ['secret.png', true],
    ])
  } finally {
    rmSync(root, { recursive: true, force: true })
    rmSync(appData, { recursive: true, force: true })
  }
})
