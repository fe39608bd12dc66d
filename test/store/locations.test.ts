/**
 * A folder reached through a symbolic link is one project with its target: the web host opens
 * folders by their real path (confine.ts), the CLI and the desktop app by the path given, and
 * both must find the same data (else a serve and a CLI verb on one folder see two projects).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { projectDataDir } from '../../main/engine/project/locations'

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'studio-locations-'))
  await mkdir(path.join(tmp, 'photos'))
  await symlink(path.join(tmp, 'photos'), path.join(tmp, 'link'))
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

it('gives a folder and a link to it one data folder, and two folders two', async () => {
  const data = path.join(tmp, 'data')
  expect(projectDataDir(data, path.join(tmp, 'link'))).toBe(projectDataDir(data, path.join(tmp, 'photos')))
  expect(projectDataDir(data, path.join(tmp, 'link', '..', 'photos'))).toBe(projectDataDir(data, path.join(tmp, 'photos')))
  await mkdir(path.join(tmp, 'other'))
  expect(projectDataDir(data, path.join(tmp, 'other'))).not.toBe(projectDataDir(data, path.join(tmp, 'photos')))
})
