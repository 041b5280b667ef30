/**
 * A value of the right type for each parameter name a named query may declare (queries/*: `-- params:`),
 * shared by the query-contract test and the lake test (which swaps in real container lists).
 */
import type { NamedQuery } from '../../src/analyze/queries.js';

export const SAMPLE_PARAMS: Readonly<Record<string, unknown>> = {
  container_ids: JSON.stringify(['a1'.repeat(32)]),
  container_id: 'a1'.repeat(32),
  containers: '[]',
  flagged: '[]',
  since: null,
  until: null,
  limit: 10,
  top: 10,
  max_rows: 10,
  series: 5,
  bucket_ms: 1000,
};

/** The values `q` declares, from `sample`. */
export function paramsFor(q: NamedQuery, sample: Readonly<Record<string, unknown>> = SAMPLE_PARAMS): Record<string, unknown> {
  return Object.fromEntries(q.params.map((p) => [p, sample[p]]));
}
