/**
 * Feature weights for weighted feature selection (Zou et al. weight the container metrics before
 * isolating; we use the entropy weight method, the usual way to derive such weights from data):
 * each training column is min–max normalised, p_i = v_i / Σv, E = −Σ p_i ln p_i / ln n. A column whose
 * mass sits in few windows (low entropy: bursts, rare behaviour) carries more information about
 * departures than one spread evenly over every window (high entropy: steady background), so its
 * weight is 1 − E (1 for a constant column). Half of the selection probability stays uniform so that no feature is starved:
 * w_j = 0.5/d + 0.5 · (1 − E_j)/Σ(1 − E_k). Constant columns have no information: 1 − E = 0.
 */
import type { Matrix } from './forest.js';

export function entropyWeights(X: Matrix): Float64Array {
  const { n, d, data } = X;
  const info = new Float64Array(d);
  if (n < 2) return new Float64Array(d).fill(1 / d);
  for (let f = 0; f < d; f++) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = data[i * d + f]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (!(mx > mn)) {
      // A constant column is the limit of all mass in one window (entropy 0): the baseline never
      // moved it, so any departure is news. The forest cannot split on it while training; the
      // weight matters for the range extension (forest.ts).
      info[f] = 1;
      continue;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (data[i * d + f]! - mn) / (mx - mn);
    let h = 0;
    for (let i = 0; i < n; i++) {
      const p = (data[i * d + f]! - mn) / (mx - mn) / sum;
      if (p > 0) h -= p * Math.log(p);
    }
    info[f] = Math.max(0, 1 - h / Math.log(n));
  }
  const total = info.reduce((s, v) => s + v, 0);
  const w = new Float64Array(d);
  for (let f = 0; f < d; f++) w[f] = 0.5 / d + (total > 0 ? (0.5 * info[f]!) / total : 0.5 / d);
  return w;
}

/** EWMA along a series of rows (one container's windows in time order), on the given columns. */
export function smoothRows(rows: number[][], columns: readonly number[], alpha: number): number[][] {
  if (alpha >= 1 || rows.length === 0) return rows;
  const out = rows.map((r) => r.slice());
  for (let i = 1; i < out.length; i++) {
    for (const c of columns) out[i]![c] = alpha * rows[i]![c]! + (1 - alpha) * out[i - 1]![c]!;
  }
  return out;
}

/**
 * Equal selection shares per feature group (counts, resources, novelty, syscall mix), the entropy
 * weights deciding within each group. Why: the mix has up to 64 columns, all views of one thing
 * (which syscalls the window made), against 6 resource and 6 novelty columns; with per-column
 * weights the mix takes most splits and the range extension's chance to isolate a window by "CPU
 * 5× higher" or "a new program" (its selection probability) shrinks with the vocabulary size.
 * `groups[f]` is the group index of column f.
 */
export function groupShares(weights: Float64Array, groups: readonly number[]): Float64Array {
  const total = new Map<number, number>();
  groups.forEach((g, f) => total.set(g, (total.get(g) ?? 0) + weights[f]!));
  const k = total.size;
  return weights.map((w, f) => (total.get(groups[f]!)! > 0 ? w / total.get(groups[f]!)! / k : 0));
}
