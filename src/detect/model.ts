/**
 * Training and scoring: one isolation forest per baseline group (containers sharing a name, or an
 * image), trained on the group's windows; threshold from held-out validation windows (LID-DS):
 * see trainGroup.
 */
import { IsolationForest, matrix, type Matrix } from './forest.js';
import type { DetectOptions } from './options.js';
import type { ContainerRef, WindowFacts } from './facts.js';
import { COUNT_FEATURES, NOVELTY_FEATURES, RESOURCE_FEATURES, featureNames, featurize, hasResources, items, mixVocabulary, seenSets, type NoveltyKind, type Seen } from './features.js';
import { entropyWeights, groupShares, smoothRows } from './weights.js';
import { lifecycleMode, thresholds } from './thresholds.js';

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
  /** The baseline had resource samples (else the resource features stay 0 when scoring). */
  resources: boolean;
  forest: IsolationForest;
  /** Highest training value of each feature: a reason must exceed it. */
  upper: number[];
  /** Mean attribution over the training windows (DIFFI's inlier normalisation). */
  inlierAttribution: number[];
  threshold: number;
  /** Threshold of a window holding the container's start or exit (thresholds.ts). */
  lifecycleThreshold: number;
  thresholdSource: 'validation' | 'training' | 'self';
  trainWindows: number;
  validationWindows: number;
}

/** Columns smoothed: counts and mix, never novelty (a new program is news once, at full strength). */
function smoothColumns(d: number): number[] {
  const skip = new Set(NOVELTY_FEATURES.map((_, i) => COUNT_FEATURES.length + RESOURCE_FEATURES.length + i));
  return Array.from({ length: d }, (_, i) => i).filter((i) => !skip.has(i));
}

export function windowSeconds(windowMs: number): number {
  return windowMs / 1000;
}

function rowsOf(windows: WindowFacts[], windowMs: number, vocab: string[], seen: Seen, opts: DetectOptions, resources: boolean): number[][] {
  const rows = windows.map((w) => featurize(w, windowSeconds(windowMs), vocab, seen, resources));
  return smoothRows(rows, smoothColumns(featureNames(vocab).length), opts.smoothing);
}

const setSeen = (sets: Record<NoveltyKind, Set<string>>): Seen => (k, x) => sets[k].has(x);

interface Memo {
  resources: boolean;
  asked: Array<[NoveltyKind, string]>;
  answers: boolean[];
  /** The window's row over the group's whole syscall vocabulary (BaselineRows.vocab). */
  row: number[];
}

/**
 * The baseline's feature rows (before smoothing) for the validation folds and the model, each
 * window featurized once and its row reused by every fold. featurize is a pure function of the
 * window, the vocabulary, the resources switch and the answers to the novelty questions (`seen`)
 * it asks, and a mix column is a function of its syscall alone. So each window is featurized over
 * the group's whole vocabulary, and a fold takes its columns by feature name; a fold whose novelty
 * sets answer a window's questions differently (a path seen only in that fold) featurizes that
 * window again. The rows are exactly those of featurizing per fold (test/unit/detect-train-speed).
 */
class BaselineRows {
  private readonly memo = new Map<WindowFacts, Memo[]>();
  private readonly vocab: string[];
  private readonly index: Map<string, number>;

  constructor(series: Series[], private readonly windowSec: number) {
    // every syscall any fold's vocabulary can hold (a fold takes the most used ones of its windows)
    const all = new Set<string>();
    for (const s of series) for (const w of s.windows) for (const [n, c] of w.syscalls) if (c.calls > 0) all.add(n);
    this.vocab = [...all].sort();
    this.index = new Map(featureNames(this.vocab).map((name, i) => [name, i]));
  }

