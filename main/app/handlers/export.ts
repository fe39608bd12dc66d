/** Exports into the project's exports folder: the labels in a chosen format, and the latest round's student. */
import path from 'node:path'
import { defaultExportPath, exportLabels } from '../../engine/exchange/export'
import { exportStudent } from '../../engine/exchange/student'
import { defaultModelSearchDirs } from '../../engine/teacher/manifest'
import { ProgressMeter } from '../../engine/progress'
import type { HandlerGroup } from './handler'

export const exportHandlers = {
  'labels.export': async ({ format, scope, link, valRatio }, ctx) => {
    const project = ctx.requireProject()
    const dest = await defaultExportPath(project.paths.exports, format)
    const meter = new ProgressMeter()
    const result = await exportLabels(project, {
      format,
      scope,
      dest,
      mode: link ? 'link' : 'copy',
      ...(valRatio !== undefined ? { valRatio } : {}),
      onProgress: (done, total) => {
        if (meter.due(done, total)) ctx.emit({ type: 'progress', job: 'export', stage: 'copying images', ...meter.report(done, total) })
      },
    })
    return { ...result, fileName: path.basename(dest) }
  },
  'student.export': async (_input, ctx) => {
    const project = ctx.requireProject()
    const dest = await defaultExportPath(project.paths.exports, 'onnx')
    const student = await exportStudent(project, dest, { teacher: ctx.jobs.teacher.current().model, searchDirs: defaultModelSearchDirs(ctx.host.appDataDir) })
    return { ...student, fileName: path.basename(dest) }
  },
} satisfies HandlerGroup
