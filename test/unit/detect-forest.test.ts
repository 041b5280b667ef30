/**
 * The isolation forest and the detector's parts on synthetic feature data with planted anomalies,
 * deterministic with the seed: c(n), score range, AUC on clustered anomalies, reproducibility,
 * range extension, entropy weights, the model file round trip and its checks, escaping of reasons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolationForest, averagePathLength, matrix } from '../../src/detect/forest.js';
import { auc, spearman } from '../../src/detect/metrics.js';
import { entropyWeights } from '../../src/detect/weights.js';
import { show } from '../../src/detect/explain.js';
import { clustered } from '../helpers/detect-data.js';

test('c(n) = 2H(n−1) − 2(n−1)/n with c(2) = 1 and c(≤1) = 0 (sklearn values)', () => {
  assert.equal(averagePathLength(0), 0);
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  // sklearn.ensemble._iforest._average_path_length([3, 256, 10000])
  assert.ok(Math.abs(averagePathLength(3) - 1.207392357589623) < 1e-9);
  assert.ok(Math.abs(averagePathLength(256) - 10.244770920119917) < 1e-9, String(averagePathLength(256)));
  assert.ok(Math.abs(averagePathLength(10000) - 17.575112063754766) < 1e-9, String(averagePathLength(10000)));
});

test('plain forest separates clustered anomalies (AUC ≥ 0.95), scores in (0, 1)', () => {
  const { X, labels } = clustered();
  const forest = IsolationForest.fit(X, { seed: 3 });
  const scores = forest.score(X);
  for (const s of scores) assert.ok(s > 0 && s < 1, String(s));
  const a = auc(scores, labels);
  assert.ok(a >= 0.95, `AUC ${a}`);
});

test('each tree keeps ψ = min(256, n) rows and depth ≤ ceil(log2 ψ)', () => {
  const { X } = clustered({ normal: 600, anomalies: 0 });
  const a = IsolationForest.fit(X, { seed: 1, trees: 10 }).arrays();
  assert.equal(a.psi, 256);
  for (let t = 0; t < a.trees; t++) assert.equal(a.size[a.roots[t]!], 256);
  // node sizes add up: every internal node's rows go to its two children
  for (let i = 0; i < a.feature.length; i++) if (a.feature[i]! >= 0) assert.equal(a.size[a.left[i]!]! + a.size[a.right[i]!]!, a.size[i]);
  const small = IsolationForest.fit(matrix([[1], [2], [3]]), { seed: 1, trees: 2 }).arrays();
  assert.equal(small.psi, 3);
});

test('same seed → the same scores; another seed → different ones', () => {
  const { X } = clustered({ normal: 300, anomalies: 10 });
  const a = IsolationForest.fit(X, { seed: 11 }).score(X);
  const b = IsolationForest.fit(X, { seed: 11 }).score(X);
  const c = IsolationForest.fit(X, { seed: 12 }).score(X);
  assert.deepEqual([...a], [...b]);
  assert.notDeepEqual([...a], [...c]);
  assert.ok(spearman(a, c) > 0.9, 'seeds differ, ranking agrees');
});

test('range extension: a value the baseline never had (constant feature) raises the score; inliers unchanged', () => {
  const { X } = clustered({ normal: 400, anomalies: 0, d: 4 });
  const rows: number[][] = [];
  for (let i = 0; i < X.n; i++) rows.push([...X.data.subarray(i * 4, i * 4 + 4), 0]); // feature 4: always 0
  const train = matrix(rows, 5);
  const forest = IsolationForest.fit(train, { seed: 5 });
  const probe = matrix([[0, 0, 0, 0, 0], [0, 0, 0, 0, 3]], 5);
  const plain = forest.score(probe, 'none');
  const ext = forest.score(probe, 'upper', 0.1);
  assert.equal(plain[0], plain[1], 'a plain forest cannot see a feature constant in training');
  assert.equal(ext[0], plain[0], 'inside every range: the plain path length');
  assert.ok(ext[1]! > plain[1]! + 0.1, `extended ${ext[1]} vs plain ${plain[1]}`);
  const credit = forest.attribute(probe, 1, 'upper', 0.1);
  assert.equal(credit.indexOf(Math.max(...credit)), 4, 'attribution names the new feature');
});

test('entropy weights: sum to 1, constant and bursty columns weigh more than steady ones', () => {
  const rows = Array.from({ length: 100 }, (_, i) => [5 + (i % 7), i === 50 ? 9 : 0, 1]);
  const w = entropyWeights(matrix(rows, 3));
  assert.ok(Math.abs(w.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  assert.ok(w[1]! > w[0]! && w[2]! > w[0]!, [...w].join(' '));
});

test('reason strings: controls and bidi escaped, length bounded', () => {
  assert.equal(show('nc\x1b[31m\u202egnp.exe'), 'nc\\x1b[31m\\u202egnp.exe');
  assert.equal(show('a\nb\tc'), 'a\\x0ab\\x09c');
  const long = show('x'.repeat(1000));
  assert.equal([...long].length, 120);
  assert.ok(long.endsWith('…'));
});
