/**
 * The loop's verbs as a script runs them (child processes on a copy of real photos): each one's
 * output and exit code, --json documents, decision files in and out, bad usage and bad input (2,
 * nothing applied), and the project lock (75 while another process holds it; --wait waits).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Project } from '../../main/engine/project/project'
import { projectOpenOptions } from '../../main/engine/project/locations'
import { hymenopteraSubset } from '../shared'
import { runCli } from './run-cli'

let folder = ''
let dataRoot = ''
let env: NodeJS.ProcessEnv
const cli = (...args: string[]) => runCli(args, env)
const json = <T>(stdout: string) => JSON.parse(stdout) as T
const truth = (p: string) => (p.startsWith('ants/') ? 'ants' : 'bees')

interface Status {
  images: number
  perStatus: Record<string, number>
  classes: { name: string; counts: Record<string, number> }[]
  lastRound: { id: number; status: string; kfoldAccuracy: number | null } | null
}

beforeAll(async () => {
  folder = await hymenopteraSubset('cli-loop-', 4)
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'cli-loop-data-'))
  // the teacher on the CPU, and every project's data in the temp folder (the lock test opens it here too)
  await writeFile(path.join(dataRoot, 'settings.json'), JSON.stringify({ provider: 'cpu' }))
  env = { ...process.env, STUDIO_DATA_DIR: dataRoot }
})

afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
  await rm(dataRoot, { recursive: true, force: true })
})

describe('bad usage and bad input exit 2 and change nothing', () => {
  it.each([
    [['status'], /the project folder is needed/],
    [['status', '/no/such/folder'], /is not a folder/],
    [['status', '.', '--bogus'], /Unknown option '--bogus'/],
    [['accept', '.'], /--above must be a probability/],
    [['accept', '.', '--above', '1.5'], /--above must be a probability/],
    [['round', '.', '--strategy', 'guess'], /--strategy must be one of/],
    [['round', '.', '--rounds', '0'], /--rounds must be a whole number >= 1/],
    [['audit', '.'], /either --draw N --out CSV .* or --in CSV/],
    [['audit', '.', '--draw', '3'], /--draw needs --out CSV/],
    [['review', '.'], /--in CSV is needed/],
    [['status', '.', '--wait', 'soon'], /--wait must be a number of seconds/],
  ])('%j', async (args, message) => {
    const r = await cli(...args.map((a) => (a === '.' ? folder : a)))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toMatch(/usage: npm run cli --/)
  })

  it('an unknown verb lists the verbs with the exit codes', async () => {
    const r = await cli('loop-de-loop')
    expect(r.code).toBe(2)
    for (const verb of ['status', 'suggest', 'review', 'round', 'accept', 'audit', 'label-issues']) expect(r.stderr).toContain(`  ${verb} <folder>`)
    expect(r.stderr).toMatch(/75 project open elsewhere/)
  })

  it('a decision file with a missing image or an unknown class is refused whole, each bad line named', async () => {
    const file = path.join(dataRoot, 'bad.csv')
    await writeFile(file, 'path,decision\nants/nope.jpg,ants\nbees/also-missing.jpg,bees\n')
    const r = await cli('review', folder, '--in', file)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/nothing was applied/)
    expect(r.stderr).toMatch(/line 2: ants\/nope\.jpg: no such image/)
    expect(r.stderr).toMatch(/line 3: bees\/also-missing\.jpg/)

    const some = json<Status>((await cli('status', folder, '--json')).stdout)
    const first = `ants/${(await readdir(path.join(folder, 'ants')))[0]}`
    await writeFile(file, `path,decision\n${first},wasps\n`)
    const unknown = await cli('review', folder, '--in', file)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown classes: wasps .*--create-classes/)
    await writeFile(file, `path,decision\n${first},accept\n`)
    const accept = await cli('review', folder, '--in', file)
    expect(accept.code).toBe(2)
    expect(accept.stderr).toMatch(/has no pseudo-label to accept \(it is unlabelled\)/)
    const after = json<Status>((await cli('status', folder, '--json')).stdout)
    expect(after.perStatus).toEqual(some.perStatus)
    expect(after.classes).toEqual([])
  }, 240_000)
})

describe('the loop, verb by verb', () => {
  it('status, suggest, review, round, accept, audit, label-issues', { timeout: 400_000 }, async () => {
    const fresh = await cli('status', folder, '--json')
    expect(fresh.code, fresh.stderr).toBe(0)
    const s0 = json<Status>(fresh.stdout)
    expect(s0.images).toBe(8)
    expect(s0.perStatus.unlabelled).toBe(8)
    expect(s0.lastRound).toBeNull()

    // suggest: a path,decision file with the decisions empty, the images listed on stdout
    const suggestions = path.join(dataRoot, 'suggest.csv')
    const sug = await cli('suggest', folder, '--count', '3', '--out', suggestions)
    expect(sug.code, sug.stderr).toBe(0)
    const lines = (await readFile(suggestions, 'utf8')).trim().split('\n')
    expect(lines[0]).toBe('path,decision')
    expect(lines.slice(1).map((l) => l.replace(/,$/, ''))).toEqual(sug.stdout.trim().split('\n'))
    expect(new Set(lines.slice(1)).size).toBe(3)
    expect((await cli('suggest', folder, '--out', suggestions)).code).toBe(2) // never overwrites

    // review: seed labels from the folder names, two per class, classes created on the way
    const seeds = path.join(dataRoot, 'seeds.csv')
    const picks = [...(await readdir(path.join(folder, 'ants'))).slice(0, 2).map((f) => `ants/${f}`), ...(await readdir(path.join(folder, 'bees'))).slice(0, 2).map((f) => `bees/${f}`)]
    await writeFile(seeds, `path,decision\n${picks.map((p) => `${p},${truth(p)}`).join('\n')}\n`)
    const rev = await cli('review', folder, '--in', seeds, '--create-classes', '--json')
    expect(rev.code, rev.stderr).toBe(0)
    expect(json<{ labelled: Record<string, number>; createdClasses: string[] }>(rev.stdout)).toMatchObject({ labelled: { ants: 2, bees: 2 }, createdClasses: ['ants', 'bees'] })
    const again = json<{ unchanged: number }>((await cli('review', folder, '--in', seeds, '--json')).stdout)
    expect(again.unchanged).toBe(4)

    // round: progress on stderr, the round's figures on stdout
    const round = await cli('round', folder, '--strategy', 'threshold', '--param', '0.5')
    expect(round.code, round.stderr).toBe(0)
    expect(round.stderr).toMatch(/round 1: cross-validating \d+\.\d%/)
    expect(round.stderr).toMatch(/round 1: writing proposals/)
    expect(round.stdout).toMatch(/^round 1: k-fold accuracy \d+\.\d%, calibration error \d+\.\d%, \d+ proposals \(ants \d+, bees \d+\)/)
    // --strategy applies to this round only: the threshold at 0.5 proposes every unlabelled image
    // (two classes), and the app's settings are as they were
    expect(round.stdout).toMatch(/, 4 proposals \(/)
    expect(JSON.parse(await readFile(path.join(dataRoot, 'settings.json'), 'utf8'))).toEqual({ provider: 'cpu' })
    const twice = await cli('round', folder, '--rounds', '2', '--accept-above', '0.99', '--json')
    expect(twice.code, twice.stderr).toBe(0)
    const rounds = json<{ rounds: { id: number; status: string; proposals: number; accepted: number; proposalsPerClass: Record<string, number> }[] }>(twice.stdout).rounds
    expect(rounds.map((r) => [r.id, r.status])).toEqual([
      [2, 'done'],
      [3, 'done'],
    ])
    for (const r of rounds) expect(r.proposals).toBe(Object.values(r.proposalsPerClass).reduce((a, b) => a + b, 0))

    // accept: one class, at a threshold, counted as the review queue counts
    const before = json<Status>((await cli('status', folder, '--json')).stdout)
    const antsProposed = before.classes.find((c) => c.name === 'ants')!.counts.proposed
    const acc = await cli('accept', folder, '--above', '0', '--class', 'ants', '--json')
    expect(acc.code, acc.stderr).toBe(0)
    expect(json<{ accepted: number }>(acc.stdout).accepted).toBe(antsProposed)
    const afterAccept = json<Status>((await cli('status', folder, '--json')).stdout)
    expect(afterAccept.classes.find((c) => c.name === 'ants')!.counts.proposed).toBe(0)
    expect((await cli('accept', folder, '--above', '0.5', '--class', 'wasps')).code).toBe(2)

    // audit: draw, judge from the folder names, precision per class with its Wilson interval
    await cli('round', folder)
    const sample = path.join(dataRoot, 'audit.csv')
    const draw = await cli('audit', folder, '--draw', '2', '--out', sample)
    expect(draw.code, draw.stderr).toBe(0)
    const [head, ...rows] = (await readFile(sample, 'utf8')).trim().split('\n').map((l) => l.split(','))
    expect(head).toEqual(['path', 'proposed', 'confidence', 'decision'])
    expect(rows.length).toBeGreaterThan(0)
    const verdicts = path.join(dataRoot, 'verdicts.csv')
    await writeFile(verdicts, ['path,proposed,confidence,decision', ...rows.map(([p, proposed, conf]) => `${p},${proposed},${conf},${proposed === truth(p!) ? 'accept' : truth(p!)}`)].join('\n'))
    const judged = await cli('audit', folder, '--in', verdicts, '--json')
    expect(judged.code, judged.stderr).toBe(0)
    const report = json<{ report: { classes: { name: string; checked: number; correct: number; precision: number | null; low: number; high: number }[] } }>(judged.stdout).report
    const right = rows.filter(([p, proposed]) => proposed === truth(p!)).length
    expect(report.classes.reduce((a, c) => a + c.checked, 0)).toBe(rows.length)
    expect(report.classes.reduce((a, c) => a + c.correct, 0)).toBe(right)
    for (const c of report.classes.filter((x) => x.checked > 0)) {
      expect(c.precision).toBeCloseTo(c.correct / c.checked)
      expect(c.low).toBeLessThanOrEqual(c.precision!)
      expect(c.high).toBeGreaterThanOrEqual(c.precision!)
    }
    const text = await cli('audit', folder, '--in', verdicts)
    expect(text.stdout).toMatch(/precision \d+\.\d% \(\d+ of \d+ right; 95% interval \d+\.\d% to \d+\.\d%\)/)

    // label-issues: a human label moved to the wrong class is judged by heads that never saw it
    const issues = await cli('label-issues', folder, '--json')
    expect(issues.code, issues.stderr).toBe(0)
    const found = json<{ humanLabels: number; issues: { path: string; class: string; suggested: string }[] }>(issues.stdout)
    expect(found.humanLabels).toBeGreaterThanOrEqual(4)
    for (const i of found.issues) expect(i.suggested).not.toBe(i.class)

    const end = json<Status>((await cli('status', folder, '--json')).stdout)
    expect(end.lastRound?.status).toBe('done')
    expect(end.lastRound?.id).toBe(4)
  })
})

describe('the project lock', () => {
  it('refuses at once while another process holds it (75), and --wait waits for it', { timeout: 120_000 }, async () => {
    const saved = process.env.STUDIO_DATA_DIR
    process.env.STUDIO_DATA_DIR = dataRoot
    const held = await Project.open(folder, projectOpenOptions(folder, dataRoot))
    try {
      const refused = await cli('status', folder)
      expect(refused.code).toBe(75)
      expect(refused.stderr).toMatch(/open in another studio window or process \(process \d+/)
      expect(refused.stderr).toMatch(/--wait SECONDS/)
      const exported = await cli('export', folder, '--format', 'csv', '--out', path.join(dataRoot, 'never.csv'))
      expect(exported.code).toBe(75)
      // Ctrl+C while waiting: cancelled, 130
      let sent = false
      const interrupted = await runCli(['round', folder, '--wait', '60'], env, (text, kill) => {
        if (sent || !/waiting up to/.test(text)) return
        sent = true
        kill('SIGINT')
      })
      expect(interrupted.code, interrupted.stderr).toBe(130)
      expect(interrupted.stderr).toMatch(/cancelled/)

      // close the project once the second process says it waits for it
      let said!: () => void
      const saysItWaits = new Promise<void>((r) => (said = r))
      const waiting = runCli(['status', folder, '--wait', '60', '--json'], env, (text) => {
        if (/waiting up to/.test(text)) said()
      })
      await saysItWaits
      await new Promise((r) => setTimeout(r, 1000))
      await held.close()
      const waited = await waiting
      expect(waited.code, waited.stderr).toBe(0)
      expect(waited.stderr).toMatch(/is open elsewhere; waiting up to 60 s/)
      expect(json<Status>(waited.stdout).images).toBe(8)
    } finally {
      await held.close()
      if (saved === undefined) delete process.env.STUDIO_DATA_DIR
      else process.env.STUDIO_DATA_DIR = saved
    }
  })
})
