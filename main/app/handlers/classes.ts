/** The project's classes: list, create, rename, recolour, and delete or merge (both undoable label changes). */
import { StudioError } from '../../../preload/contract'
import type { Project } from '../../engine/project/project'
import { classInfo, classList } from '../dto'
import type { HandlerGroup } from './handler'

/** Refuses a class id the project does not have (or has deleted) before anything is changed. */
export function requireClass(project: Project, id: number): void {
  if (!project.store.classes.list().some((c) => c.id === id)) throw new StudioError('not_found', `no class with id ${id} in this project`)
}

export const classHandlers = {
  'classes.list': (_input, ctx) => classList(ctx.requireProject()),
  'classes.create': ({ name }, ctx) => {
    // A colour of its own (Classes.create): two classes never share one.
    const project = ctx.requireProject()
    const id = project.store.classes.create(name)
    return classInfo(project, id)
  },
  'classes.rename': ({ id, name }, ctx) => {
    const project = ctx.requireProject()
    requireClass(project, id)
    project.store.classes.rename(id, name)
    return classInfo(project, id)
  },
  'classes.delete': ({ id }, ctx) => {
    const project = ctx.requireProject()
    requireClass(project, id)
    return ctx.labelsChanged(project.store.classes.delete(id, ctx.caller.actor).imageIds)
  },
  'classes.merge': ({ id, into }, ctx) => {
    const project = ctx.requireProject()
    requireClass(project, id)
    requireClass(project, into)
    return ctx.labelsChanged(project.store.classes.merge(id, into, ctx.caller.actor).imageIds)
  },
  'classes.setColor': ({ id, color }, ctx) => {
    const project = ctx.requireProject()
    requireClass(project, id)
    project.store.classes.setColor(id, color)
    return classInfo(project, id)
  },
} satisfies HandlerGroup
