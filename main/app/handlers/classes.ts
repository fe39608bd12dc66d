/** The project's classes: list, create, rename, recolour, and delete or merge (both undoable label changes). */
import { StudioError } from '../../../preload/contract'
import { freshClassColor } from '../../../preload/vocabulary'
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
    // A new class keeps the colour it is first shown in, so deleting a class above it does not
    // recolour it; one no live class has, so two classes never share a colour.
    const project = ctx.requireProject()
    const others = project.store.classes.list()
    const id = project.store.classes.ensure(name, freshClassColor(others.map((c) => c.color)))
    // A deleted class made again comes back with its old colour, which another class may have taken since.
    const own = project.store.classes.list().find((c) => c.id === id)?.color
    if (own && others.some((c) => c.id !== id && c.color?.toLowerCase() === own.toLowerCase())) project.store.classes.setColor(id, freshClassColor(others.map((c) => c.color)))
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