  rows(windows: WindowFacts[], vocab: string[], sets: Record<NoveltyKind, Set<string>>, resources: boolean): number[][] {
    const columns = featureNames(vocab).map((name) => this.index.get(name));
    const take = columns.every((c) => c !== undefined) ? (columns as number[]) : null;
    return windows.map((w) => {
      if (!take) return featurize(w, this.windowSec, vocab, (k, x) => sets[k].has(x), resources);
      const memos = this.memo.get(w) ?? [];
      let hit = memos.find((m) => m.resources === resources && m.asked.every(([k, x], i) => sets[k].has(x) === m.answers[i]));
      if (!hit) {
        const m: Memo = { resources, asked: [], answers: [], row: [] };
        m.row = featurize(w, this.windowSec, this.vocab, (k, x) => {
          const seen = sets[k].has(x);
          m.asked.push([k, x]);
          m.answers.push(seen);
          return seen;
        }, resources);
        this.memo.set(w, [...memos, m]);
        hit = m;
      }
      const row = hit.row;
      return take.map((c) => row[c]!);
    });
  }
}

interface Fit {
  vocab: string[];
  resources: boolean;
  sets: Record<NoveltyKind, Set<string>>;
  features: string[];
  forest: IsolationForest;
  trainRows: number[][];
  /** Rows of the held-out windows (novelty against the training windows only). */
  heldRows: number[][];
}

/** Trains on the windows `keep` accepts; featurizes the rest as held-out rows. */
function fitOn(series: Series[], keep: (s: number, i: number) => boolean, windowMs: number, opts: DetectOptions, seed: number, baseline: BaselineRows): Fit {
  const trainWindows = series.flatMap((s, si) => s.windows.filter((_, i) => keep(si, i)));
  const vocab = mixVocabulary(trainWindows);
  const sets = seenSets(trainWindows);
  const features = featureNames(vocab);
  const resources = opts.resources && hasResources(trainWindows);
  const trainRows: number[][] = [];
  const heldRows: number[][] = [];
  series.forEach((s, si) => {
    // Smoothing runs along each whole series, so held-out rows carry their past.
    const rows = smoothRows(baseline.rows(s.windows, vocab, sets, resources), smoothColumns(features.length), opts.smoothing);
    rows.forEach((r, i) => (keep(si, i) ? trainRows : heldRows).push(r));
  });
  const X = matrix(trainRows, features.length);
  const forest = IsolationForest.fit(X, { trees: opts.trees, sampleSize: opts.sampleSize, seed, weights: selectionWeights(X, opts) });
  return { vocab, resources, sets, features, forest, trainRows, heldRows };
}

/** Feature group of each column: 0 counts, 1 resources, 2 novelty, 3 syscall mix. */
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

export const FOLDS = 4;

/**
 * The validation fold of each window (−1: training only). With two or more baseline recordings (and
 * `validation: 'recordings'`), whole recordings are held out: what a new normal recording looks like
 * to a model that never saw it (its start-up, its own noise) is exactly what the threshold must
 * cover, as LID-DS does with its validation recordings. A single recording is cut into FOLDS
 * contiguous time blocks instead (series shorter than FOLDS windows only train).
 */
export function foldsOf(series: Series[], opts: DetectOptions): { folds: number; byRecording: boolean; recordings: number; of: (si: number, i: number) => number } {
  const captures = [...new Set(series.filter((s) => s.windows.length > 0).map((s) => `${s.ref.host}\0${s.ref.capture}`))];
  if (opts.validation === 'recordings' && captures.length >= 2) {
    const folds = Math.min(FOLDS, captures.length);
    const fold = series.map((s) => captures.indexOf(`${s.ref.host}\0${s.ref.capture}`) % folds);
    return { folds, byRecording: true, recordings: captures.length, of: (si) => fold[si]! };
  }
  return {
    folds: series.some((s) => s.windows.length >= FOLDS) ? FOLDS : 0,
    byRecording: false,
    recordings: captures.length,
    of: (si, i) => {
      const n = series[si]!.windows.length;
      return n >= FOLDS ? Math.floor((i * FOLDS) / n) : -1;
    },
  };
}

/**
 * Trains one group from its baseline series. The threshold follows LID-DS (the highest score on
 * normal windows the model was not trained on) with every baseline window used once for validation
 * (foldsOf): for each fold a forest trained on the other folds scores it (novelty counted against
 * the other folds). The model itself is then trained on every window. With no fold to hold out,
 * the threshold comes from the training windows' own scores (and the CLI warns).
 */
