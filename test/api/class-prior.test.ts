import { describe, expect, it } from 'vitest'
import { keptClassPrior } from '../../main/app/jobs/round-job'

describe("a round's running class prior, kept by class id", () => {
  it('comes back for the classes of today: added ones at an even share, deleted ones dropped, re-normalised', () => {
    const summary = { proposals: 3, classPrior: { 4: 0.6, 7: 0.3, 9: 0.1 } }
    expect(Array.from(keptClassPrior(summary, [{ id: 4 }, { id: 7 }, { id: 9 }])!)).toEqual([expect.closeTo(0.6, 9), expect.closeTo(0.3, 9), expect.closeTo(0.1, 9)])
    // class 9 deleted, class 12 added (an even share of 1/3 before re-normalising)
    const now = keptClassPrior(summary, [{ id: 4 }, { id: 7 }, { id: 12 }])!
    expect(Array.from(now)).toEqual([0.6, 0.3, 1 / 3].map((v) => expect.closeTo(v / (0.9 + 1 / 3), 9)))
    // rounds kept before the prior was: none
    expect(keptClassPrior({ proposals: 3 }, [{ id: 4 }])).toBeUndefined()
    expect(keptClassPrior(null, [{ id: 4 }])).toBeUndefined()
  })
})
