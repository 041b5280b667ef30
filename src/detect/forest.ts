/**
 * An isolation forest with scikit-learn's semantics (Liu, Ting & Zhou 2008; sklearn.ensemble.
 * IsolationForest): `trees` trees, each grown on min(256, n) rows drawn without replacement, a height
 * limit of ceil(log2 ψ), at each node a random feature among those not constant in the node and a
 * split drawn uniformly between the node's min and max (left: x ≤ split). The path length of a row
 * is the depth of the leaf it reaches plus c(leaf size); its score is 2^(−E(h)/c(ψ)).
 *
 * Trees live in flat typed arrays (one set for the whole forest) so scoring walks memory without
 * objects and a model serializes as a few base64 blocks.
 *
 * Two switchable variants, measured in bench/detect.ts and described in docs/detect.md:
 * - `weights`: weighted feature selection (Zou et al.): a node draws its split feature with
 *   probability ∝ weight instead of uniformly (constant features are still skipped, as sklearn does).
 * - `extension`: the modified path length, "range extension". A plain tree can never isolate a row by
 *   a feature that was constant in its sample (sklearn skips such features), and a row far beyond the
 *   sample's range ends in the same leaf as the sample's largest row. With range extension each node
 *   is scored as if its split had been drawn over the node's range extended to include the row: when
 *   the row lies beyond the node's [lo, hi] on the split feature f, the extended split separates it
 *   with probability p = (x_f − hi)/(x_f − lo), which ends the path at depth k + 1; the walk goes on
 *   with the remaining probability. At the root every feature counts (weighted by its selection
 *   probability), so a feature the baseline never moved — a syscall never made — isolates at once.
 *   Rows inside every range get exactly the plain path length, so normal windows score as before.
 *   'upper' extends only above (more of something / something new is what attacks look like; a quiet
 *   window is not suspicious), 'both' extends both ways.
 */
import { mulberry32, randInt, type Random } from './prng.js';

export type Extension = 'none' | 'upper' | 'both';

export interface ForestOptions {
  trees?: number;
  sampleSize?: number;
  seed?: number;
  /** Feature selection weights (≥ 0, not all 0); default uniform. */
  weights?: ArrayLike<number> | null;
}

const EULER = 0.5772156649;

/** Average path length of an unsuccessful BST search among n points: c(n) = 2H(n−1) − 2(n−1)/n. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

/** Row-major matrix of n rows × d features. */
export interface Matrix {
  n: number;
  d: number;
  data: Float64Array;
}

export function matrix(rows: number[][], d = rows[0]?.length ?? 0): Matrix {
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => data.set(r, i * d));
  return { n: rows.length, d, data };
}

export interface ForestArrays {
  d: number;
  psi: number;
  trees: number;
  roots: Int32Array;
  feature: Int32Array; // −1 = leaf
  split: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array; // rows of the sample that reached the node
  lo: Float64Array; // the node's min / max on its split feature
  hi: Float64Array;
  boxLo: Float64Array; // trees × d: each tree's sample range per feature
  boxHi: Float64Array;
  select: Float64Array; // d: feature selection probabilities (sum 1)
}

export class IsolationForest {
  private constructor(readonly a: ForestArrays) {
    this.departed = new Int32Array(a.d);
    this.constantHere = new Int32Array(a.d);
    this.c = Float64Array.from({ length: Math.max(0, Math.min(a.psi, 1 << 20)) + 1 }, (_, n) => averagePathLength(n));
  }

  /** Per tolerance: each feature's lowest upper / highest lower extension bound over all trees. */
  private bounds = new Map<number, { upper: Float64Array; lower: Float64Array }>();

  /**
   * A row inside every tree's (tolerance-widened) box on a feature can skip that feature in every
   * tree: most rows are inside on almost all features, so the per-tree root check only visits the
   * few features the row leaves (the check was O(trees × d) per row and dominated training).
   */
  private extensionBounds(tol: number): { upper: Float64Array; lower: Float64Array } {
    let b = this.bounds.get(tol);
    if (!b) {
      const { d, trees, boxLo, boxHi } = this.a;
      const upper = new Float64Array(d).fill(Infinity);
      const lower = new Float64Array(d).fill(-Infinity);
      for (let t = 0; t < trees; t++) {
        for (let f = 0; f < d; f++) {
          const lo = boxLo[t * d + f]!;
          const hi = boxHi[t * d + f]!;
          const slack = tol * (hi - lo);
          if (hi + slack < upper[f]!) upper[f] = hi + slack;
          if (lo - slack > lower[f]!) lower[f] = lo - slack;
        }
      }
      b = { upper, lower };
      this.bounds.set(tol, b);
    }
    return b;
  }

