/**
 * Bounds on what reading a capture may decode, checked BEFORE decoding: a capture is a few bytes of
 * ZSTD that can declare gigabytes (a 98 KB file once drove `analyze` to 2.1 GB, a 1.2 MB one past
 * 8 GiB). apache-arrow decodes every buffer of a batch before handing the batch over, so the bound
 * has to sit inside its batch loading: we wrap its `_loadRecordBatch` / `_loadDictionaryBatch` and
 * charge the size each ZSTD frame declares (zstd.ts) against what the batch can need.
 *
 * What a batch can need: its fixed-width columns N rows × width (+ a validity byte per row, + slack
 * per buffer for offsets' extra entry and padding), plus STRING_BYTES_PER_BATCH for all its
 * variable-width data (string bytes, list elements). Dictionary batches: N entries × (offset +
 * validity) plus the same string allowance, and all dictionaries of a file (they stay in memory for
 * the whole read) share DICTIONARY_BYTES_PER_FILE. Per file, decoded bytes stay within
 * FILE_DECODE_BASE + FILE_DECODE_RATIO × file size, which bounds the time a small file can cost.
 * Documented in docs/capture-format.md ("Limits").
 *
 * The same wrapper is where a load defers frames (defer.ts): it sees the batch's header and body
 * before apache-arrow decompresses anything, so it can plan which frames to keep compressed.
 */
import { COLUMNS, type ColumnType } from './schema.js';
import { CompressionType, type Schema } from 'apache-arrow';
import { UnsupportedCompression, withDecodeBudget, withFrameSink, type DecodeBudget } from './zstd.js';
import type { Deferral } from './defer.js';

/** Rows per record batch and entries per dictionary batch a reader accepts (the writer writes ≤ 2^17). */
export const MAX_READ_ROWS = 1 << 18;
/** Decoded variable-width bytes (strings, list elements) one batch may hold. */
export const STRING_BYTES_PER_BATCH = 128 * 1024 * 1024;
/** Decoded dictionary bytes one file may hold (dictionaries live for the whole read). */
export const DICTIONARY_BYTES_PER_FILE = 256 * 1024 * 1024;
/** Decoded bytes per file: this much plus FILE_DECODE_RATIO × the file's size. */
export const FILE_DECODE_BASE = 1024 * 1024 * 1024;
export const FILE_DECODE_RATIO = 1000;

const PER_BUFFER_SLACK = 64;
const WIDTH: Record<ColumnType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i32: 4, i64: 8, bool: 1, timestamp: 8, dict: 4, utf8: 4, utf8_list: 4, addr: 16 };
/** Bytes per row of every column's fixed-width buffers (validity counted as a byte, generously). */
const FIXED_ROW_BYTES = COLUMNS.reduce((n, c) => n + 1 + WIDTH[c.type], 0);

/** A capture that decodes to more than its shape can need: refused, not recovered from. */
export class BudgetError extends Error {}

const mb = (n: number) => `${(n / 1048576).toFixed(n < 1048576 ? 3 : 0)} MB`;

/** Decoded-byte accounting for one file. */
export class FileBudget {
  private decoded = 0;
  private dictionaryBytes = 0;
  readonly maxDecoded: number;

  constructor(fileBytes: number) {
    this.maxDecoded = FILE_DECODE_BASE + FILE_DECODE_RATIO * fileBytes;
  }

  /** A budget for one batch of `rows` rows with `buffers` buffers. */
  batch(rows: number, buffers: number, dictionary: boolean): DecodeBudget {
    if (!Number.isSafeInteger(rows) || rows < 0 || rows > MAX_READ_ROWS)
      throw new BudgetError(`a ${dictionary ? 'dictionary' : 'record'} batch declares ${rows} rows (at most ${MAX_READ_ROWS} are read)`);
    const fixed = dictionary ? rows * 5 : rows * FIXED_ROW_BYTES;
    let left = fixed + buffers * PER_BUFFER_SLACK + STRING_BYTES_PER_BATCH;
    const allowed = left;
    return {
      charge: (bytes: number) => {
        if (bytes > left) throw new BudgetError(`a batch of ${rows} rows decodes to more than ${mb(allowed)} (a ZSTD frame declares ${mb(bytes)}): decompression bomb or damage`);
        left -= bytes;
        this.decoded += bytes;
        if (this.decoded > this.maxDecoded) throw new BudgetError(`the file decodes to more than ${mb(this.maxDecoded)}: decompression bomb or damage`);
        if (dictionary) {
          this.dictionaryBytes += bytes;
          if (this.dictionaryBytes > DICTIONARY_BYTES_PER_FILE) throw new BudgetError(`its dictionaries decode to more than ${mb(DICTIONARY_BYTES_PER_FILE)}`);
        }
      },
    };
  }
}

const BUDGET = Symbol.for('contxray.capture.fileBudget');
const INSTALLED = Symbol.for('contxray.capture.budgetInstalled');
const DEFERRAL = Symbol.for('contxray.capture.deferral');

interface BatchHeader {
  length: number;
  buffers: unknown[];
  data?: BatchHeader; // dictionary batches carry their record batch here
  compression?: { type: number } | null;
}
type Impl = Record<symbol, unknown> & { schema: Schema };
type Loader = (this: Impl, header: BatchHeader, ...rest: unknown[]) => unknown;

/**
 * Attaches `budget` to an apache-arrow reader implementation (RecordBatchReader's `_impl`) and
 * wraps its batch loading (once per class) so every decoded buffer is charged. `deferral`: record
 * batches it plans for keep some frames compressed (defer.ts).
 */
export function attachBudget(impl: object, budget: FileBudget, deferral?: Deferral): void {
  (impl as Record<symbol, FileBudget>)[BUDGET] = budget;
  if (deferral) (impl as Record<symbol, Deferral>)[DEFERRAL] = deferral;
  let proto: object | null = Object.getPrototypeOf(impl);
  while (proto && !Object.prototype.hasOwnProperty.call(proto, '_loadRecordBatch')) proto = Object.getPrototypeOf(proto);
  if (!proto) throw new Error('apache-arrow reader without _loadRecordBatch: budget cannot be attached');
  const p = proto as Record<string | symbol, unknown>;
  if (p[INSTALLED]) return;
  for (const [name, dictionary] of [['_loadRecordBatch', false], ['_loadDictionaryBatch', true]] as const) {
    const original = p[name] as Loader;
    p[name] = function (this: Impl, header: BatchHeader, ...rest: unknown[]) {
      const file = this[BUDGET] as FileBudget | undefined;
      if (!file) return original.call(this, header, ...rest);
      const h = dictionary ? header.data! : header;
      // apache-arrow would call a missing codec damage; it is a file we do not read.
      const type = h.compression?.type;
      if (type != null && type !== CompressionType.ZSTD) throw new UnsupportedCompression(CompressionType[type] ?? `type ${type}`);
      const charged = file.batch(Number(h.length), h.buffers.length, dictionary);
      const deferral = dictionary || type == null ? undefined : (this[DEFERRAL] as Deferral | undefined);
      const sink = deferral?.plan(this.schema, header as never, rest[0] as Uint8Array) ?? null;
      if (!sink) return withDecodeBudget(charged, () => original.call(this, header, ...rest));
      const batch = withDecodeBudget(charged, () => withFrameSink(sink, () => original.call(this, header, ...rest))) as object;
      deferral!.keep(batch, sink);
      return batch;
    } as Loader;
  }
  p[INSTALLED] = true;
}
