/**
 * Training got faster without changing what it computes: trainGroup (folds sharing the baseline's
 * feature rows, identical rows walked once, the optimized forest) gives the same model file, byte
 * for byte, as the training before that work (test/support/train-reference.ts: every fold
 * featurizes every window, the plain reference forest), and scoring gives the same scores and
 * attributions — on one recording (time-block folds), several (recording folds, one with attacks, so
 * the folds' vocabularies and novelty sets differ), repeated windows, and other options.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, scoreSeries, trainGroup, type DetectOptions, type GroupModel, type Series } from '../../src/detect/model.js';
import { modelJson } from '../../src/detect/model-file.js';
import { tempDir } from '../helpers/captures.js';
import { writeWorkload } from '../helpers/detect-workload.js';
import { loadCaptureSeries } from '../helpers/detect-data.js';
import { referenceScores, referenceTrainGroup } from '../support/train-reference.js';

const T = 1_764_400_000_000_000_000n;
const HOUR = 3_600_000_000_000n;
const { dir, cleanup } = tempDir('contxray-train-speed-');
let recordings: Series[][] = [];
type Attack = 'reverse-shell' | 'port-scan' | 'new-syscall';

before(async () => {
  const specs = [
    { startNs: T, seconds: 300, seed: 1 },
    { startNs: T + HOUR, seconds: 200, seed: 2 },
    { startNs: T + 2n * HOUR, seconds: 200, seed: 3, attackWindow: 5, attack: ['reverse-shell', 'port-scan', 'new-syscall'] as Attack[] },
    // new programs, peers and ports but no new syscall: folds with one vocabulary, different novelty
    { startNs: T + 3n * HOUR, seconds: 200, seed: 4, attackWindow: 9, attack: ['reverse-shell'] as Attack[] },
  ];
  for (const [i, o] of specs.entries()) await writeWorkload(join(dir, `r${i}.arrow`), o);
  recordings = await Promise.all(specs.map((_, i) => loadCaptureSeries(join(dir, `r${i}.arrow`))));
});
after(() => cleanup());

const named = (rec: Series[], name: string) => rec.find((s) => s.ref.name === name)!;
const file = (g: GroupModel) => modelJson({ arch: 'x86_64', windowMs: 10_000, by: 'name', options: DEFAULT_OPTIONS, groups: [g] }, 'test');

function same(series: () => Series[], opts: DetectOptions, label: string): void {
  const s = series();
  const fast = trainGroup(s, 10_000, opts);
  const ref = referenceTrainGroup(s, 10_000, opts);
  assert.equal(file(fast), file(ref), `${label}: model files differ`);
  // score every recording's web windows, the attacked one included
  for (const rec of recordings) {
    const web = named(rec, 'web');
    const a = scoreSeries(fast, web, 10_000, opts).map((x) => ({ score: x.score, attribution: [...x.attribution] }));
    assert.deepEqual(a, referenceScores(ref, web, 10_000, opts), `${label}: scores of ${web.ref.capture}`);
  }
}

test('one recording (time-block folds): the same model file and scores as before', () => {
  same(() => [named(recordings[0]!, 'web')], DEFAULT_OPTIONS, 'web, one recording');
  same(() => [named(recordings[0]!, 'worker')], DEFAULT_OPTIONS, 'worker, one recording');
});

test('four recordings, two attacked (recording folds: differing vocabularies, differing novelty sets): same model file and scores', () => {
  same(() => recordings.map((r) => named(r, 'web')), DEFAULT_OPTIONS, 'web, four recordings');
  same(() => [0, 1, 3].map((i) => named(recordings[i]!, 'web')), DEFAULT_OPTIONS, 'web, recordings 0, 1, 3');
});

test('repeated windows (identical rows, as idle windows are): same model file and scores', () => {
  same(() => {
    const web = named(recordings[0]!, 'web');
    const windows = Array.from({ length: 6 * web.windows.length }, (_, i) => ({ ...web.windows[i % web.windows.length]!, startNs: BigInt(i) * 10_000_000_000n, endNs: BigInt(i + 1) * 10_000_000_000n }));
    return [{ ref: web.ref, windows }];
  }, DEFAULT_OPTIONS, 'web repeated 6×');
});

test('other options (smoothing, both-way extension, time folds, no weighting): same model file and scores', () => {
  const s = () => recordings.map((r) => named(r, 'web'));
  same(s, { ...DEFAULT_OPTIONS, smoothing: 0.5, extension: 'both', tolerance: 0 }, 'smoothing + both');
  same(s, { ...DEFAULT_OPTIONS, validation: 'time', weighting: false, groupShares: false, trees: 30, seed: 9 }, 'time folds, uniform selection');
});
