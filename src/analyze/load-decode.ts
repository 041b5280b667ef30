/**
 * Arrow record batches → column buffers ready to be copied into DuckDB data chunks (append.ts does
 * the copying). No DuckDB here: this half of a load also runs in the load worker, which decodes
 * while the main thread appends (load-pipeline.ts).
 *
 * Numbers, timestamps and validity bitmaps stay the Arrow buffers (or private copies of them, when
 * they are transferred to another thread); booleans are unpacked from bits; dictionary strings
 * become ids into one `strings` table (remapped from each file's own dictionary so many captures
 * share one id space); the few non-dictionary strings (argv, labels, addresses) become plain
 * values, cut to their column's cap.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { formatAddress } from '../capture/addr.js';
import { isPrivate } from '../capture/private-buffers.js';
import { columnsOf, type Column, type ColumnType, type Kind } from '../capture/schema.js';

/** Bytes per value of the columns copied as they are. */
export const WIDTH: Partial<Record<ColumnType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, i32: 4, i64: 8, timestamp: 8, dict: 4, bool: 1 };

/** The kind with most rows in any capture (in-kernel syscall aggregates): stored in parallel (load-feed.ts, load-shim.ts). */
export const BULK_KIND: Kind = 'syscall';

export function kindColumns(kind: Kind): Column[] {
  return columnsOf(kind).filter((c) => c.name !== 'kind');
}

/** A plain value of a string column: text, a list of texts, or null. */
export type PlainValue = string | string[] | null;

/** One column of a decoded batch: fixed-width bytes (with validity bits) or plain values. */
export interface DecodedColumn {
  /** `rows × WIDTH[type]` bytes at least (checked again before any copy). */
  bytes: Uint8Array | null;
  /** Validity bits of the rows, starting at bit `validityOffset`; null: none is null. */
  validity: Uint8Array | null;
  validityOffset: number;
  /** For columns without fixed-width bytes. */
  values: PlainValue[] | null;
}

/** A batch as columns in kindColumns(kind) order; plain data, so it crosses threads. */
export interface DecodedBatch {
  kind: Kind;
  rows: number;
  columns: DecodedColumn[];
}

/** One id space for every dictionary string of every capture. */
export class GlobalStrings {
  private readonly ids = new Map<string, number>();
  /** Strings given ids since the last takeNew() (the load worker sends them along with its batches). */
  private fresh: string[] = [];
  get size(): number {
    return this.ids.size;
  }
  idOf(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(value, id);
      this.fresh.push(value);
    }
    return id;
  }
  /** The strings numbered since the last call, in id order. */
  takeNew(): string[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }
  /** Appends strings numbered elsewhere (by the load worker), in the order they were numbered there. */
  addAll(values: string[]): void {
    for (const v of values) if (this.idOf(v) !== this.ids.size - 1) throw new Error('string ids out of step with the load worker');
    this.fresh = [];
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

/**
 * Cuts loaded strings to their column's cap (schema.ts `maxBytes`/`maxItems`) and counts the cuts:
 * values one per cut row, dictionary entries one per entry of the file (kept by `column/index`).
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

/** Global ids for a batch's dictionary indices (extending the file's mapping for new entries). */
export function remapDictionary(column: Column, data: Data, strings: GlobalStrings, remap: Map<string, Int32Array>, cut: StringCaps): Uint32Array {
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

function unpackBits(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (bits[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1;
  return out;
}

export function asBytes(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export interface DecodeState {
  strings: GlobalStrings;
  /** Per column of the current file: its dictionary index → global string id. */
  remap: Map<string, Int32Array>;
  cut: StringCaps;
}

/**
 * `view` of a buffer the caller may transfer to another thread: the view itself when its buffer
 * is a decoded one of its own (private-buffers.ts), else a copy (Arrow's buffers may be views into
 * the file's chunks, Node's buffer pool or the one shared zero buffer).
 */
function transferable(view: Uint8Array): Uint8Array {
  return isPrivate(view.buffer) ? view : view.slice();
}

/**
 * The batch's columns. `own`: every buffer is one the caller may transfer to another thread
 * (transferable()); the batch must not be read after they are.
 */
export function decodeBatch(kind: Kind, batch: RecordBatch, state: DecodeState, own = false): DecodedBatch {
  const rows = batch.numRows;
  const columns = kindColumns(kind).map((c): DecodedColumn => {
    const vector = batch.getChild(c.name)!;
    const data = vector.data[0]!;
    let validity: Uint8Array | null = null;
    let validityOffset = 0;
    if (data.nullCount > 0) {
      const bits = data.nullBitmap;
      const first = data.offset >> 3;
      const end = Math.ceil((data.offset + rows) / 8);
      if (!bits || end > bits.byteLength) throw new Error('validity bitmap shorter than its row count');
      validity = own ? transferable(bits.subarray(first, end)) : bits.subarray(first, end);
      validityOffset = data.offset & 7;
    }
    let bytes: Uint8Array | null = null;
    if (c.type === 'dict') bytes = asBytes(remapDictionary(c, data, state.strings, state.remap, state.cut));
    else if (c.type === 'bool') bytes = unpackBits(data.values as Uint8Array, data.offset, rows);
    else if (WIDTH[c.type]) {
      const all = asBytes(data.values as ArrayBufferView);
      const size = rows * WIDTH[c.type]!;
      if (size > all.byteLength) throw new Error('column buffer shorter than its row count');
      bytes = own ? transferable(all.subarray(0, size)) : all.subarray(0, size);
    }
    return { bytes, validity, validityOffset, values: bytes ? null : plainValues(c, data, vector, rows, state.cut) };
  });
  return { kind, rows, columns };
}

function plainValues(c: Column, data: Data, vector: Vector, rows: number, cut: StringCaps): PlainValue[] {
  const out: PlainValue[] = new Array(rows);
  for (let row = 0; row < rows; row++) {
    if (!vector.isValid(row)) out[row] = null;
    else if (c.type === 'addr') out[row] = formatAddress(vector.get(row) as Uint8Array);
    else if (c.type === 'utf8_list') out[row] = cut.listAt(data, row, c.maxBytes, c.maxItems);
    else if (c.type === 'utf8') out[row] = cut.utf8At(data, row, c.maxBytes);
    else out[row] = String(vector.get(row));
  }
  return out;
}

/** The buffers of a decoded batch (made with `own`), each once, to transfer rather than copy. */
export function transferList(batch: DecodedBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const c of batch.columns) {
    if (c.bytes) out.add(c.bytes.buffer as ArrayBuffer);
    if (c.validity) out.add(c.validity.buffer as ArrayBuffer);
  }
  return [...out];
}
