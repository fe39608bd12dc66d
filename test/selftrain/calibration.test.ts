import { describe, expect, it } from 'vitest'
import { expectedCalibrationError, fitTemperature, softmaxWithTemperature } from '../../main/engine/selftrain/calibration'
import { gaussian, rng } from '../../main/engine/math/linalg'

describe('temperature scaling', () => {
  // Labels drawn from softmax(z / 3) while the head reports softmax(z): over-confident by T = 3.
  const n = 4000
  const k = 5
  const r = rng(11)
  const logits = new Float64Array(n * k)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) logits[i * k + c] = 4 * gaussian(r)
    const p = softmaxWithTemperature(logits.subarray(i * k, (i + 1) * k), 1, k, 3)
    let u = r()
    let c = 0
    while (c < k - 1 && u > p[c]!) u -= p[c++]!
    labels[i] = c
  }

  it('recovers the temperature that generated the labels', () => {
    expect(fitTemperature(logits, labels, k)).toBeCloseTo(3, 0)
    expect(Math.abs(fitTemperature(logits, labels, k) - 3)).toBeLessThan(0.3)
  })

  it('reduces the expected calibration error of an over-confident head', () => {
    const before = expectedCalibrationError(softmaxWithTemperature(logits, n, k, 1), labels, k)
    const T = fitTemperature(logits, labels, k)
    const after = expectedCalibrationError(softmaxWithTemperature(logits, n, k, T), labels, k)
    expect(before).toBeGreaterThan(0.1)
    expect(after).toBeLessThan(0.03)
  })

  it('a few held-out labels the head all gets right do not push every confidence to 100%', () => {
    // Six labels, each predicted right with a clear margin: the likelihood alone keeps falling as T -> 0.
    const few = new Float64Array([3, 0, 0, 3, 2.5, 0, 0, 2.5, 4, 0, 0, 4])
    const right = new Int32Array([0, 1, 0, 1, 0, 1])
    const T = fitTemperature(few, right, 2)
    expect(T).toBeGreaterThan(0.3)
    const p = softmaxWithTemperature(few, 6, 2, T)
    expect(Math.max(...p)).toBeLessThan(0.9999)
  })

  it('ECE of a perfectly calibrated toy set is 0 and of a wrong confident one is its confidence', () => {
    // two items at confidence 0.5, one right one wrong: calibrated
    expect(expectedCalibrationError(new Float32Array([0.5, 0.5, 0.5, 0.5]), new Int32Array([0, 1]), 2)).toBeCloseTo(0, 6)
    expect(expectedCalibrationError(new Float32Array([0.9, 0.1]), new Int32Array([1]), 2)).toBeCloseTo(0.9, 6)
  })
})
