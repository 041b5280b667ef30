/**
 * Training as it was before the training-speed work (src/detect/model.ts at d282561: every fold
 * featurizes every window, the reference forest, one walk per row), for
 * test/unit/detect-train-speed.test.ts: the optimized trainGroup must give the same model file,
 * byte for byte. Only the orchestration is copied; features, weights and folds are the live ones.
 */
import { matrix, type Matrix } from '../../src/detect/forest.js';
import { COUNT_FEATURES, NOVELTY_FEATURES, RESOURCE_FEATURES, featureNames, featurize, hasResources, mixVocabulary, seenSets, type NoveltyKind, type Seen } from '../../src/detect/features.js';
import { entropyWeights, groupShares, smoothRows } from '../../src/detect/weights.js';
import { foldsOf, windowSeconds, type DetectOptions, type GroupModel, type Series } from '../../src/detect/model.js';
import type { WindowFacts } from '../../src/detect/facts.js';
import { lifecycleMode, thresholds } from '../../src/detect/thresholds.js';
import { ReferenceForest } from './forest-reference.js';

function smoothColumns(d: number): number[] {
  const skip = new Set(NOVELTY_FEATURES.map((_, i) => COUNT_FEATURES.length + RESOURCE_FEATURES.length + i));
  return Array.from({ length: d }, (_, i) => i).filter((i) => !skip.has(i));
}

function rowsOf(windows: WindowFacts[], windowMs: number, vocab: string[], seen: Seen, opts: DetectOptions, resources: boolean): number[][] {
  const rows = windows.map((w) => featurize(w, windowSeconds(windowMs), vocab, seen, resources));
  return smoothRows(rows, smoothColumns(featureNames(vocab).length), opts.smoothing);
}

const setSeen = (sets: Record<NoveltyKind, Set<string>>): Seen => (k, x) => sets[k].has(x);

function featureGroups(d: number): number[] {
  const c = COUNT_FEATURES.length;
  const r = c + RESOURCE_FEATURES.length;
  const n = r + NOVELTY_FEATURES.length;
  return Array.from({ length: d }, (_, f) => (f < c ? 0 : f < r ? 1 : f < n ? 2 : 3));
}

function selectionWeights(X: Matrix, opts: DetectOptions): Float64Array | null {
  const w = opts.weighting ? entropyWeights(X) : opts.groupShares ? new Float64Array(X.d).fill(1) : null;
  return w && opts.groupShares ? groupShares(w, featureGroups(X.d)) : w;
}

function fitOn(series: Series[], keep: (s: number, i: number) => boolean, windowMs: number, opts: DetectOptions, seed: number) {
  const trainWindows = series.flatMap((s, si) => s.windows.filter((_, i) => keep(si, i)));
  const vocab = mixVocabulary(trainWindows);
  const sets = seenSets(trainWindows);
  const features = featureNames(vocab);
  const resources = opts.resources && hasResources(trainWindows);
  const trainRows: number[][] = [];
  const heldRows: number[][] = [];
  series.forEach((s, si) => {
    rowsOf(s.windows, windowMs, vocab, setSeen(sets), opts, resources).forEach((r, i) => (keep(si, i) ? trainRows : heldRows).push(r));
  });
  const X = matrix(trainRows, features.length);
  const forest = ReferenceForest.fit(X, { trees: opts.trees, sampleSize: opts.sampleSize, seed, weights: selectionWeights(X, opts) });
  return { vocab, resources, sets, features, forest, trainRows, heldRows };
}

export function referenceTrainGroup(series: Series[], windowMs: number, opts: DetectOptions): GroupModel {
  const { folds, byRecording, recordings, of: foldOf } = foldsOf(series, opts);
  const heldScores: number[] = [];
  const heldLifecycle: boolean[] = [];
  for (let k = 0; k < folds; k++) {
    const fit = fitOn(series, (si, i) => foldOf(si, i) !== k, windowMs, opts, opts.seed + k + 1);
    if (fit.heldRows.length === 0 || fit.trainRows.length === 0) continue;
    const scores = fit.forest.score(matrix(fit.heldRows, fit.features.length), opts.extension, opts.tolerance);
    heldScores.push(...scores);
    series.forEach((s, si) => s.windows.forEach((w, i) => foldOf(si, i) === k && heldLifecycle.push(w.lifecycle)));
  }
  const fit = fitOn(series, () => true, windowMs, opts, opts.seed);
  const { forest, features, trainRows } = fit;
  const X = matrix(trainRows, features.length);
  const upper = features.map((_, f) => Math.max(...trainRows.map((r) => r[f]!)));
  const inlier = new Float64Array(features.length);
  for (let i = 0; i < X.n; i++) forest.attribute(X, i, opts.extension, opts.tolerance).forEach((v, f) => (inlier[f]! += v / X.n));
  const held = heldScores.length;
  // the threshold rule (src/detect/thresholds.ts) is the live one; the orchestration around it is the old one
  const ref = held > 0 ? heldScores : [...forest.score(X, opts.extension, opts.tolerance)];
  const refLifecycle = held > 0 ? heldLifecycle : series.flatMap((s) => s.windows.map((w) => w.lifecycle));
  const t = thresholds(ref, refLifecycle, opts.margin, byRecording ? 0 : opts.spread, lifecycleMode(opts.lifecycle, byRecording, recordings, held));
  const first = series[0]!.ref;
  return {
    name: first.name,
    image: first.image,
    containers: [...new Set(series.map((s) => s.ref.containerId))],
    vocab: fit.vocab,
    resources: fit.resources,
    features,
    seen: Object.fromEntries(Object.entries(fit.sets).map(([k, v]) => [k, [...v].sort()])) as Record<NoveltyKind, string[]>,
    forest: forest as unknown as GroupModel['forest'],
    upper,
    inlierAttribution: [...inlier],
    threshold: t.threshold,
    lifecycleThreshold: t.lifecycleThreshold,
    thresholdSource: held > 0 ? 'validation' : 'training',
    trainWindows: trainRows.length,
    validationWindows: held,
  };
}

/** Scores and attributions of a series against a group, one walk per window (the old scoreRows). */
export function referenceScores(model: GroupModel, s: Series, windowMs: number, opts: DetectOptions): Array<{ score: number; attribution: number[] }> {
  const sets = Object.fromEntries(Object.entries(model.seen).map(([k, v]) => [k, new Set(v)])) as Record<NoveltyKind, Set<string>>;
  const rows = rowsOf(s.windows, windowMs, model.vocab, setSeen(sets), opts, model.resources);
  if (rows.length === 0) return [];
  const X = matrix(rows, model.forest.d);
  return rows.map((_, i) => {
    const r = model.forest.scoreAndAttribute(X, i, opts.extension, opts.tolerance);
    return { score: r.score, attribution: [...r.attribution] };
  });
}
