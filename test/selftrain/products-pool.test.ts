import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { LogisticHead } from '../../main/engine/selftrain/logistic'
import { linearProducts } from '../../main/engine/math/products'
import { closeProductsPool, pooledLinearProducts } from '../../main/engine/math/products-pool'
import { rng } from '../../main/engine/math/linalg'
import { ROOT } from '../shared'
import { mixture } from './synthetic'

const cores = availableParallelism()

afterAll(() => closeProductsPool())

describe('products on the pool', () => {
  it('split products equal the one-thread products', () => {
    const { X } = mixture({ classes: 10, perClass: 150, dim: 300, spread: 1, seed: 4 })
    const k = 10
    const r = rng(9)
    const params = Float64Array.from({ length: k * X.cols + k }, () => r() - 0.5)
    const R = Float64Array.from({ length: X.rows * k }, () => r() - 0.5)
    const one = linearProducts(X, k)
    const Z1 = new Float64Array(X.rows * k)
    const G1 = new Float64Array(k * X.cols)
    one.forward(params, Z1)
    one.backward(R, G1)
    const pool = pooledLinearProducts(X, k, { threads: 2 })
    expect(pool.threads).toBe(cores > 1 ? 2 : 1)
    const Z2 = new Float64Array(X.rows * k)
    const G2 = new Float64Array(k * X.cols)
    // twice: the helper answers more than its first command
    for (let rep = 0; rep < 2; rep++) {
      pool.forward(params, Z2)
      pool.backward(R, G2)
    }
    pool.close()
    // each entry is the same sum in the same order on whichever thread computes it
    expect(Array.from(Z2)).toEqual(Array.from(Z1))
    expect(Array.from(G2)).toEqual(Array.from(G1))
  })

  it('a logistic fit on two threads agrees with one thread (to 1e-5; in fact exactly)', () => {
    // overlapping classes, so the optimum is interior and the fit takes many steps
    const { X, y } = mixture({ classes: 10, perClass: 200, dim: 256, spread: 3, seed: 2 })
    const fit = (threads: number) => new LogisticHead(10, { C: 10, threads }).fit(X, y)
    const one = fit(1)
    const two = fit(2)
    expect(one.iterations).toBeGreaterThan(20)
    let maxW = 0
    for (let i = 0; i < one.W.length; i++) maxW = Math.max(maxW, Math.abs(one.W[i]! - two.W[i]!))
    for (let c = 0; c < 10; c++) maxW = Math.max(maxW, Math.abs(one.b[c]! - two.b[c]!))
    expect(maxW).toBeLessThan(1e-5)
    // the same sums in the same order on either thread: the same iterates
    expect(two.iterations).toBe(one.iterations)
    expect(Array.from(two.W)).toEqual(Array.from(one.W))
    const p1 = one.predictProba(X)
    const p2 = two.predictProba(X)
    let maxP = 0
    for (let i = 0; i < p1.length; i++) maxP = Math.max(maxP, Math.abs(p1[i]! - p2[i]!))
    expect(maxP).toBeLessThan(1e-5)
  }, 120_000)

  it('leaves no thread behind: a process whose round ran the pool inside a worker exits by itself', async () => {
    // The round worker fits a head big enough for the pool (1,000 x 512 x 10); the pool's helper
    // is the round worker's child. The script ends without closing anything: if a helper kept the
    // process alive, it would not exit.
    // a file, not -e: a module given with -e makes the workers' eval'd boot code a module too
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pls-pool-')), 'round.mts')
    const from = (p: string) => JSON.stringify(pathToFileURL(path.join(ROOT, p)).href)
    writeFileSync(file, `
      import { runRoundInWorker } from ${from('main/engine/selftrain/in-worker.ts')}
      import { LogisticHead } from ${from('main/engine/selftrain/logistic.ts')}
      import { poolThreads } from ${from('main/engine/math/products-pool.ts')}
      import { mixture } from ${from('test/selftrain/synthetic.ts')}
      const { X, y } = mixture({ classes: 10, perClass: 200, dim: 512, spread: 3, seed: 2 })
      const human = { index: Int32Array.from({ length: 1000 }, (_, i) => i), label: y.slice(0, 1000) }
      const res = await runRoundInWorker({ X, classes: 10, human }, { round: 1, rounds: 1, folds: 0 })
      new LogisticHead(10, { C: 10 }).fit(X, y)
      console.log(JSON.stringify({ proposals: res.proposals.index.length, threads: poolThreads() }))
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (err += b.toString()))
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve(null)
      }, 100_000)
      child.on('exit', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    expect(code, err.slice(-2000)).toBe(0)
    const last = JSON.parse(out.trim().split('\n').pop()!) as { proposals: number; threads: number }
    expect(last.proposals).toBeGreaterThan(0)
    expect(last.threads).toBe(Math.min(4, cores))
  }, 120_000)
})