  /**
   * The features on which the row leaves at least one tree's box (candidates for range extension),
   * into this.departed; returns how many.
   */
  private departures(x: Float64Array, o: number, ext: Extension, tol: number): number {
    if (ext === 'none') return 0;
    const { upper, lower } = this.extensionBounds(tol);
    let k = 0;
    for (let f = 0; f < this.a.d; f++) {
      const v = x[o + f]!;
      if (v > upper[f]! || (ext === 'both' && v < lower[f]!)) this.departed[k++] = f;
    }
    return k;
  }

  // Scratch space of the walks, reused from row to row and tree to tree (scoring allocated per tree).
  private readonly departed: Int32Array;
  private readonly constantHere: Int32Array;
  private path = new Int32Array(64);
  /** c(n) for every node size a fitted tree can have (n ≤ ψ). */
  private readonly c: Float64Array;

  static fromArrays(a: ForestArrays): IsolationForest {
    return new IsolationForest(a);
  }

  get d(): number {
    return this.a.d;
  }

  static fit(X: Matrix, opts: ForestOptions = {}): IsolationForest {
    const { n, d, data } = X;
    if (n === 0 || d === 0) throw new Error('isolation forest: no training rows or no features');
    const trees = opts.trees ?? 100;
    const psi = Math.min(opts.sampleSize ?? 256, n);
    const random = mulberry32(opts.seed ?? 1);
    const select = selectionProbabilities(d, opts.weights ?? null);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    // Nodes are grown in scratch arrays sized for full trees and copied out at their real count:
    // fresh full-size arrays per fit were most of training's garbage (a model trains 5 forests).
    const { feature, split, left, right, size, lo, hi } = nodeScratch(trees * (2 * psi - 1));
    const roots = new Int32Array(trees);
    const boxLo = new Float64Array(trees * d);
    const boxHi = new Float64Array(trees * d);
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    const idx = new Int32Array(psi);
    const cand = new Float64Array(d);
    // Column-major copy: every scan below reads one feature of many rows (cache lines, not strides).
    const cols = columns(X);
    // Columns that vary in X (a column constant in X has the same box in every tree: no scan).
    const varying = Int32Array.from(Array.from({ length: d }, (_, f) => f).filter((f) => !sameBits(cols, f * n, n)));
    // constant[depth·d + f] = 1: f is known constant in the node being grown at that depth, hence in
    // its whole subtree, so drawing f again there only costs its random draw (as in scikit-learn's
    // splitter, which passes constant features down). Levels suffice: the depth-first walk finishes
    // a node's subtree, which writes only deeper levels, before it pops the node's sibling.
    const constant = new Uint8Array((maxDepth + 1) * d);
    const range = new Float64Array(2);
    const stack = new Int32Array(4 * (maxDepth + 2)); // node, start, end, depth
    const drawable = select.reduce((k, p) => k + (p > 0 ? 1 : 0), 0);
    const skipExhausted = exhaustionIsExact(select);
    let next = 0;
    for (let t = 0; t < trees; t++) {
      // ψ rows without replacement: a partial Fisher–Yates shuffle.
      for (let i = 0; i < psi; i++) {
        const j = i + randInt(random, n - i);
        const tmp = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = tmp;
        idx[i] = perm[i]!;
      }
      // The sample's box, row by row (each row's features are adjacent; per feature the rows come in
      // the same order as a column scan, so ties of −0 and 0 resolve the same way).
      const b = t * d;
      for (let f = 0; f < d; f++) boxLo[b + f] = boxHi[b + f] = cols[f * n]!;
      for (let k = 0; k < varying.length; k++) {
        boxLo[b + varying[k]!] = Infinity;
        boxHi[b + varying[k]!] = -Infinity;
      }
      for (let i = 0; i < psi; i++) {
        const row = idx[i]! * d;
        for (let k = 0; k < varying.length; k++) {
          const f = varying[k]!;
          const v = data[row + f]!;
          if (v < boxLo[b + f]!) boxLo[b + f] = v;
          if (v > boxHi[b + f]!) boxHi[b + f] = v;
        }
      }
      for (let f = 0; f < d; f++) constant[f] = boxHi[b + f]! > boxLo[b + f]! ? 0 : 1;
      roots[t] = next;
      let sp = 0;
      stack[sp++] = next++;
      stack[sp++] = 0;
      stack[sp++] = psi;
      stack[sp++] = 0;
      while (sp > 0) {
        const depth = stack[--sp]!;
        const end = stack[--sp]!;
        const start = stack[--sp]!;
        const node = stack[--sp]!;
        size[node] = end - start;
        feature[node] = -1; // a leaf unless split below (the scratch holds an earlier fit's nodes)
        split[node] = lo[node] = hi[node] = left[node] = right[node] = 0;
        if (depth >= maxDepth || end - start <= 1) continue;
        if (depth > 0) constant.copyWithin(depth * d, (depth - 1) * d, depth * d);
        if (skipExhausted && identicalRows(cols, n, d, idx, start, end, select, constant, depth * d)) {
          // Every feature constant (duplicate windows): chooseSplit would draw each of the `drawable`
          // features once, find it constant and give up. Only its draws are needed (to keep the
          // random stream), not their values; see exhaustionIsExact.
          random.skip(drawable);
          continue;
        }
        const f = chooseSplit(cols, n, d, idx, start, end, select, cand, random, constant, depth * d, range);
        if (f < 0) continue; // every feature constant here: a leaf
        const mn = range[0]!;
        const mx = range[1]!;
        let s = mn + random() * (mx - mn);
        if (s >= mx) s = mn; // keeps both children non-empty under rounding
        const col = f * n;
        let i = start;
        let j = end - 1;
        while (i <= j) {
          if (cols[col + idx[i]!]! <= s) i++;
          else {
            const tmp = idx[i]!;
            idx[i] = idx[j]!;
            idx[j--] = tmp;
          }
        }
        feature[node] = f;
        split[node] = s;
        lo[node] = mn;
        hi[node] = mx;
        const l = next++;
        const r = next++;
        left[node] = l;
        right[node] = r;
        stack[sp++] = l;
        stack[sp++] = start;
        stack[sp++] = i;
        stack[sp++] = depth + 1;
        stack[sp++] = r;
        stack[sp++] = i;
        stack[sp++] = end;
        stack[sp++] = depth + 1;
      }
    }
    return new IsolationForest({
      d, psi, trees, roots, select, boxLo, boxHi,
      feature: feature.slice(0, next), split: split.slice(0, next), left: left.slice(0, next), right: right.slice(0, next),
      size: size.slice(0, next), lo: lo.slice(0, next), hi: hi.slice(0, next),
    });
  }

