/**
 * The embedding map: every image as a point in 2-D, near the images the teacher sees as alike.
 *
 * 1. The head's feature transform (features.ts), fitted on a sample, so the map shows the geometry
 *    rounds train on.
 * 2. PCA to ~50 dimensions (math/pca.ts): neighbours in 50-d are nearly those in 1280-d at 1/25 the cost.
 * 3. A UMAP layout (umap.ts) of up to `landmarks` images drawn at random (uniformly, so dense
 *    regions stay dense).
 * 4. Every other image at the weighted mean of its nearest landmarks: a 100,000-image folder costs
 *    one pass of 100,000 x landmarks x 50 products instead of a layout of 100,000 points.
 *
 * Deterministic for a seed; the coordinates come back scaled into [0, 1] with their aspect kept.
 */
import { applyFeatures, fitFeatures, type FeatureTransform } from '../selftrain/features'
import { kmeansPlusPlus } from '../math/kmeans'
import { knnGraph, similar, type KnnGraph } from '../math/knn'
import { dot, gaussian, l2NormalizeRows, matrix, rng, shuffle, takeRows, type Matrix } from '../math/linalg'
import { fitPca, projectPca, type Pca } from '../math/pca'
import { fuzzyGraph, layoutGraph } from './umap'

export interface MapOptions {
  /** Images laid out by UMAP; the others are placed among their nearest of these. */
  landmarks: number
  /** PCA dimensions the neighbours are found in. */
  components: number
  /** Neighbours per landmark in the UMAP graph. */
  neighbours: number
  /** Landmarks whose positions place each other image. */
  placeNeighbours: number
  /** Rows the PCA is fitted on (a random part of the landmarks). */
  pcaRows: number
  /** UMAP epochs; 0 picks by size (more for small maps, where they are cheap). */
  epochs: number
  seed: number
}

export const MAP_DEFAULTS: MapOptions = { landmarks: 8000, components: 50, neighbours: 15, placeNeighbours: 8, pcaRows: 5000, epochs: 0, seed: 1 }

export type MapStage = 'projecting' | 'finding neighbours' | 'laying out' | 'placing'

/** Progress of one stage; a throw from it (a cancel) stops the build. */
export type MapProgress = (stage: MapStage, done: number, total: number) => void

export interface MapLayout {
  /** n x 2, row i for row i of the input, each coordinate in [0, 1]. */
  coords: Float32Array
  /** The rows laid out by UMAP (the others were placed among them), ascending. */
  landmarks: Int32Array
}

/** Rows are transformed, projected and placed in chunks, so no full-size copy of X is made. */
const CHUNK = 2048

