/**
 * `status <folder> [--json] [--wait S]`: the project at a glance, for scripts and people: images,
 * classes with their counts per state, the teacher, the last round and the audited precision.
 * Opens the project (indexing new files) but runs no teacher and no round.
 */
import { IMAGE_STATUSES, zeroPerStatus } from '../../preload/vocabulary'
import { percent, runVerb } from './session'

const USAGE = 'status <folder> [--json] [--wait SECONDS]'

export function run(args: string[]): Promise<number> {
  return runVerb(args, { usage: USAGE, options: {} }, async (v) => {
    const s = await v.open()
    const totals = zeroPerStatus()
    for (const status of IMAGE_STATUSES) totals[status] = (await s.call('images.page', { offset: 0, limit: 1, status })).total
    const classes = await s.call('classes.list', {})
    const settings = await s.call('settings.get', {})
    const teacher = (await s.call('teachers.list', {})).find((t) => t.id === settings.teacher)
    const rounds = await s.call('rounds.list', {})
    const last = rounds.at(-1) ?? null
    const audit = await s.call('audit.report', {})
    const p = s.project
    const result = {
      folder: p.folder,
      dataDir: p.dataDir,
      images: p.imageCount,
      files: p.fileCount,
      unreadable: p.unreadableCount,
      perStatus: totals,
      classes: classes.map((c) => ({ id: c.id, name: c.name, counts: c.counts })),
      teacher: { id: settings.teacher, name: teacher?.name ?? null, installed: teacher ? teacher.state === 'installed' : false },
      rounds: rounds.length,
      lastRound: last,
      audit,
    }
    v.say(`${p.folder}: ${p.imageCount} images (${p.fileCount} files, ${p.unreadableCount} unreadable)`)
    v.say(`  ${IMAGE_STATUSES.map((st) => `${st} ${totals[st]}`).join(', ')}`)
    v.say(classes.length ? 'classes:' : 'classes: none yet')
    for (const c of classes) v.say(`  ${c.name}: ${IMAGE_STATUSES.filter((st) => st !== 'unlabelled').map((st) => `${st} ${c.counts[st]}`).join(', ')}`)
    v.say(`teacher: ${settings.teacher}${teacher ? ` (${teacher.name}${teacher.state === 'installed' ? '' : `, ${teacher.state}`})` : ' (not found in the catalog)'}`)
    if (!last) v.say('rounds: none yet')
    else {
      v.say(`last round: ${last.id} of ${rounds.length}, ${last.status}${last.error ? ` (${last.error})` : ''}: k-fold accuracy ${percent(last.kfoldAccuracy)}, calibration error ${percent(last.ece)}, ${last.proposals} proposals`)
      if (last.auditedPrecision) v.say(`  audited precision ${percent(last.auditedPrecision.overall)} (${last.auditedPrecision.checked} checked)`)
    }
    if (audit) for (const c of audit.classes) if (c.checked) v.say(`audit ${c.name}: precision ${percent(c.precision)} (${c.correct} of ${c.checked}; 95% interval ${percent(c.low)} to ${percent(c.high)})`)
    return result
  })
}
