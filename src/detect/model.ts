/**
 * Training and scoring: one isolation forest per baseline group (containers sharing a name, or an
 * image), trained on the group's windows; threshold from held-out validation windows (LID-DS):
 * see trainGroup.
 */
import { IsolationForest, matrix } from './forest.js';
import type { DetectOptions } from './options.js';
import type { ContainerRef, WindowFacts } from './facts.js';
import { COUNT_FEATURES, NOVELTY_FEATURES, featureNames, featurize, items, mixVocabulary, seenSets, type NoveltyKind, type Seen } from './features.js';
import { entropyWeights, smoothRows } from './weights.js';

export { DEFAULT_OPTIONS, type DetectOptions } from './options.js';

export interface Series {
  ref: ContainerRef;
  windows: WindowFacts[];
}

export interface GroupModel {
  name: string;
  image: string;
  containers: string[];
  vocab: string[];
  features: string[];
  seen: Record<NoveltyKind, string[]>;
  forest: IsolationForest;
  /** Highest training value of each feature: a reason must exceed it. */
  upper: number[];
  /** Mean attribution over the training windows (DIFFI's inlier normalisation). */
  inlierAttribution: number[];
  threshold: number;
  thresholdSource: 'validation' | 'training' | 'self';
  trainWindows: number;
  validationWindows: number;
}

/** Columns smoothed: counts and mix, never novelty (a new program is news once, at full strength). */
function smoothColumns(d: number): number[] {
  const skip = new Set(NOVELTY_FEATURES.map((_, i) => COUNT_FEATURES.length + i));
  return Array.from({ length: d }, (_, i) => i).filter((i) => !skip.has(i));
}

export function windowSeconds(windowMs: number): number {
  return windowMs / 1000;
}

function rowsOf(windows: WindowFacts[], windowMs: number, vocab: string[], seen: Seen, opts: DetectOptions): number[][] {
  const rows = windows.map((w) => featurize(w, windowSeconds(windowMs), vocab, seen));
  return smoothRows(rows, smoothColumns(featureNames(vocab).length), opts.smoothing);
}

const setSeen = (sets: Record<NoveltyKind, Set<string>>): Seen => (k, x) => sets[k].has(x);

interface Fit {
  vocab: string[];
  sets: Record<NoveltyKind, Set<string>>;
  features: string[];
  forest: IsolationForest;
  trainRows: number[][];
  /** Rows of the held-out windows (novelty against the training windows only). */
  heldRows: number[][];
}

/** Trains on the windows `keep` accepts; featurizes the rest as held-out rows. */
function fitOn(series: Series[], keep: (s: number, i: number) => boolean, windowMs: number, opts: DetectOptions, seed: number): Fit {
  const trainWindows = series.flatMap((s, si) => s.windows.filter((_, i) => keep(si, i)));
  const vocab = mixVocabulary(trainWindows);
  const sets = seenSets(trainWindows);
  const features = featureNames(vocab);
  const trainRows: number[][] = [];
  const heldRows: number[][] = [];
  series.forEach((s, si) => {
    // Smoothing runs along each whole series, so held-out rows carry their past.
    rowsOf(s.windows, windowMs, vocab, setSeen(sets), opts).forEach((r, i) => (keep(si, i) ? trainRows : heldRows).push(r));
  });
  const X = matrix(trainRows, features.length);
  const forest = IsolationForest.fit(X, { trees: opts.trees, sampleSize: opts.sampleSize, seed, weights: opts.weighting ? entropyWeights(X) : null });
  return { vocab, sets, features, forest, trainRows, heldRows };
}

export const FOLDS = 4;

/**
 * Trains one group from its baseline series. The threshold follows LID-DS (the highest score on
 * normal windows the model was not trained on) with every baseline window used once for validation:
 * each series is cut into FOLDS contiguous blocks of time; for each block a forest trained on the
 * other blocks scores it (novelty counted against the other blocks). The model itself is then
 * trained on every window. Series with fewer than FOLDS windows only train; with none long enough,
 * the threshold comes from the training windows' own scores (and the CLI warns).
 */
