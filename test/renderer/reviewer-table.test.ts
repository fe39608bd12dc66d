/** The rounds panel's reviewer tables, rendered to markup: counts per reviewer and kappa per pair. */
import { describe, expect, it } from 'vitest'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { ReviewerTable } from '../../renderer/views/ReviewerTable'

describe('ReviewerTable', () => {
  it("shows each reviewer's decisions and each pair's shared images, agreement and kappa", () => {
    const html = renderToStaticMarkup(
      createElement(ReviewerTable, {
        reviewers: [
          { actor: 'alice', seeds: 2, accepted: 4, rejected: 2, relabelled: 0 },
          { actor: 'bob', seeds: 0, accepted: 3, rejected: 2, relabelled: 1 },
        ],
        agreement: [{ a: 'alice', b: 'bob', shared: 6, agreed: 4, kappa: 0.4 }],
      }),
    )
    expect(html).toContain('<td>alice</td><td>2</td><td>4</td><td>2</td><td>0</td>')
    expect(html).toContain('<td>bob</td><td>0</td><td>3</td><td>2</td><td>1</td>')
    expect(html).toMatch(/alice · bob<\/td><td>6<\/td><td>67%<\/td><td>0\.40<\/td>/)
  })

  it('leaves out the agreement table when no two reviewers judged the same image, and shows a dash for an undefined kappa', () => {
    const alone = renderToStaticMarkup(createElement(ReviewerTable, { reviewers: [{ actor: 'alice', seeds: 1, accepted: 0, rejected: 0, relabelled: 0 }], agreement: [] }))
    expect(alone).not.toContain('agreement-table')
    const same = renderToStaticMarkup(createElement(ReviewerTable, { reviewers: [], agreement: [{ a: 'a', b: 'b', shared: 2, agreed: 2, kappa: null }] }))
    expect(same).toMatch(/<td>100%<\/td><td>–<\/td>/)
  })
})