  /** Mean path length over the trees for one row (offset into data). */
  pathLength(data: Float64Array, offset: number, ext: Extension = 'none', tolerance = 0, credit?: Float64Array): number {
    const a = this.a;
    let total = 0;
    const departed = this.departures(data, offset, ext, tolerance);
    for (let t = 0; t < a.trees; t++) total += this.treePath(t, data, offset, ext, tolerance, departed, credit);
    return total / a.trees;
  }

  private treePath(t: number, x: Float64Array, o: number, ext: Extension, tol: number, departed: number, credit?: Float64Array): number {
    const a = this.a;
    const d = a.d;
    let expected = 0;
    let surv = 1;
    // Features constant in this tree's sample that x leaves: grown with x, any node on x's path could
    // draw one of them, and that split isolates x. qc is that chance at each level.
    let qc = 0;
    const constant = this.constantHere;
    let constants = 0;
    if (ext !== 'none') {
      let q = 0;
      for (let c = 0; c < departed; c++) {
        const f = this.departed[c]!;
        const lo = a.boxLo[t * d + f]!;
        const hi = a.boxHi[t * d + f]!;
        const p = beyond(x[o + f]!, lo, hi, tol * (hi - lo), ext);
        if (p <= 0) continue;
        if (hi === lo) {
          qc += a.select[f]!;
          constant[constants++] = f;
        } else {
          // At the root every feature may be drawn (probability select[f]).
          q += p * a.select[f]!;
          if (credit) credit[f] += p * a.select[f]!;
        }
      }
      q = Math.min(1, q);
      expected += q;
      surv = 1 - q;
    }
    let node = a.roots[t]!;
    let depth = 0;
    for (;;) {
      if (qc > 0 && surv > 0) {
        const q = Math.min(1, qc);
        expected += surv * q * (depth + 1);
        if (credit) for (let c = 0; c < constants; c++) credit[constant[c]!] += (surv * a.select[constant[c]!]!) / (depth + 1);
        surv *= 1 - q;
      }
      if (a.feature[node]! < 0) break;
      const f = a.feature[node]!;
      const v = x[o + f]!;
      if (ext !== 'none' && depth > 0 && surv > 0) {
        const p = beyond(v, a.lo[node]!, a.hi[node]!, tol * (a.boxHi[t * d + f]! - a.boxLo[t * d + f]!), ext);
        if (p > 0) {
          expected += surv * p * (depth + 1);
          if (credit) credit[f] += (surv * p) / (depth + 1);
          surv *= 1 - p;
        }
      }
      if (credit) {
        // a loaded model's trees may be deeper than a fitted one's: grow the scratch path
        if (depth === this.path.length) this.path = Int32Array.from({ length: 2 * depth }, (_, i) => this.path[i] ?? 0);
        this.path[depth] = f;
      }
      node = v <= a.split[node]! ? a.left[node]! : a.right[node]!;
      depth++;
    }
    const n = a.size[node]!;
    const h = depth + (n >= 0 && n < this.c.length ? this.c[n]! : averagePathLength(n));
    expected += surv * h;
    // DIFFI-style: every feature that split x on its way down shares 1/h — short paths, big credit.
    if (credit && surv > 0 && h > 0) for (let i = 0; i < depth; i++) credit[this.path[i]!] += surv / h;
    return expected;
  }

