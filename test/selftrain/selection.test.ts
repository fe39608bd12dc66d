import { describe, expect, it } from 'vitest'
import { AdaptiveThreshold, Agreement, ClassBalancedTopK, GlobalThreshold } from '../../main/engine/selftrain/selection'

// 6 candidates, 2 classes; class 1 is the one the head is unsure of
const proba = new Float32Array([0.99, 0.01, 0.95, 0.05, 0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6])
const all = Int32Array.from([0, 1, 2, 3, 4, 5])
const base = { proba, classes: 2, candidates: all, round: 1, rounds: 1 }

describe('selection strategies', () => {
  it('global threshold keeps exactly the confident ones, most confident first', () => {
    const s = new GlobalThreshold(0.89).select(base)
    expect(Array.from(s.index)).toEqual([0, 1, 2])
    expect(Array.from(s.label)).toEqual([0, 0, 0])
  })

  it('only candidates are considered', () => {
    const s = new GlobalThreshold(0.5).select({ ...base, candidates: Int32Array.from([1, 4]) })
    expect(Array.from(s.index)).toEqual([1, 4])
  })

  it('adaptive thresholds are lower for the class with less mass, so it is not starved', () => {
    const a = new AdaptiveThreshold(0.1)
    const tau = a.thresholds(base)
    expect(tau[1]!).toBeLessThan(tau[0]!)
    const s = a.select(base)
    expect(Array.from(s.label)).toContain(1)
    expect(new GlobalThreshold(tau[0]!).select(base).label).not.toContain(1)
  })

  it('class-balanced top-k takes the same number per class, growing with the round', () => {
    const s = new ClassBalancedTopK(1).select({ ...base, round: 1, rounds: 3 })
    // quota = floor(1/3 * 6 / 2) = 1 per class
    expect(Array.from(s.index).sort()).toEqual([0, 4])
    const s3 = new ClassBalancedTopK(1).select({ ...base, round: 3, rounds: 3 })
    expect(s3.index.length).toBe(5) // class 0 has 4 predicted, quota 3; class 1 has 2
    expect(s3.label.filter((c) => c === 1).length).toBe(2)
  })

  it('agreement drops candidates where the two views disagree', () => {
    // the graph view disagrees on rows 1 and 5
    const graphProba = new Float32Array([0.9, 0.1, 0.2, 0.8, 0.9, 0.1, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1])
    const s = new Agreement(1).select({ ...base, graphProba })
    expect(Array.from(s.index).sort()).toEqual([0, 2, 3, 4])
    expect(() => new Agreement(1).select(base)).toThrow(/graph/)
  })
})
