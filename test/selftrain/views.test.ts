import { describe, expect, it } from 'vitest'
import { matrix, type Matrix } from '../../main/engine/math/linalg'
import { runRound } from '../../main/engine/selftrain/round'
import { meanOfViews, studentSet } from '../../main/engine/selftrain/views'

/** Unit vectors at these angles (degrees), one row each. */
const at = (...deg: number[]): Matrix => matrix(deg.length, 2, Float32Array.from(deg.flatMap((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)])))

describe('noisy student on views', () => {
  // three images of class 0 near 0 degrees, three of class 1 near 90, and a probe at 60: on the
  // clean rows alone the boundary is near 45 and the probe is class 1. The class-0 images' views
  // lie at 70-75 degrees (their crops look like that), which moves the boundary past the probe.
  const X = at(0, 5, 10, 85, 90, 95, 60)
  const views = [at(70, 72, 75, 85, 90, 95, 60), at(71, 73, 74, 86, 89, 94, 60)]
  const human = { index: Int32Array.from([0, 1, 2, 3, 4, 5]), label: Int32Array.from([0, 0, 0, 1, 1, 1]) }
  const base = { folds: 0, strategy: 'balanced' as const, C: 100 }

  it('trains the student on the view rows: they move the decision', async () => {
    const clean = await runRound({ X, classes: 2, human, views }, { ...base, studentViews: false })
    const student = await runRound({ X, classes: 2, human, views }, { ...base, studentViews: true })
    expect(clean.predicted[6]).toBe(1)
    expect(student.predicted[6]).toBe(0)
  })

  it('refuses views beside a contrastive projection in the head, and views of another shape', async () => {
    await expect(runRound({ X, classes: 2, human, views }, { ...base, studentViews: true, contrastive: 'head' })).rejects.toThrow(/cannot be combined with augmented views/)
    await expect(runRound({ X, classes: 2, human, views: [at(1, 2, 3)] }, { ...base, studentViews: true })).rejects.toThrow(/a view has 3x2 features for 7x2 images/)
  })

  it('builds one row per image and view with its label, the weight shared among them', () => {
    const idx = Int32Array.from([0, 3])
    const set = studentSet(X, views, idx, Int32Array.from([0, 1]), Float32Array.from([1, 0.5]), 0, 0)
    expect(set.X.rows).toBe(6)
    expect(Array.from(set.targets as Int32Array)).toEqual([0, 1, 0, 1, 0, 1])
    expect(Array.from(set.X.data.subarray(2 * 2, 3 * 2))).toEqual(Array.from(views[0]!.data.subarray(0, 2)))
    expect(set.weight.reduce((a, b) => a + b, 0)).toBeCloseTo(1.5, 6)
    // dropout zeroes some inputs and scales the rest, the same for the same seed
    const noisy = studentSet(X, views, idx, Int32Array.from([0, 1]), Float32Array.from([1, 1]), 0.5, 3)
    expect(noisy.X.data).toEqual(studentSet(X, views, idx, Int32Array.from([0, 1]), Float32Array.from([1, 1]), 0.5, 3).X.data)
    expect(Array.from(noisy.X.data).some((v) => v === 0)).toBe(true)
    expect(Array.from(noisy.X.data).some((v, j) => v !== 0 && Math.abs(v - 2 * set.X.data[j]!) < 1e-6)).toBe(true)
  })

  it('scores on the mean of the clean and view features with test-time averaging', async () => {
    const mean = meanOfViews(X, views)
    expect(Math.hypot(mean.data[0]!, mean.data[1]!)).toBeCloseTo(1, 5)
    // image 0 at 0 degrees, its views at 70-71: the mean points between them
    expect((Math.atan2(mean.data[1]!, mean.data[0]!) * 180) / Math.PI).toBeGreaterThan(30)
    const tta = await runRound({ X, classes: 2, human, views }, { ...base, testTimeViews: true })
    const plain = await runRound({ X, classes: 2, human, views }, { ...base, testTimeViews: false })
    // the same head, scored on other inputs: image 0's confidence in class 0 drops toward its views
    expect(tta.proba[0]!).toBeLessThan(plain.proba[0]!)
  })
})