  /** Anomaly scores in (0, 1]: 2^(−E(h)/c(ψ)). Identical rows are walked once (see rowKey). */
  score(X: Matrix, extension: Extension = 'none', tolerance = 0): Float64Array {
    if (X.d !== this.a.d) throw new Error(`isolation forest: ${X.d} features, model has ${this.a.d}`);
    const out = new Float64Array(X.n);
    const c = averagePathLength(this.a.psi) || 1;
    const seen = new Map<string, number>();
    for (let i = 0; i < X.n; i++) {
      const key = rowKey(X, i);
      let s = seen.get(key);
      if (s === undefined) seen.set(key, (s = 2 ** (-this.pathLength(X.data, i * X.d, extension, tolerance) / c)));
      out[i] = s;
    }
    return out;
  }

  /** scoreAndAttribute of every row, identical rows walked once (each gets its own attribution array). */
  scoreAndAttributeRows(X: Matrix, extension: Extension = 'none', tolerance = 0): Array<{ score: number; attribution: Float64Array }> {
    const seen = new Map<string, { score: number; attribution: Float64Array }>();
    return Array.from({ length: X.n }, (_, i) => {
      const key = rowKey(X, i);
      const done = seen.get(key);
      if (done) return { score: done.score, attribution: done.attribution.slice() };
      const r = this.scoreAndAttribute(X, i, extension, tolerance);
      seen.set(key, r);
      return { score: r.score, attribution: r.attribution.slice() };
    });
  }

  /** Local feature attribution of one row, normalised to sum 1 (all 0 when nothing is credited). */
  attribute(X: Matrix, row: number, extension: Extension = 'none', tolerance = 0): Float64Array {
    return this.scoreAndAttribute(X, row, extension, tolerance).attribution;
  }

  /** The row's score and its attribution from one walk (score() and attribute() walk once each). */
  scoreAndAttribute(X: Matrix, row: number, extension: Extension = 'none', tolerance = 0): { score: number; attribution: Float64Array } {
    const credit = new Float64Array(this.a.d);
    const h = this.pathLength(X.data, row * X.d, extension, tolerance, credit);
    const sum = credit.reduce((s, v) => s + v, 0);
    if (sum > 0) for (let f = 0; f < credit.length; f++) credit[f]! /= sum;
    return { score: 2 ** (-h / (averagePathLength(this.a.psi) || 1)), attribution: credit };
  }

  arrays(): ForestArrays {
    return this.a;
  }
}

/**
 * Probability that a split drawn over [lo, hi] extended to v separates v: 0 when v is inside, or
 * within `slack` of the range (departures smaller than that are noise between recordings).
 */
function beyond(v: number, lo: number, hi: number, slack: number, ext: Extension): number {
  if (v > hi + slack) return (v - hi - slack) / (v - lo);
  if (ext === 'both' && v < lo - slack) return (lo - slack - v) / (hi - v);
  return 0;
}

function selectionProbabilities(d: number, weights: ArrayLike<number> | null): Float64Array {
  const p = new Float64Array(d).fill(1);
  if (weights) {
    if (weights.length !== d) throw new Error(`isolation forest: ${weights.length} weights for ${d} features`);
    for (let f = 0; f < d; f++) p[f] = Math.max(0, Number(weights[f]) || 0);
  }
  const sum = p.reduce((s, v) => s + v, 0);
  if (!(sum > 0)) p.fill(1 / d);
  else for (let f = 0; f < d; f++) p[f]! /= sum;
  return p;
}

