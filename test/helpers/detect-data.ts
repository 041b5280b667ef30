/**
 * Synthetic feature matrices with planted anomalies for the forest's tests and bench (seeded):
 * normal rows from two Gaussian clusters, anomalies from a small, tight cluster elsewhere
 * ("clustered anomalies", the case where a wrong subsample or c(n) shows).
 */
import { mulberry32 } from '../../src/detect/prng.js';
import { matrix, type Matrix } from '../../src/detect/forest.js';
import { openAnalysis } from '../../src/analyze/db.js';
import { loadFacts } from '../../src/detect/facts.js';
import type { Series } from '../../src/detect/model.js';

export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface Planted {
  X: Matrix;
  labels: boolean[];
}

export function clustered(opts: { normal?: number; anomalies?: number; d?: number; seed?: number } = {}): Planted {
  const { normal = 1000, anomalies = 50, d = 6, seed = 7 } = opts;
  const g = gaussian(mulberry32(seed));
  const rows: number[][] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < normal; i++) {
    const centre = i % 2 === 0 ? 0 : 4;
    rows.push(Array.from({ length: d }, () => centre + g()));
    labels.push(false);
  }
  for (let i = 0; i < anomalies; i++) {
    rows.push(Array.from({ length: d }, (_, f) => (f < 2 ? 2 + 0.2 * g() : 8 + 0.3 * g())));
    labels.push(true);
  }
  return { X: matrix(rows, d), labels };
}

/** Every container's window facts from one capture (10 s windows), as detect sees them. */
export async function loadCaptureSeries(path: string): Promise<Series[]> {
  const a = await openAnalysis([path]);
  try {
    return [...(await loadFacts(a, 10_000)).values()];
  } finally {
    a.close();
  }
}
