/** DuckDB values → plain JS: bigint for 64-bit integers, ns bigint for TIMESTAMP_NS, arrays for lists. */
import type { DuckDBValue } from '@duckdb/node-api';
import { api } from './duckdb.js';

const {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampValue,
  DuckDBTimestampTZValue,
  DuckDBIntervalValue,
  DuckDBDateValue,
  DuckDBUUIDValue,
} = api;

export function toPlain(v: DuckDBValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.nanos;
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return v.micros * 1000n;
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(toPlain);
  if (v instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, toPlain(x)]));
  if (v instanceof DuckDBMapValue) return v.entries.map((e) => [toPlain(e.key), toPlain(e.value)]);
  if (v instanceof DuckDBDecimalValue) return v.toDouble();
  if (v instanceof DuckDBBlobValue) return v.bytes;
  if (v instanceof DuckDBIntervalValue || v instanceof DuckDBDateValue || v instanceof DuckDBUUIDValue) return v.toString();
  return String(v);
}

export { isoNs } from '../util/time.js';