export function trainGroup(series: Series[], windowMs: number, opts: DetectOptions): GroupModel {
  const { folds, byRecording, recordings, of: foldOf } = foldsOf(series, opts);
  const heldScores: number[] = [];
  const baseline = new BaselineRows(series, windowSeconds(windowMs));
  const heldLifecycle: boolean[] = [];
  for (let k = 0; k < folds; k++) {
    const fit = fitOn(series, (si, i) => foldOf(si, i) !== k, windowMs, opts, opts.seed + k + 1, baseline);
    if (fit.heldRows.length === 0 || fit.trainRows.length === 0) continue;
    const scores = fit.forest.score(matrix(fit.heldRows, fit.features.length), opts.extension, opts.tolerance);
    heldScores.push(...scores);
    // fitOn lists held rows series by series, windows in order
    series.forEach((s, si) => s.windows.forEach((w, i) => foldOf(si, i) === k && heldLifecycle.push(w.lifecycle)));
  }
  const fit = fitOn(series, () => true, windowMs, opts, opts.seed, baseline);
  const { forest, features, trainRows } = fit;
  const X = matrix(trainRows, features.length);
  const upper = features.map((_, f) => Math.max(...trainRows.map((r) => r[f]!)));
  const inlier = new Float64Array(features.length);
  for (const { attribution } of forest.scoreAndAttributeRows(X, opts.extension, opts.tolerance)) attribution.forEach((v, f) => (inlier[f]! += v / X.n));
  const held = heldScores.length;
  const ref = held > 0 ? heldScores : [...forest.score(X, opts.extension, opts.tolerance)];
  const refLifecycle = held > 0 ? heldLifecycle : series.flatMap((s) => s.windows.map((w) => w.lifecycle));
  // The spread term guards the max of few time-block windows; held-out recordings are the real thing.
  // One recording holds one start and one exit: too few to be their own reference, they widen the
  // single threshold instead (thresholds.ts).
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
    forest,
    upper,
    inlierAttribution: [...inlier],
    threshold: t.threshold,
    lifecycleThreshold: t.lifecycleThreshold,
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
  const rows = rowsOf(s.windows, windowMs, model.vocab, setSeen(sets), opts, model.resources);
  return scoreRows(model.forest, s.windows, rows, opts);
}

/** The feature rows a group's model was trained on (for side-by-side comparisons in the bench). */
export function trainingRows(model: GroupModel, series: Series[], windowMs: number, opts: DetectOptions): number[][] {
  const sets = Object.fromEntries(Object.entries(model.seen).map(([k, v]) => [k, new Set(v)])) as Record<NoveltyKind, Set<string>>;
  return series.flatMap((s) => rowsOf(s.windows, windowMs, model.vocab, setSeen(sets), opts, model.resources));
}

function scoreRows(forest: IsolationForest, windows: WindowFacts[], rows: number[][], opts: DetectOptions): ScoredWindow[] {
  if (rows.length === 0) return [];
  const scored = forest.scoreAndAttributeRows(matrix(rows, forest.d), opts.extension, opts.tolerance);
  return windows.map((facts, i) => ({ facts, row: rows[i]!, ...scored[i]! }));
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
  const resources = opts.resources && hasResources(s.windows);
  const rows = rowsOf(s.windows, windowMs, vocab, seen, opts, resources);
  const features = featureNames(vocab);
  const X = matrix(rows, features.length);
  const forest = IsolationForest.fit(X, { trees: opts.trees, sampleSize: opts.sampleSize, seed: opts.seed, weights: selectionWeights(X, opts) });
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
      name: s.ref.name, image: s.ref.image, containers: [s.ref.containerId], vocab, features, seen: selfSets, resources, forest,
      upper: median, inlierAttribution: [...inlier], threshold, lifecycleThreshold: threshold, thresholdSource: 'self', trainWindows: rows.length, validationWindows: 0,
    },
    scored,
  };
}
