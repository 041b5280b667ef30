/**
 * Captures → DuckDB, without a per-row JavaScript object on the bulk path.
 *
 * Each kind has its own table `ev_<kind>` holding only that kind's columns. Numbers, timestamps and
 * validity bitmaps go into DuckDB data chunks by memory copy from the Arrow buffers; booleans are
 * unpacked from bits; dictionary strings become UINTEGER ids into one global `strings` table (ids
 * are remapped from each file's own dictionary so many captures share one id space); the few
 * non-dictionary strings (argv, labels, addresses) are set per value — they belong to rare kinds.
 */
import duckdb from '@duckdb/node-bindings';
import {
  BOOLEAN,
  DuckDBDataChunk,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  INTEGER,
  BIGINT,
  TIMESTAMP_NS,
  VARCHAR,
  LIST,
  listValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { formatAddress } from '../capture/addr.js';
import { CaptureReader, type CaptureMeta } from '../capture/reader.js';
import { KINDS, columnsOf, type Column, type ColumnType, type Kind } from '../capture/schema.js';

const CHUNK = 2048; // DuckDB's vector size

const DUCK_TYPES: Record<ColumnType, DuckDBType> = {
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
const WIDTH: Partial<Record<ColumnType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, i32: 4, i64: 8, timestamp: 8 };

export function kindColumns(kind: Kind): Column[] {
  return columnsOf(kind).filter((c) => c.name !== 'kind');
}

/** DDL for the raw tables; names are ours, never from a capture. */
export function tableDdl(): string {
  const tables = KINDS.map((kind) => {
    const cols = kindColumns(kind).map((c) => `"${c.name}" ${DUCK_TYPES[c.type].toString()}`);
    return `CREATE TABLE ev_${kind} (capture_id USMALLINT, ${cols.join(', ')});`;
  });
  return [
    ...tables,
    'CREATE TABLE strings (id UINTEGER PRIMARY KEY, value VARCHAR);',
    'CREATE TABLE capture_files (capture_id USMALLINT, capture VARCHAR, path VARCHAR, host VARCHAR, kernel VARCHAR, arch VARCHAR, format_version VARCHAR, boot_time_ns VARCHAR, options VARCHAR, recorder VARCHAR, recorder_started_at TIMESTAMP_NS, warning VARCHAR);',
    'CREATE TABLE syscall_names (capture_id USMALLINT, compat BOOLEAN, nr INTEGER, name VARCHAR, arch VARCHAR);',
  ].join('\n');
}

export interface LoadResult {
  rows: number;
  warnings: string[];
  metas: CaptureMeta[];
}

export type Progress = (info: { path: string; rows: number; bytes: number }) => void;

/** Loads captures into an open connection whose tables were created with tableDdl(). */
export async function loadCaptures(conn: DuckDBConnection, paths: string[], progress?: Progress): Promise<LoadResult> {
  const strings = new GlobalStrings();
  const appenders = new Map<Kind, DuckDBAppender>();
  for (const kind of KINDS) appenders.set(kind, await conn.createAppender(`ev_${kind}`));
  const warnings: string[] = [];
  const metas: CaptureMeta[] = [];
  let rows = 0;
  for (const [captureId, path] of paths.entries()) {
    const reader = await CaptureReader.open(path);
    const remap = new Map<string, Int32Array>(); // column -> local dictionary id -> global id
    for (const { kind, batch } of reader.batches()) {
      appendBatch(appenders.get(kind)!, kind, batch, captureId, strings, remap);
      rows += batch.numRows;
      progress?.({ path, rows, bytes: reader.fileBytes });
    }
    const warning = reader.warning();
    if (warning) warnings.push(warning);
    metas.push(reader.meta);
    await insertCaptureMeta(conn, captureId, reader.meta, warning);
  }
  for (const a of appenders.values()) a.closeSync();
  await strings.store(conn);
  return { rows, warnings, metas };
}

async function insertCaptureMeta(conn: DuckDBConnection, id: number, meta: CaptureMeta, warning: string | null): Promise<void> {
  const name = meta.path.split('/').pop()!;
  const started = meta.recorder.started_at_ns && /^\d+$/.test(meta.recorder.started_at_ns) ? BigInt(meta.recorder.started_at_ns) : null;
  await conn.run(
    'INSERT INTO capture_files VALUES ($id, $name, $path, $host, $kernel, $arch, $version, $boot, $options, $recorder, make_timestamp_ns($started::BIGINT), $warning)',
    {
      id,
      name,
      path: meta.path,
      host: String(meta.host.hostname),
      kernel: String(meta.host.kernel ?? ''),
      arch: String(meta.host.arch ?? ''),
      version: meta.version,
      boot: String(meta.host.boot_time_ns ?? ''),
      options: JSON.stringify(meta.options),
      recorder: JSON.stringify(meta.recorder),
      started: started ?? 0n,
      warning,
    },
  );
  const app = await conn.createAppender('syscall_names');
  const tables: [boolean, string, Record<string, string> | undefined][] = [
    [false, meta.syscalls.arch, meta.syscalls.names],
    [true, meta.syscalls.compat_arch ?? '', meta.syscalls.compat_names],
  ];
  for (const [compat, arch, names] of tables) {
    for (const [nr, name] of Object.entries(names ?? {})) {
      if (!/^\d+$/.test(nr)) continue;
      app.appendUSmallInt(id);
      app.appendBoolean(compat);
      app.appendInteger(Number(nr));
      app.appendVarchar(String(name));
      app.appendVarchar(arch);
      app.endRow();
    }
  }
  app.closeSync();
}

/** One id space for every dictionary string of every capture. */
class GlobalStrings {
  private readonly ids = new Map<string, number>();
  idOf(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(value, id);
    }
    return id;
  }
  async store(conn: DuckDBConnection): Promise<void> {
    const app = await conn.createAppender('strings');
    for (const [value, id] of this.ids) {
      app.appendUInteger(id);
      app.appendVarchar(value);
      app.endRow();
    }
    app.closeSync();
  }
}

