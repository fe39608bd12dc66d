/** The class picker's filter: which classes typed letters mean, best first. */
import { describe, expect, it } from 'vitest'
import { rankClasses } from '../../renderer/class-filter'

// Fashion-MNIST's ten, in their usual order: 'ankle boot' is the tenth, past the digit keys.
const FASHION = ['t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'].map((name, id) => ({ id, name }))
const names = (query: string, items = FASHION) => rankClasses(items, query).map((m) => m.item.name)

describe('rankClasses', () => {
  it('lists every class in the list order, with its place, for an empty or blank query', () => {
    expect(names('')).toEqual(FASHION.map((c) => c.name))
    expect(names('   ')).toEqual(FASHION.map((c) => c.name))
    expect(rankClasses(FASHION, '').map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('ranks the whole name, then a prefix, then the start of a word, then anywhere, then gapped', () => {
    const items = ['shirts', 'overshirt', 'shirt', 't-shirt', 'shiny tag'].map((name, id) => ({ id, name }))
    // 'shirt' exact; 'shirts' prefix; 't-shirt' a word; 'overshirt' inside; 'shiny tag' does not hold it.
    expect(names('shirt', items)).toEqual(['shirt', 'shirts', 't-shirt', 'overshirt'])
    expect(names('shi', items)).toEqual(['shirts', 'shirt', 'shiny tag', 't-shirt', 'overshirt'])
    // Only gapped matches: the four with s, h and t within five letters, in list order, then 'shiny tag' (seven).
    expect(names('sht', items)).toEqual(['shirts', 'overshirt', 'shirt', 't-shirt', 'shiny tag'])
  })

  it('finds a class by a word inside its name, and ignores case and surrounding spaces', () => {
    expect(names('boot')).toEqual(['ankle boot'])
    expect(names('  BOOT ')).toEqual(['ankle boot'])
    expect(names('top')).toEqual(['t-shirt_top'])
    // 'sh': 'shirt' starts with it; 't-shirt_top' has it at a word; 'pullover' and others do not hold it.
    expect(names('sh')).toEqual(['shirt', 't-shirt_top'])
  })

  it('keeps the list order within a tier, so a class keeps its place as letters are typed', () => {
    expect(names('s')).toEqual(['sandal', 'shirt', 'sneaker', 't-shirt_top', 'trouser', 'dress'])
  })

  it('prefers the tighter of two gapped matches', () => {
    const items = ['a long road to b', 'ab cd', 'axxb'].map((name, id) => ({ id, name }))
    expect(names('a b', items)).toEqual(['ab cd', 'axxb', 'a long road to b'])
  })

  it('marks the matched letters for highlighting', () => {
    const [boot] = rankClasses(FASHION, 'boot')
    expect(boot?.index).toBe(9)
    expect(boot?.marks).toEqual([6, 7, 8, 9])
    const [gapped] = rankClasses(FASHION, 'abt')
    expect(gapped?.item.name).toBe('ankle boot')
    expect(gapped?.marks).toEqual([0, 6, 9])
  })

  it('returns nothing when no name holds the letters in order', () => {
    expect(names('zz')).toEqual([])
    expect(names('boots')).toEqual([])
  })

  it('stays fast with hundreds of classes', () => {
    const many = Array.from({ length: 500 }, (_, id) => ({ id, name: `species ${id} ${id % 7 === 0 ? 'beetle' : 'moth'}` }))
    const t0 = performance.now()
    for (let k = 0; k < 100; k++) rankClasses(many, k % 2 ? 'beetle' : 'sp 4')
    const perKeystroke = (performance.now() - t0) / 100
    expect(rankClasses(many, 'beetle')).toHaveLength(72)
    // A keystroke's worth of filtering must leave the frame to React: well under 16 ms.
    expect(perKeystroke).toBeLessThan(5)
  })
})
