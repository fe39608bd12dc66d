/**
 * The contract of preload/contract.ts as one table: request name -> handler. Every input is parsed
 * by its request's schema before its handler sees it, because the renderer is untrusted.
 */
import type { z } from 'zod'
import { StudioError, type RequestInput, type RequestName, type RequestResults } from '../../../preload/contract'
import { requestSchemas } from '../../../preload/schemas'
import type { StudioContext } from '../context'
import { appHandlers } from './app'
import { auditHandlers } from './audit'
import { classHandlers } from './classes'
import { exportHandlers } from './export'
import type { HandlerTable } from './handler'
import { imageHandlers } from './images'
import { importHandlers } from './import'
import { labelHandlers } from './labels'
import { mapHandlers } from './map'
import { modelImportHandlers } from './model-import'
import { projectHandlers } from './project'
import { roundHandlers } from './rounds'
import { settingsHandlers } from './settings'
import { teacherHandlers } from './teacher'
import { teachersHandlers } from './teachers'

const handlers: HandlerTable = {
  ...appHandlers,
  ...projectHandlers,
  ...imageHandlers,
  ...labelHandlers,
  ...classHandlers,
  ...roundHandlers,
  ...teacherHandlers,
  ...teachersHandlers,
  ...settingsHandlers,
  ...exportHandlers,
  ...importHandlers,
  ...auditHandlers,
  ...mapHandlers,
  ...modelImportHandlers,
}

/**
 * The schemas seen per request, so that indexing with a generic name keeps the pairing of a schema
 * with its handler's input type (a plain index into requestSchemas widens to the union of all).
 */
const schemas: { [N in RequestName]: z.ZodType<RequestInput<N>> } = requestSchemas

export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(requestSchemas, name)
}

/** Parses `input` with the schema of `name` and runs its handler; a refused input throws `invalid_input`. */
export async function dispatch<N extends RequestName>(name: N, input: unknown, ctx: StudioContext): Promise<RequestResults[N]> {
  const parsed = schemas[name].safeParse(input ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.join('.') || '(body)'
    throw new StudioError('invalid_input', `${name}: field ${field}: ${issue?.message ?? 'invalid'}`)
  }
  return handlers[name](parsed.data, ctx)
}
