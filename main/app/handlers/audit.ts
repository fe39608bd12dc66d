/** Spot-checks of pseudo-labels: draw a sample to verify, and the precision the verdicts so far give. */
import { imageInfo } from '../dto'
import { auditReport, startAudit } from '../spot-check'
import type { HandlerGroup } from './handler'

export const auditHandlers = {
  'audit.start': async ({ perClass }, ctx) => (await startAudit(ctx.requireProject(), perClass)).map(imageInfo),
  'audit.report': (_input, ctx) => auditReport(ctx.requireProject()),
} satisfies HandlerGroup
