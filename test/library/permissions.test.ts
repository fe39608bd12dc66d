import { expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { noise, tempDir } from './fixtures'

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * Root reads everything: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH skip the permission bits. As root
 * the scan therefore runs without those two capabilities (setpriv drops them from the bounding set,
 * so the exec'd child never has them), still as root: it reaches the checkout and node_modules
 * wherever they lie (a clone under /root, mode 700, is fine), owns the folders it writes to, and is
 * refused the entries whose mode says no, like any owner. Running it as "nobody" instead failed
 * where nobody cannot enter the checkout's parent folders.
 */
const asRoot = process.getuid?.() === 0
const DROP = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--']
const canDrop = !asRoot || spawnSync(DROP[0] as string, [...DROP.slice(1), 'true']).status === 0

it('records files and folders it may not read, and indexes the rest', async (ctx) => {
  ctx.skip(!canDrop, 'running as root, and setpriv (util-linux) cannot drop CAP_DAC_OVERRIDE here: root would read every file')
  const root = tempDir()
  const appData = tempDir()
  try {
    await noise(16, 16, 1).png().toFile(path.join(root, 'ok.png'))
    await noise(16, 16, 2).png().toFile(path.join(root, 'secret.png'))
    mkdirSync(path.join(root, 'locked'))
    await noise(16, 16, 3).png().toFile(path.join(root, 'locked/inner.png'))
    chmodSync(path.join(root, 'secret.png'), 0o000)
    chmodSync(path.join(root, 'locked'), 0o000)
    const node = [process.execPath, '--import', 'tsx', path.join(here, 'scan-child.ts'), root, appData]
    const [cmd, ...args] = asRoot ? [...DROP, ...node] : node
    const r = spawnSync(cmd as string, args, { cwd: path.resolve(here, '../..'), encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout) as { images: string[]; unreadable: { path: string; reason: string }[] }
    expect(out.images).toEqual(['ok.png'])
    expect(out.unreadable.map((u) => [u.path, /permission denied/.test(u.reason)])).toEqual([
      ['locked/', true],
      ['secret.png', true],
    ])
  } finally {
    // The test process keeps its capabilities, so root removes the mode-000 entries as before;
    // a non-root owner needs the modes back first.
    if (existsSync(path.join(root, 'locked'))) chmodSync(path.join(root, 'locked'), 0o700)
    rmSync(root, { recursive: true, force: true })
    rmSync(appData, { recursive: true, force: true })
  }
})
