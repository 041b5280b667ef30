/**
 * The isolation forest as it was before the training-speed work (src/detect/forest.ts at d282561,
 * verbatim but for the imports and the class name): the reference the optimized forest must match
 * exactly — the same trees from the same seed, the same scores and attributions
 * (test/unit/detect-forest-speed.test.ts). Plain code on purpose: a row-major scan per node.
 */
import { mulberry32, randInt, type Random } from '../../src/detect/prng.js';
import { averagePathLength, type Extension, type ForestArrays, type ForestOptions, type Matrix } from '../../src/detect/forest.js';
export class ReferenceForest {
  private constructor(readonly a: ForestArrays) {}

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

  /** The features on which the row leaves at least one tree's box (candidates for range extension). */
  private departures(x: Float64Array, o: number, ext: Extension, tol: number): Int32Array {
    if (ext === 'none') return EMPTY;
    const { upper, lower } = this.extensionBounds(tol);
    const out: number[] = [];
    for (let f = 0; f < this.a.d; f++) {
      const v = x[o + f]!;
      if (v > upper[f]! || (ext === 'both' && v < lower[f]!)) out.push(f);
    }
    return Int32Array.from(out);
  }

  static fromArrays(a: ForestArrays): ReferenceForest {
    return new ReferenceForest(a);
  }

  get d(): number {
    return this.a.d;
  }

  static fit(X: Matrix, opts: ForestOptions = {}): ReferenceForest {
    const { n, d, data } = X;
    if (n === 0 || d === 0) throw new Error('isolation forest: no training rows or no features');
    const trees = opts.trees ?? 100;
    const psi = Math.min(opts.sampleSize ?? 256, n);
    const random = mulberry32(opts.seed ?? 1);
    const select = selectionProbabilities(d, opts.weights ?? null);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    const cap = trees * (2 * psi - 1);
    const feature = new Int32Array(cap).fill(-1);
    const split = new Float64Array(cap);
    const left = new Int32Array(cap);
    const right = new Int32Array(cap);
    const size = new Int32Array(cap);
    const lo = new Float64Array(cap);
    const hi = new Float64Array(cap);
    const roots = new Int32Array(trees);
    const boxLo = new Float64Array(trees * d);
    const boxHi = new Float64Array(trees * d);
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    const idx = new Int32Array(psi);
    const cand = new Float64Array(d);
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
      for (let f = 0; f < d; f++) {
        let mn = Infinity;
        let mx = -Infinity;
        for (let i = 0; i < psi; i++) {
          const v = data[idx[i]! * d + f]!;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        boxLo[t * d + f] = mn;
        boxHi[t * d + f] = mx;
      }
      roots[t] = next;
      const stack: number[] = [next++, 0, psi, 0]; // node, start, end, depth
      while (stack.length > 0) {
        const depth = stack.pop()!;
        const end = stack.pop()!;
        const start = stack.pop()!;
        const node = stack.pop()!;
        size[node] = end - start;
        if (depth >= maxDepth || end - start <= 1) continue;
        const chosen = chooseSplit(data, d, idx, start, end, select, cand, random);
        if (chosen === null) continue; // every feature constant here: a leaf
        const [f, mn, mx] = chosen;
        let s = mn + random() * (mx - mn);
        if (s >= mx) s = mn; // keeps both children non-empty under rounding
        let i = start;
        let j = end - 1;
        while (i <= j) {
          if (data[idx[i]! * d + f]! <= s) i++;
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
        stack.push(l, start, i, depth + 1, r, i, end, depth + 1);
      }
    }
    return new ReferenceForest({
      d, psi, trees, roots, select, boxLo, boxHi,
      feature: feature.slice(0, next), split: split.slice(0, next), left: left.slice(0, next), right: right.slice(0, next),
      size: size.slice(0, next), lo: lo.slice(0, next), hi: hi.slice(0, next),
    });
  }

  /** Mean path length over the trees for one row (offset into data). */
  pathLength(data: Float64Array, offset: number, ext: Extension = 'none', tolerance = 0, credit?: Float64Array): number {
    const a = this.a;
    let total = 0;
    const cand = this.departures(data, offset, ext, tolerance);
    for (let t = 0; t < a.trees; t++) total += this.treePath(t, data, offset, ext, tolerance, cand, credit);
    return total / a.trees;
  }

  private treePath(t: number, x: Float64Array, o: number, ext: Extension, tol: number, cand: Int32Array, credit?: Float64Array): number {
    const a = this.a;
    const d = a.d;
    let expected = 0;
    let surv = 1;
    // Features constant in this tree's sample that x leaves: grown with x, any node on x's path could
    // draw one of them, and that split isolates x. qc is that chance at each level.
    let qc = 0;
    const constant: number[] = [];
    if (ext !== 'none') {
      let q = 0;
      for (let c = 0; c < cand.length; c++) {
        const f = cand[c]!;
        const lo = a.boxLo[t * d + f]!;
        const hi = a.boxHi[t * d + f]!;
        const p = beyond(x[o + f]!, lo, hi, tol * (hi - lo), ext);
        if (p <= 0) continue;
        if (hi === lo) {
          qc += a.select[f]!;
          constant.push(f);
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
    const path: number[] = [];
    for (;;) {
      if (qc > 0 && surv > 0) {
        const q = Math.min(1, qc);
        expected += surv * q * (depth + 1);
        if (credit) for (const f of constant) credit[f] += (surv * a.select[f]!) / (depth + 1);
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
      if (credit) path.push(f);
      node = v <= a.split[node]! ? a.left[node]! : a.right[node]!;
      depth++;
    }
    const h = depth + averagePathLength(a.size[node]!);
    expected += surv * h;
    // DIFFI-style: every feature that split x on its way down shares 1/h — short paths, big credit.
    if (credit && surv > 0 && h > 0) for (const f of path) credit[f] += surv / h;
    return expected;
  }

  /** Anomaly scores in (0, 1]: 2^(−E(h)/c(ψ)). */
  score(X: Matrix, extension: Extension = 'none', tolerance = 0): Float64Array {
    if (X.d !== this.a.d) throw new Error(`isolation forest: ${X.d} features, model has ${this.a.d}`);
    const out = new Float64Array(X.n);
    const c = averagePathLength(this.a.psi) || 1;
    for (let i = 0; i < X.n; i++) out[i] = 2 ** (-this.pathLength(X.data, i * X.d, extension, tolerance) / c);
    return out;
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

const EMPTY = new Int32Array(0);

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

/** A random non-constant feature (∝ selection probability) and its range in the node, or null. */
function chooseSplit(data: Float64Array, d: number, idx: Int32Array, start: number, end: number, select: Float64Array, cand: Float64Array, random: Random): [number, number, number] | null {
  cand.set(select);
  let left = 1;
  for (;;) {
    if (left <= 1e-12) return null;
    let r = random() * left;
    let f = 0;
    for (; f < d - 1; f++) {
      r -= cand[f]!;
      if (r < 0 && cand[f]! > 0) break;
    }
    while (cand[f] === 0 && f > 0) f--; // rounding landed past the last candidate
    if (cand[f] === 0) return null;
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = start; i < end; i++) {
      const v = data[idx[i]! * d + f]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (mx > mn) return [f, mn, mx];
    left -= cand[f]!;
    cand[f] = 0;
  }
}