/**
 * A row's exact bits as a string: rows with the same key walk every tree the same way, so their
 * scores and attributions are the same numbers (baselines repeat windows: idle ones are all alike).
 */
function rowKey(X: Matrix, i: number): string {
  return Buffer.from(X.data.buffer, X.data.byteOffset + i * X.d * 8, X.d * 8).toString('latin1');
}

let scratch: { feature: Int32Array; split: Float64Array; left: Int32Array; right: Int32Array; size: Int32Array; lo: Float64Array; hi: Float64Array } | null = null;

/** Node arrays of at least `cap` entries, kept from fit to fit (fit is synchronous: never shared). */
function nodeScratch(cap: number): NonNullable<typeof scratch> {
  if (!scratch || scratch.feature.length < cap) {
    scratch = { feature: new Int32Array(cap), split: new Float64Array(cap), left: new Int32Array(cap), right: new Int32Array(cap), size: new Int32Array(cap), lo: new Float64Array(cap), hi: new Float64Array(cap) };
  }
  return scratch;
}

/**
 * Whether the n values from offset o are one and the same number, bit for bit (−0 and 0 differ: the
 * box must be what a scan finds); never for NaN, which a scan skips.
 */
function sameBits(a: Float64Array, o: number, n: number): boolean {
  if (Number.isNaN(a[o])) return false;
  for (let i = 1; i < n; i++) if (!Object.is(a[o + i], a[o])) return false;
  return true;
}

/** Column-major copy of a row-major matrix: cols[f·n + i] = X[i][f]. */
function columns(X: Matrix): Float64Array {
  const { n, d, data } = X;
  const cols = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) cols[f * n + i] = data[i * d + f]!;
  return cols;
}

/**
 * Whether a node whose features are all constant costs chooseSplit exactly one draw per feature of
 * positive probability. Each draw then removes one such feature (its loop always lands on a positive
 * candidate) and `left` — 1 minus the removed probabilities, summed in float — stays above the
 * 1e-12 cut-off while any remains and falls below it once none does, provided every positive
 * probability is ≥ 1e-9 and there are few enough of them for the rounding (≤ k·2⁻⁵³) to stay
 * far below 1e-12. Outside these bounds the forest takes the slow path, which is exact by definition.
 */
function exhaustionIsExact(select: Float64Array): boolean {
  let k = 0;
  for (const p of select) {
    if (p > 0 && p < 1e-9) return false;
    if (p > 0) k++;
  }
  return k <= 1000;
}

/**
 * Whether the node's rows are equal on every feature that can be drawn and is not known constant
 * (marking constant the ones found so on the way). Stops at the first difference, so a node with
 * distinct rows costs little; NaN never equals itself, so such a node takes the slow path.
 */
function identicalRows(cols: Float64Array, n: number, d: number, idx: Int32Array, start: number, end: number, select: Float64Array, constant: Uint8Array, co: number): boolean {
  for (let f = 0; f < d; f++) {
    if (constant[co + f] !== 0 || !(select[f]! > 0)) continue;
    const col = f * n;
    const v0 = cols[col + idx[start]!]!;
    for (let i = start + 1; i < end; i++) if (cols[col + idx[i]!]! !== v0) return false;
    constant[co + f] = 1;
  }
  return true;
}

/**
 * A random non-constant feature (∝ selection probability), its range in the node in `range`; −1
 * when every feature is constant there. Features found constant are marked in `constant` (from
 * offset `co`); one already marked is skipped without a scan but still consumes its draw, so the
 * trees are the same as drawing and scanning every time.
 */
function chooseSplit(cols: Float64Array, n: number, d: number, idx: Int32Array, start: number, end: number, select: Float64Array, cand: Float64Array, random: Random, constant: Uint8Array, co: number, range: Float64Array): number {
  cand.set(select);
  let left = 1;
  for (;;) {
    if (left <= 1e-12) return -1;
    let r = random() * left;
    let f = 0;
    for (; f < d - 1; f++) {
      r -= cand[f]!;
      if (r < 0 && cand[f]! > 0) break;
    }
    while (cand[f] === 0 && f > 0) f--; // rounding landed past the last candidate
    if (cand[f] === 0) return -1;
    if (constant[co + f] === 0) {
      const col = f * n;
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = start; i < end; i++) {
        const v = cols[col + idx[i]!]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx > mn) {
        range[0] = mn;
        range[1] = mx;
        return f;
      }
      constant[co + f] = 1;
    }
    left -= cand[f]!;
    cand[f] = 0;
  }
}