export function buildMap(X: Matrix, options: Partial<MapOptions> = {}, onProgress: MapProgress = () => {}): MapLayout {
  const o = { ...MAP_DEFAULTS, ...options }
  const n = X.rows
  if (n <= 2) return { coords: Float32Array.from({ length: n * 2 }, (_, t) => (t % 2 ? 0.5 : n === 1 ? 0.5 : t === 0 ? 0.25 : 0.75)), landmarks: Int32Array.from({ length: n }, (_, i) => i) }
  const rand = rng(o.seed)

  const landmarks = pickLandmarks(n, o.landmarks, rand)
  const nL = landmarks.length
  onProgress('projecting', 0, n)
  const sample = takeRows(X, landmarks)
  const features = fitFeatures(sample)
  const S = applyFeatures(features, sample)
  const pcaRows = Int32Array.from({ length: nL }, (_, i) => i)
  shuffle(pcaRows, rand)
  const pca = fitPca(takeRows(S, pcaRows.subarray(0, Math.min(nL, o.pcaRows))), o.components, { seed: o.seed })
  const PL = projectPca(pca, S)
  onProgress('projecting', nL, n)

  onProgress('finding neighbours', 0, nL)
  const unitL = l2NormalizeRows(matrix(nL, PL.cols, Float32Array.from(PL.data)))
  const knn = knnGraph(unitL, o.neighbours)
  const graph = fuzzyGraph(knn)
  onProgress('finding neighbours', nL, nL)

  // Start from the first two principal axes (Kobak and Linderman 2021: an informative start keeps
  // the global arrangement), scaled as UMAP scales its spectral start, plus jitter to part twins.
  const init = new Float32Array(nL * 2)
  let maxAbs = 1e-12
  for (let i = 0; i < nL; i++)
    for (let c = 0; c < 2; c++) {
      const v = c < PL.cols ? PL.data[i * PL.cols + c]! : 0
      init[2 * i + c] = v
      maxAbs = Math.max(maxAbs, Math.abs(v))
    }
  for (let t = 0; t < init.length; t++) init[t] = (init[t]! * 10) / maxAbs + 1e-4 * gaussian(rand)
  const epochs = o.epochs > 0 ? o.epochs : nL <= 2000 ? 500 : 250
  const Y = layoutGraph(graph, init, { epochs, seed: o.seed }, (epoch, total) => onProgress('laying out', epoch, total))

  const coords = new Float32Array(n * 2)
  landmarks.forEach((r, i) => {
    coords[2 * r] = Y[2 * i]!
    coords[2 * r + 1] = Y[2 * i + 1]!
  })
  if (nL < n) placeRest(X, landmarks, unitL, knn, Y, features, pca, o.placeNeighbours, coords, onProgress, o.seed)
  scaleToUnit(coords)
  return { coords, landmarks }
}

/** `count` rows drawn at random without replacement (all rows when there are no more), ascending. */
function pickLandmarks(n: number, count: number, rand: () => number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i)
  if (n <= count) return all
  shuffle(all, rand)
  return all.slice(0, count).sort()
}

/** Landmarks each placed row is compared with outright, before walking the landmark graph. */
const PIVOTS = 512

/**
 * Each row that is not a landmark goes to the mean of its nearest landmarks' positions, weighted
 * as UMAP weighs neighbours: exp(-(d - d_nearest) / mean spread), so the nearest dominate.
 * With many landmarks the nearest are found as a graph index finds them (a best-first walk on
 * the landmarks' kNN graph from the best of 512 k-means++ pivots): about 1/10 of the products of
 * comparing each row with every landmark, which at 100,000 images was most of the map's time.
 */
function placeRest(
  X: Matrix,
  landmarks: Int32Array,
  unitL: Matrix,
  knn: KnnGraph,
  Y: Float32Array,
  features: FeatureTransform,
  pca: Pca,
  k: number,
  coords: Float32Array,
  onProgress: MapProgress,
  seed: number,
): void {
  const n = X.rows
  const isLandmark = new Uint8Array(n)
  for (const r of landmarks) isLandmark[r] = 1
  const rest = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !isLandmark[i])
  const kk = Math.min(k, landmarks.length)
  const dist = new Float64Array(kk)
  const walk = landmarks.length > 4 * PIVOTS
  // k-means++ picks (not uniform ones): a small cluster far from the rest gets a pivot of its own,
  // which a walk on a graph with no edges into that cluster could not reach otherwise.
  const pivots = walk ? kmeansPlusPlus(unitL, PIVOTS, seed) : new Int32Array(0)
  const pivotRows = walk ? takeRows(unitL, pivots) : unitL
  for (let c0 = 0; c0 < rest.length; c0 += CHUNK) {
    onProgress('placing', c0, rest.length)
    const rows = rest.subarray(c0, Math.min(rest.length, c0 + CHUNK))
    const P = l2NormalizeRows(projectPca(pca, applyFeatures(features, takeRows(X, rows))))
    const near = similar(pivotRows, P, walk ? 4 : kk)
    if (walk) for (let t = 0; t < near.index.length; t++) near.index[t] = pivots[near.index[t]!]!
    const found = walk ? walkGraph(unitL, knn, P, near.index, 4, kk) : near
    for (let q = 0; q < rows.length; q++) {
      let spread = 0
      for (let t = 0; t < kk; t++) {
        dist[t] = Math.sqrt(Math.max(0, 2 - 2 * found.sim[q * kk + t]!))
        spread += dist[t]! - dist[0]!
      }
      spread = Math.max(spread / kk, 1e-6)
      let x = 0
      let y = 0
      let total = 0
      for (let t = 0; t < kk; t++) {
        const l = found.index[q * kk + t]!
        const w = Math.exp(-(dist[t]! - dist[0]!) / spread)
        x += w * Y[2 * l]!
        y += w * Y[2 * l + 1]!
        total += w
      }
      const r = rows[q]!
      coords[2 * r] = x / total
      coords[2 * r + 1] = y / total
    }
  }
  onProgress('placing', rest.length, rest.length)
}

