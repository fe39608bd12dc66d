/** Cohen's kappa against worked examples with known answers. */
import { describe, expect, it } from 'vitest'
import { cohenKappa } from '../../main/engine/selftrain/audit'

/** Two raters' yes/no answers from a 2x2 table: both yes, a yes b no, a no b yes, both no. */
function fromTable(yy: number, yn: number, ny: number, nn: number): [string[], string[]] {
  const a: string[] = []
  const b: string[] = []
  const add = (n: number, x: string, y: string) => {
    for (let i = 0; i < n; i++) a.push(x), b.push(y)
  }
  add(yy, 'yes', 'yes')
  add(yn, 'yes', 'no')
  add(ny, 'no', 'yes')
  add(nn, 'no', 'no')
  return [a, b]
}

describe("Cohen's kappa", () => {
  it('matches the textbook 2x2 example: 50 proposals, p_o 0.7, p_e 0.5, kappa 0.4', () => {
    // Wikipedia, "Cohen's kappa", simple example: 20 both yes, 5 a-yes/b-no, 10 a-no/b-yes, 15 both no.
    const k = cohenKappa(...fromTable(20, 5, 10, 15))
    expect(k.shared).toBe(50)
    expect(k.agreed).toBe(35)
    expect(k.kappa).toBeCloseTo(0.4, 12)
  })

  it('tells apart two tables with the same observed agreement (0.6) but different chance agreement', () => {
    // Same source: p_e 0.54 gives 0.1304, p_e 0.46 gives 0.2593.
    expect(cohenKappa(...fromTable(45, 15, 25, 15)).kappa).toBeCloseTo(0.06 / 0.46, 12)
    expect(cohenKappa(...fromTable(25, 35, 5, 35)).kappa).toBeCloseTo(0.14 / 0.54, 12)
  })

  it('is 1 for perfect agreement, 0 at chance, negative below it, over any categories', () => {
    expect(cohenKappa([1, 2, 3, 1], [1, 2, 3, 1]).kappa).toBe(1)
    // Independent raters: each answers yes half the time, agreement exactly at chance.
    expect(cohenKappa(...fromTable(10, 10, 10, 10)).kappa).toBeCloseTo(0, 12)
    expect(cohenKappa(['a', 'b'], ['b', 'a']).kappa).toBe(-1)
  })

  it('has no kappa where chance agreement is certain or nothing is shared, and refuses unpaired ratings', () => {
    expect(cohenKappa(['cat', 'cat'], ['cat', 'cat'])).toEqual({ shared: 2, agreed: 2, kappa: null })
    expect(cohenKappa([], [])).toEqual({ shared: 0, agreed: 0, kappa: null })
    expect(() => cohenKappa([1], [1, 2])).toThrow(/one from each rater/)
  })
})
