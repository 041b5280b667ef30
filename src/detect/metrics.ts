/** Evaluation measures for the detector's tests and bench: ROC AUC and Spearman rank correlation. */

/** Average ranks (1-based), ties sharing their mean rank. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** ROC AUC of scores against labels (true = anomaly), by the rank-sum (Mann–Whitney) formula. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const r = ranks(scores);
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < r.length; i++) {
    if (labels[i]) {
      pos++;
      sum += r[i]!;
    }
  }
  const neg = r.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const mean = (n + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}
