import { describe, expect, it } from 'vitest'
import { auditPrecision, auditSample, wilson } from '../../main/engine/selftrain/audit'
import { findLabelIssues } from '../../main/engine/selftrain/issues'

describe('Wilson interval', () => {
  it('matches published values', () => {
    // 8 of 10: 0.4902 .. 0.9433; 0 of 10: 0 .. 0.2775; 10 of 10: 0.7225 .. 1; 50 of 100: 0.4038 .. 0.5962
    const a = wilson(8, 10)
    expect(a.low).toBeCloseTo(0.4902, 4)
    expect(a.high).toBeCloseTo(0.9433, 4)
    expect(wilson(0, 10).low).toBe(0)
    expect(wilson(0, 10).high).toBeCloseTo(0.2775, 4)
    expect(wilson(10, 10).low).toBeCloseTo(0.7225, 4)
    expect(wilson(10, 10).high).toBeCloseTo(1, 10)
    expect(wilson(50, 100).low).toBeCloseTo(0.4038, 4)
    expect(wilson(50, 100).high).toBeCloseTo(0.5962, 4)
  })
})

describe('audit sample', () => {
  it('draws up to the quota from every class, at random but repeatably', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : i < 97 ? 1 : 2))
    const s = auditSample(labels, 3, 10, 1)
    const per = [0, 0, 0]
    for (const j of s) per[labels[j]!]!++
    expect(per).toEqual([10, 10, 3])
    expect(Array.from(auditSample(labels, 3, 10, 1))).toEqual(Array.from(s))
    expect(Array.from(auditSample(labels, 3, 10, 2))).not.toEqual(Array.from(s))
    expect(new Set(s).size).toBe(s.length)
  })

  it('precision per class with intervals', () => {
    const d = [
      ...Array.from({ length: 8 }, () => ({ label: 0, correct: true })),
      ...Array.from({ length: 2 }, () => ({ label: 0, correct: false })),
      { label: 1, correct: true },
    ]
    const p = auditPrecision(d, 3)
    expect(p[0]!.estimate).toBeCloseTo(0.8)
    expect(p[0]!.low).toBeCloseTo(0.4902, 4)
    expect(p[1]!.checked).toBe(1)
    expect(p[2]!.checked).toBe(0)
  })
})

describe('label issues (confident learning)', () => {
  it('ranks flipped labels first', () => {
    // out-of-sample probabilities say rows 3 and 7 belong to the other class
    const k = 2
    const labels = new Int32Array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    const p0 = [0.9, 0.8, 0.85, 0.1, 0.7, 0.2, 0.1, 0.75, 0.3, 0.15]
    const proba = new Float32Array(p0.flatMap((v) => [v, 1 - v]))
    const issues = findLabelIssues(labels, proba, k, { rule: 'confident' })
    expect(issues.map((i) => i.row)).toEqual([3, 7])
    expect(issues[0]!.suggested).toBe(1)
    expect(issues[1]!.suggested).toBe(0)
  })

  it("off-class rule: a flip to a random class is flagged, a natural confusion that keeps its class's probability is not", () => {
    // three classes; rows 0-3 labelled 0, 4-7 labelled 1, 8-11 labelled 2
    const k = 3
    const labels = new Int32Array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    const rows = [
      [0.9, 0.05, 0.05], [0.8, 0.15, 0.05], [0.85, 0.1, 0.05],
      [0.02, 0.03, 0.95], // row 3: labelled 0, the head gives 0 next to nothing: a flip
      [0.1, 0.85, 0.05], [0.15, 0.8, 0.05], [0.05, 0.9, 0.05],
      [0.55, 0.4, 0.05], // row 7: labelled 1, the head prefers 0 but keeps 1 well above its off-class level: a confusion
      [0.05, 0.05, 0.9], [0.1, 0.05, 0.85], [0.05, 0.1, 0.85], [0.05, 0.15, 0.8],
    ]
    const proba = new Float32Array(rows.flat())
    const issues = findLabelIssues(labels, proba, k)
    expect(issues.map((i) => i.row)).toEqual([3])
    expect(issues[0]!.suggested).toBe(2)
    // nearer the in-class level, the line lets the confusion through too
    expect(findLabelIssues(labels, proba, k, { inClassShare: 0.9 }).map((i) => i.row)).toEqual([3, 7])
  })
})
