/**
 * Worker-thread entry of the products pool (products-pool.ts): holds its share of a fit's X in
 * its own SIMD memory and computes its share of the products (rows of Z, columns of G) on
 * command. Messages:
 *   in: { type: 'control', ctl } once (the control words), then { type: 'fit', ... } per fit.
 * Within a fit it does not return to its event loop: it waits on the control words for the next
 * command (forward, backward, end) and answers each by storing its number in `done`.
 */
import { parentPort } from 'node:worker_threads'
import { matrix } from './linalg'
import { linearProducts, type LinearProducts } from './products'
import { CMD, CTL, type ShareMessage } from './products-pool'
import { simdKernel } from './simd'

let ctl: Int32Array | null = null

function serve(m: ShareMessage, ctl: Int32Array): void {
  let products: LinearProducts | null = null
  const params = new Float64Array(m.params)
  const Z = new Float64Array(m.Z)
  const R = new Float64Array(m.R)
  const G = new Float64Array(m.G)
  try {
    products = linearProducts(matrix(m.n, m.d, new Float32Array(m.X)), m.k, m.share)
  } catch {
    // answered below: every command of this fit reports the failure
  }
  let handled = m.seq
  for (;;) {
    Atomics.wait(ctl, CTL.seq, handled)
    const seq = Atomics.load(ctl, CTL.seq)
    const cmd = Atomics.load(ctl, CTL.cmd)
    try {
      if (!products) throw new Error('no products')
      if (cmd === CMD.forward) products.forward(params, Z)
      else if (cmd === CMD.backward) products.backward(R, G)
    } catch {
      Atomics.store(ctl, CTL.failed, 1)
    }
    handled = seq
    Atomics.store(ctl, CTL.done, seq)
    Atomics.notify(ctl, CTL.done)
    if (cmd === CMD.end) return
  }
}

parentPort?.on('message', (m: { type: 'control'; ctl: SharedArrayBuffer } | ShareMessage) => {
  if (m.type === 'control') {
    ctl = new Int32Array(m.ctl)
    // compiled before saying ready, so the first fit does not wait for it
    Atomics.store(ctl, CTL.ready, simdKernel() ? 1 : 2)
    Atomics.notify(ctl, CTL.ready)
    return
  }
  if (ctl) serve(m, ctl)
})