/**
 * The k most similar rows of `L` for each row of `Q`, by a best-first walk on L's kNN graph from
 * `starts` (s per query): the `ef` best seen so far are kept sorted, and the best one not yet
 * expanded has its graph neighbours compared, until all are expanded (HNSW's search on one
 * layer; a list longer than k is what keeps the walk from stopping in a local optimum).
 */
export function walkGraph(L: Matrix, knn: KnnGraph, Q: Matrix, starts: Int32Array, s: number, k: number, ef = Math.max(k, 32)): { index: Int32Array; sim: Float32Array } {
  const d = L.cols
  const index = new Int32Array(Q.rows * k)
  const sim = new Float32Array(Q.rows * k)
  const listIndex = new Int32Array(ef)
  const listSim = new Float32Array(ef)
  const expanded = new Uint8Array(ef)
  const seen = new Int32Array(L.rows).fill(-1)
  for (let q = 0; q < Q.rows; q++) {
    listIndex.fill(-1)
    listSim.fill(-Infinity)
    expanded.fill(0)
    const consider = (j: number) => {
      if (j < 0 || seen[j] === q) return
      seen[j] = q
      const v = dot(Q.data, q * d, L.data, j * d, d)
      if (v <= listSim[ef - 1]!) return
      let p = ef - 1
      while (p > 0 && listSim[p - 1]! < v) {
        listSim[p] = listSim[p - 1]!
        listIndex[p] = listIndex[p - 1]!
        expanded[p] = expanded[p - 1]!
        p--
      }
      listSim[p] = v
      listIndex[p] = j
      expanded[p] = 0
    }
    for (let t = 0; t < s; t++) consider(starts[q * s + t]!)
    for (;;) {
      let next = -1
      for (let t = 0; t < ef && next < 0; t++) if (listIndex[t]! >= 0 && !expanded[t]) next = t
      if (next < 0) break
      expanded[next] = 1
      const from = listIndex[next]!
      for (let t = 0; t < knn.k; t++) consider(knn.index[from * knn.k + t]!)
    }
    index.set(listIndex.subarray(0, k), q * k)
    sim.set(listSim.subarray(0, k), q * k)
  }
  return { index, sim }
}

/** Scales and centres n x 2 coordinates into [0, 1] x [0, 1], one factor for both axes. */
function scaleToUnit(c: Float32Array): void {
  let x0 = Infinity
  let x1 = -Infinity
  let y0 = Infinity
  let y1 = -Infinity
  for (let t = 0; t < c.length; t += 2) {
    x0 = Math.min(x0, c[t]!)
    x1 = Math.max(x1, c[t]!)
    y0 = Math.min(y0, c[t + 1]!)
    y1 = Math.max(y1, c[t + 1]!)
  }
  const span = Math.max(x1 - x0, y1 - y0, 1e-12)
  const ox = (1 - (x1 - x0) / span) / 2
  const oy = (1 - (y1 - y0) / span) / 2
  for (let t = 0; t < c.length; t += 2) {
    c[t] = ox + (c[t]! - x0) / span
    c[t + 1] = oy + (c[t + 1]! - y0) / span
  }
}