/** Global ids for a batch's dictionary indices (extending the file's mapping for new entries). */
function remapDictionary(column: string, data: Data, strings: GlobalStrings, remap: Map<string, Int32Array>): Uint32Array {
  const dict = (data as unknown as { dictionary: Vector }).dictionary;
  let map = remap.get(column) ?? new Int32Array(0);
  if (map.length < dict.length) {
    const grown = new Int32Array(dict.length);
    grown.set(map);
    for (let j = map.length; j < dict.length; j++) grown[j] = strings.idOf(String(dict.get(j) ?? ''));
    map = grown;
    remap.set(column, map);
  }
  const local = data.values as Int32Array;
  const out = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = map[local[i]!] ?? 0;
  return out;
}

function unpackBits(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (bits[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1;
  return out;
}

function appendBatch(app: DuckDBAppender, kind: Kind, batch: RecordBatch, captureId: number, strings: GlobalStrings, remap: Map<string, Int32Array>): void {
  const cols = kindColumns(kind);
  const types = [USMALLINT, ...cols.map((c) => DUCK_TYPES[c.type])];
  const sources = cols.map((c) => {
    const vector = batch.getChild(c.name)!;
    const data = vector.data[0]!;
    if (c.type === 'dict') return { c, data, vector, bytes: remapDictionary(c.name, data, strings, remap) as ArrayBufferView };
    if (c.type === 'bool') return { c, data, vector, bytes: unpackBits(data.values as Uint8Array, data.offset, data.length) as ArrayBufferView };
    if (WIDTH[c.type]) return { c, data, vector, bytes: data.values as ArrayBufferView };
    return { c, data, vector, bytes: null };
  });
  const captureIds = new Uint16Array(CHUNK).fill(captureId);
  // One chunk per batch, reset between slices; vectors are fetched once (each fetch crosses N-API).
  let chunk = DuckDBDataChunk.create(types, CHUNK);
  const hasValues = sources.some((s) => s.bytes === null);
  let vectors = types.map((_, i) => duckdb.data_chunk_get_vector(chunk.chunk, i));
  for (let r0 = 0; r0 < batch.numRows; r0 += CHUNK) {
    const n = Math.min(CHUNK, batch.numRows - r0);
    if (r0 > 0) {
      if (hasValues) {
        // The value-setting path keeps per-vector state in JS; a fresh chunk keeps it honest.
        chunk = DuckDBDataChunk.create(types, n);
        vectors = types.map((_, i) => duckdb.data_chunk_get_vector(chunk.chunk, i));
      } else duckdb.data_chunk_reset(chunk.chunk);
    }
    if (hasValues) chunk.rowCount = n;
    copyInto(vectors[0]!, captureIds, 0, n, 2);
    sources.forEach(({ c, data, vector, bytes }, i) => {
      const col = i + 1;
      if (bytes) {
        const width = c.type === 'dict' ? 4 : c.type === 'bool' ? 1 : WIDTH[c.type]!;
        copyInto(vectors[col]!, bytes, r0, n, width);
        if (data.nullCount > 0) copyValidity(vectors[col]!, data, r0, n);
      } else {
        chunk.setColumnValues(col, sliceValues(c.type, vector, r0, n));
      }
    });
    duckdb.data_chunk_set_size(chunk.chunk, n);
    app.appendDataChunk(chunk);
  }
}

/** Bounds are checked here, not trusted: the copy below is a raw memcpy. */
function copyInto(vector: duckdb.Vector, src: ArrayBufferView, row0: number, n: number, width: number): void {
  if ((row0 + n) * width > src.byteLength) throw new Error('column buffer shorter than its row count');
  duckdb.copy_data_to_vector(vector, 0, src.buffer as ArrayBuffer, src.byteOffset + row0 * width, n * width);
}

function copyValidity(vector: duckdb.Vector, data: Data, row0: number, n: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  const bits = data.nullBitmap!;
  const start = data.offset + row0;
  if (!bits || Math.ceil((start + n) / 8) > bits.byteLength) throw new Error('validity bitmap shorter than its row count');
  if (start % 8 === 0) {
    duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer as ArrayBuffer, bits.byteOffset + start / 8, Math.ceil(n / 8));
  } else {
    const validity = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
    for (let i = 0; i < n; i++) if (!((bits[(start + i) >> 3]! >> ((start + i) & 7)) & 1)) duckdb.validity_set_row_invalid(validity, i);
  }
}

function sliceValues(type: ColumnType, vector: Vector, row0: number, n: number): DuckDBValue[] {
  const out: DuckDBValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = vector.isValid(row0 + i) ? toDuck(type, vector.get(row0 + i)) : null;
  return out;
}

function toDuck(type: ColumnType, v: unknown): DuckDBValue {
  if (v == null) return null;
  if (type === 'addr') return formatAddress(v as Uint8Array);
  if (type === 'utf8_list') return listValue([...(v as Iterable<string>)].map(String));
  return String(v);
}