export function trainGroup(series: Series[], windowMs: number, opts: DetectOptions): GroupModel {
  const foldOf = (si: number, i: number) => {
    const n = series[si]!.windows.length;
    return n >= FOLDS ? Math.floor((i * FOLDS) / n) : -1;
  };
  const heldScores: number[] = [];
  for (let k = 0; k < FOLDS; k++) {
    if (!series.some((s) => s.windows.length >= FOLDS)) break;
    const fit = fitOn(series, (si, i) => foldOf(si, i) !== k, windowMs, opts, opts.seed + k + 1);
    if (fit.heldRows.length === 0 || fit.trainRows.length === 0) continue;
    const scores = fit.forest.score(matrix(fit.heldRows, fit.features.length), opts.extension, opts.tolerance);
    heldScores.push(...scores);
  }
  const fit = fitOn(series, () => true, windowMs, opts, opts.seed);
  const { forest, features, trainRows } = fit;
  const X = matrix(trainRows, features.length);
  const upper = features.map((_, f) => Math.max(...trainRows.map((r) => r[f]!)));
  const inlier = new Float64Array(features.length);
  for (let i = 0; i < X.n; i++) forest.attribute(X, i, opts.extension, opts.tolerance).forEach((v, f) => (inlier[f]! += v / X.n));
  const held = heldScores.length;
  const ref = (held > 0 ? heldScores : [...forest.score(X, opts.extension, opts.tolerance)]).sort((a, b) => a - b);
  const max = ref[ref.length - 1]!;
  const median = ref[Math.floor((ref.length - 1) / 2)]!;
  const first = series[0]!.ref;
  return {
    name: first.name,
    image: first.image,
    containers: [...new Set(series.map((s) => s.ref.containerId))],
    vocab: fit.vocab,
    features,
    seen: Object.fromEntries(Object.entries(fit.sets).map(([k, v]) => [k, [...v].sort()])) as Record<NoveltyKind, string[]>,
    forest,
    upper,
    inlierAttribution: [...inlier],
    threshold: Math.min(1, max + opts.margin + opts.spread * (max - median)),
    thresholdSource: held > 0 ? 'validation' : 'training',
    trainWindows: trainRows.length,
    validationWindows: held,
  };
}

export interface ScoredWindow {
  facts: WindowFacts;
  row: number[];
  score: number;
  attribution: Float64Array;
}

export function scoreSeries(model: GroupModel, s: Series, windowMs: number, opts: DetectOptions): ScoredWindow[] {
  const sets = Object.fromEntries(Object.entries(model.seen).map(([k, v]) => [k, new Set(v)])) as Record<NoveltyKind, Set<string>>;
  const rows = rowsOf(s.windows, windowMs, model.vocab, setSeen(sets), opts);
  return scoreRows(model.forest, s.windows, rows, opts);
}

function scoreRows(forest: IsolationForest, windows: WindowFacts[], rows: number[][], opts: DetectOptions): ScoredWindow[] {
  if (rows.length === 0) return [];
  const X = matrix(rows, forest.d);
  const scores = forest.score(X, opts.extension, opts.tolerance);
  return windows.map((facts, i) => ({ facts, row: rows[i]!, score: scores[i]!, attribution: forest.attribute(X, i, opts.extension, opts.tolerance) }));
}

/**
 * No baseline: each container's windows against the rest of the same capture. Novelty is "seen in
 * no other window of this container"; the forest trains on all windows; the threshold is a Tukey
 * fence over the container's own scores (Q3 + 1.5·IQR, at least 0.55): with no normal reference,
 * only windows that stand out from most others are flagged.
 */
export function selfScore(s: Series, windowMs: number, opts: DetectOptions): { model: GroupModel; scored: ScoredWindow[] } {
  const counts: Record<NoveltyKind, Map<string, number>> = { program: new Map(), syscall: new Map(), path: new Map(), peer: new Map(), port: new Map(), listen: new Map() };
  for (const w of s.windows) {
    const it = items(w);
    for (const k of Object.keys(counts) as NoveltyKind[]) for (const x of it[k]) counts[k].set(x, (counts[k].get(x) ?? 0) + 1);
  }
  const seen: Seen = (k, x) => s.windows.length < 3 || (counts[k].get(x) ?? 0) > 1;
  const vocab = mixVocabulary(s.windows);
  const rows = rowsOf(s.windows, windowMs, vocab, seen, opts);
  const features = featureNames(vocab);
  const X = matrix(rows, features.length);
  const forest = IsolationForest.fit(X, { trees: opts.trees, sampleSize: opts.sampleSize, seed: opts.seed, weights: opts.weighting ? entropyWeights(X) : null });
  const scored = scoreRows(forest, s.windows, rows, opts);
  const sorted = scored.map((x) => x.score).sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!;
  const threshold = Math.min(1, Math.max(0.55, q(0.75) + 1.5 * (q(0.75) - q(0.25))));
  // Rows are their own baseline here: a reason must exceed the median window, not the maximum.
  const median = features.map((_, f) => {
    const col = rows.map((r) => r[f]!).sort((a, b) => a - b);
    return col[Math.floor((col.length - 1) / 2)]!;
  });
  const inlier = new Float64Array(features.length);
  for (const x of scored) x.attribution.forEach((v, f) => (inlier[f]! += v / scored.length));
  const selfSets = Object.fromEntries(Object.entries(counts).map(([k, m]) => [k, [...m].filter(([, c]) => c > 1 || s.windows.length < 3).map(([x]) => x)])) as Record<NoveltyKind, string[]>;
  return {
    model: {
      name: s.ref.name, image: s.ref.image, containers: [s.ref.containerId], vocab, features, seen: selfSets, forest,
      upper: median, inlierAttribution: [...inlier], threshold, thresholdSource: 'self', trainWindows: rows.length, validationWindows: 0,
    },
    scored,
  };
}
