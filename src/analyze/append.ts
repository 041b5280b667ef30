/**
 * Arrow record batches → DuckDB data chunks, without a per-row JavaScript object on the bulk path.
 * Numbers, timestamps and validity bitmaps are memory-copied from the Arrow buffers; booleans are
 * unpacked from bits; dictionary strings become UINTEGER ids into one `strings` table (ids are
 * remapped from each file's own dictionary so many captures share one id space); the few
 * non-dictionary strings (argv, labels, addresses) are set per value — they belong to rare kinds.
 * Used by the loader on the main thread and in its workers (load.ts, load-worker.ts).
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
import { KINDS, columnsOf, type Column, type ColumnType, type Kind } from '../capture/schema.js';

const CHUNK = 2048; // DuckDB's vector size

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
    'CREATE TABLE capture_files (capture_id USMALLINT, capture VARCHAR, path VARCHAR, host VARCHAR, kernel VARCHAR, arch VARCHAR, format_version VARCHAR, boot_time_ns VARCHAR, options VARCHAR, recorder VARCHAR, recorder_started_at TIMESTAMP_NS, warning VARCHAR, truncated_strings UBIGINT);',
    'CREATE TABLE syscall_names (capture_id USMALLINT, compat BOOLEAN, nr INTEGER, name VARCHAR, arch VARCHAR);',
  ].join('\n');
}

/** One id space for every dictionary string of every capture. */
export class GlobalStrings {
  private readonly ids = new Map<string, number>();
  get size(): number {
    return this.ids.size;
  }
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
function remapDictionary(column: Column, data: Data, strings: GlobalStrings, remap: Map<string, Int32Array>, cut: StringCaps): Uint32Array {
  const dict = (data as unknown as { dictionary: Vector }).dictionary;
  let map = remap.get(column.name) ?? new Int32Array(0);
  if (map.length < dict.length) {
    const grown = new Int32Array(dict.length);
    grown.set(map);
    // Entries are read as bytes and cut before they become JS strings: a hostile 10 MB path is
    // never decoded whole, let alone kept.
    let j = 0;
    for (const chunk of dict.data) {
      const offsets = chunk.valueOffsets as Int32Array;
      const bytes = chunk.values as Uint8Array;
      for (let k = 0; k < chunk.length; k++, j++) {
        if (j < map.length) continue;
        grown[j] = strings.idOf(cut.entry(column.name, j, bytes, offsets[k]!, offsets[k + 1]!, column.maxBytes));
      }
    }
    map = grown;
    remap.set(column.name, map);
  }
  const local = data.values as Int32Array;
  const out = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = map[local[i]!] ?? 0;
  return out;
}

/**
 * Cuts loaded strings to their column's cap (schema.ts `maxBytes`/`maxItems`) and counts the cuts:
 * values one per cut row, dictionary entries one per entry of the file. Entries are kept by name
 * (column and index), not counted, because a capture split across workers has each of them
 * remap the same dictionary: the union of their sets is what one reader would have counted.
 */
export class StringCaps {
  /** Cut values of plain string and list columns. */
  values = 0;
  /** `column/index` of every cut dictionary entry. */
  readonly entries = new Set<string>();

  get truncated(): number {
    return this.values + this.entries.size;
  }

  /** Dictionary entry `index` of `column`, cut like text(). */
  entry(column: string, index: number, bytes: Uint8Array, start: number, end: number, max = Infinity): string {
    if (end - start > max) {
      this.entries.add(`${column}/${index}`);
      end = cutEnd(bytes, start, max);
    }
    return utf8.decode(bytes.subarray(start, end));
  }

  /** UTF-8 bytes [start, end) as text, at most `max` bytes, cut on a character boundary. */
  text(bytes: Uint8Array, start: number, end: number, max = Infinity): string {
    if (end - start > max) {
      this.values++;
      end = cutEnd(bytes, start, max);
    }
    return utf8.decode(bytes.subarray(start, end));
  }

  /** Row `row` of a utf8 column. */
  utf8At(data: Data, row: number, max?: number): string {
    const offsets = data.valueOffsets as Int32Array;
    const i = data.offset + row;
    return this.text(data.values as Uint8Array, offsets[i]!, offsets[i + 1]!, max);
  }

  /** Row `row` of a list<utf8> column: at most maxItems elements and maxBytes bytes in all (one count per cut row). */
  listAt(data: Data, row: number, maxBytes = Infinity, maxItems = Infinity): string[] {
    const lists = data.valueOffsets as Int32Array;
    const child = data.children[0]!;
    const offsets = child.valueOffsets as Int32Array;
    const bytes = child.values as Uint8Array;
    const i = data.offset + row;
    const out: string[] = [];
    let left = maxBytes;
    let cut = false;
    for (let e = lists[i]!; e < lists[i + 1]!; e++) {
      if (out.length >= maxItems) {
        cut = true;
        break;
      }
      const start = offsets[child.offset + e]!;
      let end = offsets[child.offset + e + 1]!;
      if (end - start > left) {
        cut = true;
        end = cutEnd(bytes, start, left);
      }
      left -= end - start;
      out.push(utf8.decode(bytes.subarray(start, end)));
      if (cut) break;
    }
    if (cut) this.values++;
    return out;
  }
}

/** start + max, moved back so it does not split a UTF-8 character. */
function cutEnd(bytes: Uint8Array, start: number, max: number): number {
  let end = start + max;
  while (end > start && (bytes[end]! & 0xc0) === 0x80) end--;
  return end;
}

const utf8 = new TextDecoder('utf-8');

function unpackBits(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (bits[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1;
  return out;
}

export function appendBatch(app: DuckDBAppender, kind: Kind, batch: RecordBatch, captureId: number, strings: GlobalStrings, remap: Map<string, Int32Array>, cut: StringCaps): void {
  const cols = kindColumns(kind);
  const types = [USMALLINT, ...cols.map((c) => DUCK_TYPES[c.type])];
  const sources = cols.map((c) => {
    const vector = batch.getChild(c.name)!;
    const data = vector.data[0]!;
    if (c.type === 'dict') return { c, data, vector, bytes: remapDictionary(c, data, strings, remap, cut) as ArrayBufferView };
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
        chunk.setColumnValues(col, sliceValues(c, data, vector, r0, n, cut));
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

function sliceValues(c: Column, data: Data, vector: Vector, row0: number, n: number, cut: StringCaps): DuckDBValue[] {
  const out: DuckDBValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = row0 + i;
    if (!vector.isValid(row)) out[i] = null;
    else if (c.type === 'addr') out[i] = formatAddress(vector.get(row) as Uint8Array);
    else if (c.type === 'utf8_list') out[i] = listValue(cut.listAt(data, row, c.maxBytes, c.maxItems));
    else if (c.type === 'utf8') out[i] = cut.utf8At(data, row, c.maxBytes);
    else out[i] = String(vector.get(row));
  }
  return out;
}
