/**
 * Decoded batches (load-decode.ts) → DuckDB data chunks, without a per-row JavaScript object on
 * the bulk path: fixed-width columns and validity bitmaps are memory-copied into the chunk's
 * vectors; the few plain string values (argv, labels, addresses) are set per value — they belong
 * to rare kinds. Runs where the database is: on the main thread (load.ts, load-pipeline.ts).
 */
import type { DataChunk, Vector } from '@duckdb/node-bindings';
import type { DuckDBAppender, DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { api, bindings as duckdb } from './duckdb.js';
import { KINDS, type Column, type ColumnType, type Kind } from '../capture/schema.js';
import { kindColumns, WIDTH, type DecodedBatch, type PlainValue } from './load-decode.js';

export { GlobalStrings, StringCaps, kindColumns, type DecodeState } from './load-decode.js';

const { BOOLEAN, DuckDBDataChunk, UBIGINT, UINTEGER, USMALLINT, UTINYINT, INTEGER, BIGINT, TIMESTAMP_NS, VARCHAR, LIST, listValue } = api;

export const CHUNK = 2048; // DuckDB's vector size

export const DUCK_TYPES: Record<ColumnType, DuckDBType> = {
  u8: UTINYINT,
  u16: USMALLINT,
  u32: UINTEGER,
  u64: UBIGINT,
  i32: INTEGER,
  i64: BIGINT,
  bool: BOOLEAN,
  timestamp: TIMESTAMP_NS,
  dict: UINTEGER,
  utf8: VARCHAR,
  utf8_list: LIST(VARCHAR),
  addr: VARCHAR,
};
/** DDL for the raw tables; names are ours, never from a capture. */
export function tableDdl(): string {
  const tables = KINDS.map((kind) => {
    const cols = kindColumns(kind).map((c) => `"${c.name}" ${DUCK_TYPES[c.type].toString()}`);
    return `CREATE TABLE ev_${kind} (capture_id USMALLINT, ${cols.join(', ')});`;
  });
  return [
    ...tables,
    'CREATE TABLE strings (id UINTEGER PRIMARY KEY, value VARCHAR);',
    'CREATE TABLE capture_files (capture_id USMALLINT, capture VARCHAR, path VARCHAR, host VARCHAR, kernel VARCHAR, arch VARCHAR, format_version VARCHAR, boot_time_ns VARCHAR, options VARCHAR, recorder VARCHAR, recorder_started_at TIMESTAMP_NS, warning VARCHAR, truncated_strings UBIGINT);',
    'CREATE TABLE syscall_names (capture_id USMALLINT, compat BOOLEAN, nr INTEGER, name VARCHAR, arch VARCHAR);',
  ].join('\n');
}

/**
 * Runs `fn` with an appender per kind's table (tableDdl()), all closed (flushed) after it in one
 * transaction (one commit, not one per table), whatever happens.
 */
export async function withAppenders<T>(conn: DuckDBConnection, fn: (appenders: Map<Kind, DuckDBAppender>) => Promise<T>): Promise<T> {
  const appenders = new Map<Kind, DuckDBAppender>();
  await conn.run('BEGIN TRANSACTION');
  let ok = false;
  try {
    for (const kind of KINDS) appenders.set(kind, await conn.createAppender(`ev_${kind}`));
    const result = await fn(appenders);
    ok = true;
    return result;
  } finally {
    try {
      for (const a of appenders.values()) a.closeSync();
    } finally {
      await conn.run(ok ? 'COMMIT' : 'ROLLBACK');
    }
  }
}

/** Appends a decoded batch to its kind's appender, a data chunk of up to 2048 rows at a time. */
export function appendDecoded(app: DuckDBAppender, batch: DecodedBatch, captureId: number): void {
  const cols = checkedColumns(batch);
  const types = [USMALLINT, ...cols.map((c) => DUCK_TYPES[c.type])];
  const captureIds = captureIdColumn(captureId);
  // One chunk per batch, reset between slices; vectors are fetched once (each fetch crosses N-API).
  let chunk = DuckDBDataChunk.create(types, CHUNK);
  const hasValues = batch.columns.some((s) => s.bytes === null);
  let vectors = types.map((_, i) => duckdb.data_chunk_get_vector(chunk.chunk, i));
  for (let r0 = 0; r0 < batch.rows; r0 += CHUNK) {
    const n = Math.min(CHUNK, batch.rows - r0);
    if (r0 > 0) {
      if (hasValues) {
        // The value-setting path keeps per-vector state in JS; a fresh chunk keeps it honest.
        chunk = DuckDBDataChunk.create(types, n);
        vectors = types.map((_, i) => duckdb.data_chunk_get_vector(chunk.chunk, i));
      } else duckdb.data_chunk_reset(chunk.chunk);
    }
    if (hasValues) chunk.rowCount = n;
    fillFixed(vectors, batch, cols, captureIds, r0, n);
    batch.columns.forEach(({ values }, i) => {
      if (values) chunk.setColumnValues(i + 1, duckValues(values, r0, n));
    });
    duckdb.data_chunk_set_size(chunk.chunk, n);
    app.appendDataChunk(chunk);
  }
}

/** The batch's columns, checked against its kind's. */
export function checkedColumns(batch: DecodedBatch): Column[] {
  const cols = kindColumns(batch.kind);
  if (batch.columns.length !== cols.length) throw new Error(`a decoded ${batch.kind} batch has ${batch.columns.length} columns, not ${cols.length}`);
  return cols;
}

/** A chunk's worth of one capture id (the first column of every event table). */
export function captureIdColumn(captureId: number): Uint16Array {
  return new Uint16Array(CHUNK).fill(captureId);
}

/**
 * Rows [r0, r0 + n) of the batch's fixed-width columns (and the capture id) memory-copied into
 * `vectors` (the chunk's, capture id first); n ≤ 2048. Plain-value columns are left to the caller.
 */
export function fillFixed(vectors: Vector[], batch: DecodedBatch, cols: Column[], captureIds: Uint16Array, r0: number, n: number): void {
  copyInto(vectors[0]!, captureIds, 0, n, 2);
  batch.columns.forEach(({ bytes, validity, validityOffset }, i) => {
    if (!bytes) return;
    const vector = vectors[i + 1]!;
    copyInto(vector, bytes, r0, n, WIDTH[cols[i]!.type]!);
    if (validity) copyValidity(vector, validity, validityOffset + r0, n);
  });
}

/** Bounds are checked here, not trusted: the copy below is a raw memcpy. */
function copyInto(vector: Vector, src: ArrayBufferView, row0: number, n: number, width: number): void {
  if ((row0 + n) * width > src.byteLength) throw new Error('column buffer shorter than its row count');
  duckdb.copy_data_to_vector(vector, 0, src.buffer as ArrayBuffer, src.byteOffset + row0 * width, n * width);
}

/** Rows [start, start + n) of a validity bitmap (bit `start` is the chunk's first row). */
function copyValidity(vector: Vector, bits: Uint8Array, start: number, n: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  if (Math.ceil((start + n) / 8) > bits.byteLength) throw new Error('validity bitmap shorter than its row count');
  if (start % 8 === 0) {
    duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer as ArrayBuffer, bits.byteOffset + start / 8, Math.ceil(n / 8));
  } else {
    const validity = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
    for (let i = 0; i < n; i++) if (!((bits[(start + i) >> 3]! >> ((start + i) & 7)) & 1)) duckdb.validity_set_row_invalid(validity, i);
  }
}

function duckValues(values: PlainValue[], row0: number, n: number): DuckDBValue[] {
  const out: DuckDBValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[row0 + i];
    out[i] = v === undefined || v === null ? null : Array.isArray(v) ? listValue(v) : v;
  }
  return out;
}
