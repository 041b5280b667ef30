/**
 * The one event builder of the test support, derived from the column table (src/capture/schema.ts):
 * row objects (the scenario, the samples: through writeCaptureFromRows) and typed column batches
 * (the synthetic generator) are checked against columnsOf(kind), so a misspelt or misplaced field
 * fails loudly, and a column a builder does not set is null, so a new column in the table needs no
 * edit here.
 */
import { columnsOf, type Kind } from '../../src/capture/schema.js';
import type { ColumnInput } from '../../src/capture/columns.js';

export type Row = { kind: Kind } & Record<string, unknown>;

function checkNames(kind: Kind, names: Iterable<string>): void {
  const declared = new Set(columnsOf(kind).map((c) => c.name));
  for (const n of names) if (!declared.has(n)) throw new Error(`a ${kind} event has no column ${n} (see src/capture/schema.ts)`);
}

/** One event row; fields are column names of that kind. */
export function event(kind: Kind, fields: Record<string, unknown>): Row {
  checkNames(kind, Object.keys(fields));
  return { ...fields, kind };
}

/** Rows of one kind → one array per column of that kind (null where a row does not set it). */
export function rowsToColumns(kind: Kind, rows: Row[]): Record<string, unknown[]> {
  for (const r of rows) checkNames(kind, Object.keys(r));
  const columns: Record<string, unknown[]> = {};
  for (const c of columnsOf(kind)) {
    if (c.name === 'kind') continue;
    columns[c.name] = rows.map((r) => normalize(r[c.name], c.type));
  }
  return columns;
}

/** Typed columns for CaptureWriter.writeBatch: names checked, columns not given filled with null. */
export function batch(kind: Kind, length: number, columns: Record<string, ColumnInput>): Record<string, ColumnInput> {
  checkNames(kind, Object.keys(columns));
  const out: Record<string, ColumnInput> = {};
  for (const c of columnsOf(kind)) {
    if (c.name === 'kind') continue;
    out[c.name] = columns[c.name] ?? (new Array(length).fill(null) as ColumnInput);
  }
  return out;
}

export function toNs(v: unknown): bigint | null {
  if (v == null) return null;
  if (v instanceof Date) return BigInt(v.getTime()) * 1_000_000n;
  return BigInt(v as number | bigint);
}

function normalize(v: unknown, type: string): unknown {
  if (v === undefined) v = null;
  if (type === 'timestamp') return toNs(v);
  if (type === 'bool') return v == null ? null : Boolean(v);
  if (type === 'utf8' && v != null && typeof v === 'object') return JSON.stringify(v);
  return v;
}
