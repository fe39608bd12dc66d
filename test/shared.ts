import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The workplace's shared folder (datasets); never committed into the project. */
export const SHARED = process.env.STUDIO_SHARED_DIR ?? path.resolve(ROOT, '../shared')

/** The default teacher, shipped in models/ (the studio runs on a fresh machine without ../shared). */
export const TEST_TEACHER = path.join(ROOT, 'models/mobilenetv2-12-int8.onnx')
export const dataset = (name: string) => path.join(SHARED, 'datasets', name)
