/**
 * The training-speed work changed how the forest is grown and walked, not what it computes: from
 * the same seed the optimized forest (src/detect/forest.ts) grows exactly the trees of the plain
 * reference (test/support/forest-reference.ts, the forest before that work) and gives exactly its
 * scores and attributions — bit for bit, on data with constant columns, ties, weights with zeros,
 * with and without the range extension.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolationForest, matrix, type Extension, type ForestArrays, type Matrix } from '../../src/detect/forest.js';
import { mulberry32 } from '../../src/detect/prng.js';
import { entropyWeights, groupShares } from '../../src/detect/weights.js';
import { ReferenceForest } from '../support/forest-reference.js';
import { clustered, gaussian } from '../helpers/detect-data.js';

/** Like window features: counts with ties, never-moving (novelty-like) columns, a rare burst column. */
function featureLike(n: number, seed: number): Matrix {
  const random = mulberry32(seed);
  const g = gaussian(random);
  const rows = Array.from({ length: n }, (_, i) => [
    Math.round(5 + g()), Math.log1p(Math.round(20 + 3 * g())), 0, 0, 0.25, // 2–4: constant
    i % 37 === 0 ? 4 + random() : 0, // rare burst
    random() < 0.5 ? 1 : 2, // two values only
    ...Array.from({ length: 12 }, (_, k) => (k < 6 ? random() : Math.round(3 * random()) / 3)),
  ]);
  return matrix(rows, rows[0]!.length);
}

/** Rows repeated `times` (idle windows are all alike): nodes of identical rows, every feature constant. */
function repeated(X: Matrix, times: number): Matrix {
  const data = new Float64Array(X.n * X.d * times);
  for (let k = 0; k < times; k++) data.set(X.data, k * X.n * X.d);
  return { n: X.n * times, d: X.d, data };
}

/** Appends a column of 0 and −0 (a constant the box must keep bit for bit), one with NaNs, one all NaN. */
function withOddColumns(X: Matrix): Matrix {
  const rows = Array.from({ length: X.n }, (_, i) => [...X.data.subarray(i * X.d, (i + 1) * X.d), i % 3 === 0 ? -0 : 0, i % 5 === 0 ? NaN : i % 7, NaN]);
  return matrix(rows, X.d + 3);
}

const KEYS = ['roots', 'feature', 'split', 'left', 'right', 'size', 'lo', 'hi', 'boxLo', 'boxHi', 'select'] as const;

function sameTrees(a: ForestArrays, b: ForestArrays, what: string): void {
  assert.deepEqual([a.d, a.psi, a.trees], [b.d, b.psi, b.trees], what);
  // deepEqual tells −0 from 0 and takes NaN as equal to NaN: the comparison the arrays need
  for (const k of KEYS) assert.deepEqual([...a[k]], [...b[k]], `${what}: ${k}`);
}

/** Training rows, plus probes beyond every range and below it (the range extension's cases). */
function probes(X: Matrix): Matrix {
  const rows: number[][] = [];
  for (let i = 0; i < Math.min(X.n, 200); i++) rows.push([...X.data.subarray(i * X.d, (i + 1) * X.d)]);
  const first = rows[0]!;
  rows.push(first.map((v) => v + 10), first.map((v) => v - 10), first.map((v, f) => (f % 3 === 0 ? v * 4 + 1 : v)));
  return matrix(rows, X.d);
}

const cases: Array<[string, Matrix, (X: Matrix) => Float64Array | null]> = [
  ['clustered d=6, n=1050 (ψ=256)', clustered().X, () => null],
  ['clustered d=20, n=150 (ψ=n)', clustered({ d: 20, normal: 140, anomalies: 10 }).X, () => null],
  ['feature-like with constant columns, entropy weights', featureLike(360, 3), (X) => entropyWeights(X)],
  ['feature-like, group shares with a zero-weight group', featureLike(300, 4), (X) => groupShares(entropyWeights(X), Array.from({ length: X.d }, (_, f) => (f < 2 ? 0 : f < 5 ? 1 : 2))).map((w, f) => (f < 2 ? 0 : w))],
  ['duplicate rows (60 distinct × 6), entropy weights', repeated(featureLike(60, 5), 6), (X) => entropyWeights(X)],
  ['signed zeros, a NaN column, an all-NaN column', withOddColumns(featureLike(200, 8)), () => null],
  ['duplicate rows, a weight below 1e-9 (the exact slow path)', repeated(featureLike(40, 6), 8), (X) => entropyWeights(X).map((w, f) => (f === 7 ? 1e-12 : w))],
];

for (const [label, X, weights] of cases) {
  test(`optimized forest = reference forest, bit for bit: ${label}`, () => {
    for (const seed of [1, 2, 99]) {
      const opts = { seed, weights: weights(X), trees: 40 };
      const fast = IsolationForest.fit(X, opts);
      const ref = ReferenceForest.fit(X, opts);
      sameTrees(fast.arrays(), ref.arrays(), `${label}, seed ${seed}`);
      const P = probes(X);
      for (const [ext, tol] of [['none', 0], ['upper', 0.1], ['both', 0]] as Array<[Extension, number]>) {
        assert.deepEqual([...fast.score(P, ext, tol)], [...ref.score(P, ext, tol)], `${label} seed ${seed}: scores, extension ${ext}`);
        for (const row of [0, P.n - 3, P.n - 2, P.n - 1]) {
          const a = fast.scoreAndAttribute(P, row, ext, tol);
          const b = ref.scoreAndAttribute(P, row, ext, tol);
          assert.equal(a.score, b.score, `${label} seed ${seed} row ${row} ${ext}: score`);
          assert.deepEqual([...a.attribution], [...b.attribution], `${label} seed ${seed} row ${row} ${ext}: attribution`);
        }
      }
    }
  });
}

test('mulberry32.skip(k) leaves the generator where k calls would', () => {
  for (const k of [0, 1, 7, 40, 1000, 123456]) {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < k; i++) a();
    b.skip(k);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()], `skip ${k}`);
  }
});
