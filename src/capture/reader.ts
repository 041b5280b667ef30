/**
 * Reads a capture, checking everything a hostile or damaged file could get wrong, and recovering
 * every complete batch of a file that was cut short (recorder killed, disk full).
 *
 * We read the stream that follows the file's 8-byte magic, message by message, rather than the
 * footer: it is the same data for a complete file, and the only data a cut file still has. The
 * stream is read from the file descriptor in bounded chunks (never the whole file), so memory does
 * not grow with the file's size, and only regular files are opened (a FIFO would block, a device
 * like /dev/zero never ends).
 */
import { closeSync, constants as fsc, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { RecordBatchFileReader, RecordBatchStreamReader, type RecordBatch, type RecordBatchReader, type Schema } from 'apache-arrow';
import { arrowType } from './arrow-types.js';
import { COLUMNS, FORMAT_MAJOR, META, type Column, type HostInfo, type Kind, type SyscallTable, KINDS } from './schema.js';
import { UnsupportedCompression, useZstd, zstdReady } from './zstd.js';
import { attachBudget, BudgetError, FileBudget } from './budget.js';
import { Deferral, type Frame } from './defer.js';
import './harden.js';
import { CaptureError, errorMessage } from '../util/errors.js';
import { visible } from '../util/visible.js';

const MAGIC = Buffer.from('ARROW1');
/** Bytes per read of the message stream (a multiple of 8: message bodies stay 8-byte aligned). */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Files without a schema message after the magic are read whole, so only up to this size. */
const WHOLE_FILE_MAX = 256 * 1024 * 1024;

export interface CaptureMeta {
  path: string;
  version: string;
  host: HostInfo;
  syscalls: SyscallTable;
  options: Record<string, unknown>;
  recorder: { version?: string; started_at_ns?: string };
}

export interface ReadProblem {
  /** Human sentence for a warning line. */
  message: string;
}

export class CaptureReader {
  /** Set once iteration ends: why the file ended early, if it did. */
  problem: ReadProblem | null = null;
  batchesRead = 0;
  rowsRead = 0;

  private constructor(
    readonly meta: CaptureMeta,
    readonly schema: Schema,
    private readonly reader: RecordBatchReader,
    readonly fileBytes: number,
    private readonly complete: boolean,
    private fd: number | null,
    private readonly deferral: Deferral | null,
  ) {}

  static async open(path: string): Promise<CaptureReader> {
    await useZstd();
    return CaptureReader.openSync(path);
  }

  /**
   * open() without waiting: for callers that cannot await, once useZstd() has been awaited.
   * `defer`: batches of this kind keep their columns' frames compressed where they can (defer.ts;
   * framesOf() has them, and the batch holds zeros in their place).
   */
  static openSync(path: string, opts: { defer?: { kind: Kind; columns: Column[] } } = {}): CaptureReader {
    if (!zstdReady()) throw new Error('CaptureReader.openSync before useZstd()');
    const fd = openCaptureFile(path);
    try {
      const size = fstatSync(fd).size;
      if (size === 0) throw new CaptureError('empty', `${path}: empty file, not a capture`);
      const head = readAt(fd, 0, 8);
      if (size < 8 || !head.subarray(0, 6).equals(MAGIC)) throw new CaptureError('not-arrow', `${path}: not an Arrow file (no ARROW1 magic); is this a contxray capture?`);
      const complete = size >= 14 && readAt(fd, size - 6, 6).equals(MAGIC);
      const budget = new FileBudget(size);
      // The footer-read fallback (no schema message) defers nothing: it is for small, odd files.
      let deferral = opts.defer ? new Deferral(opts.defer.kind, opts.defer.columns) : null;
      let reader: RecordBatchReader;
      try {
        reader = RecordBatchStreamReader.from(fileChunks(fd, 8, size)) as RecordBatchReader;
        attachBudget((reader as unknown as { _impl: object })._impl, budget, deferral ?? undefined);
        reader.open();
      } catch (err) {
        // Writers that put no schema message after the magic (apache-arrow's own) still have a footer.
        if (!complete) throw new CaptureError('unreadable', `${path}: unreadable capture header (${errorMessage(err)})`, { cause: err });
        if (size > WHOLE_FILE_MAX)
          throw new CaptureError('too-big', `${path}: no schema message after the magic, and too big (${size} bytes) to read whole; rewrite it with a streaming Arrow writer`);
        deferral = null;
        try {
          reader = RecordBatchFileReader.from(readAt(fd, 0, size)) as RecordBatchReader;
          attachBudget((reader as unknown as { _impl: object })._impl, budget);
          reader.open();
        } catch {
          throw new CaptureError('unreadable', `${path}: unreadable Arrow file (${errorMessage(err)})`, { cause: err });
        }
      }
      if (!reader.schema) throw new CaptureError('no-schema', `${path}: no schema in file (cut before the first message?)`);
      const meta = checkSchema(path, reader.schema);
      return new CaptureReader(meta, reader.schema, reader, size, complete, fd, deferral);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Closes the file; batches() does this when it ends. Idempotent. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /**
   * Yields complete, validated batches with their kind; stops cleanly at the first damage.
   * Throws (exit 3) when nothing at all could be recovered, or when the file is refused outright
   * (a compression we do not read, a batch decoding to more than it can need).
   */
  *batches(): Generator<{ kind: Kind; batch: RecordBatch }> {
    try {
      for (;;) {
        let next: IteratorResult<RecordBatch>;
        try {
          next = this.reader.next() as IteratorResult<RecordBatch>;
        } catch (err) {
          if (err instanceof UnsupportedCompression) throw new CaptureError('compression', `${this.meta.path}: ${err.message}`, { cause: err });
          if (err instanceof BudgetError) throw new CaptureError('budget', `${this.meta.path}: refused after batch ${this.batchesRead}: ${err.message}`, { cause: err });
          this.problem = { message: `data ends or is damaged after batch ${this.batchesRead} (${errorMessage(err)})` };
          break;
        }
        if (next.done) break;
        const batch = next.value;
        let kind: Kind;
        try {
          kind = validateBatch(batch);
          if (this.deferral?.framesOf(batch) && kind !== this.deferral.kind) throw new Error(`a ${kind} batch sets every column of the ${this.deferral.kind} kind`);
        } catch (err) {
          this.problem = { message: `batch ${this.batchesRead + 1} is malformed (${errorMessage(err)})` };
          break;
        }
        this.batchesRead++;
        this.rowsRead += batch.numRows;
        yield { kind, batch };
      }
      if (!this.complete && !this.problem) this.problem = { message: 'file has no footer (recording was cut short)' };
      if (this.problem && this.batchesRead === 0) throw new CaptureError('truncated', `${this.meta.path}: ${this.problem.message}; no complete batch to recover`);
    } finally {
      this.close();
    }
  }

  /** The compressed frames of a deferred batch, by column name (see openSync's `defer`). */
  framesOf(batch: RecordBatch): Map<string, Frame> | undefined {
    return this.deferral?.framesOf(batch);
  }

  /** One-line warning for a recovered file, or null when the file was read whole. */
  warning(): string | null {
    if (!this.problem) return null;
    return `${this.meta.path}: ${this.problem.message}; recovered ${this.batchesRead} batches, ${this.rowsRead} events`;
  }
}

/** Opens a regular file for reading; anything else (FIFO, device, socket, directory) is refused by name. */
function openCaptureFile(path: string): number {
  let fd: number | null = null;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CaptureError('not-a-file', `${path} is a directory, not a capture file`);
    if (!st.isFile()) throw new CaptureError('not-a-file', `${path}: not a regular file (a FIFO, device or socket); captures are read from files only`);
    // O_NONBLOCK: should the path be swapped for a FIFO after the stat, open does not block on it.
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
    if (!fstatSync(fd).isFile()) throw new CaptureError('not-a-file', `${path}: not a regular file; captures are read from files only`);
    return fd;
  } catch (err) {
    if (fd !== null) closeSync(fd);
    if (err instanceof CaptureError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CaptureError('not-found', `${path}: no such file`, { cause: err });
    if (code === 'EACCES') throw new CaptureError('permission', `${path}: permission denied (captures are mode 0600; try sudo or chown)`, { cause: err });
    throw new CaptureError('unreadable', `${path}: cannot read (${errorMessage(err)})`, { cause: err });
  }
}

/** Exactly `length` bytes at `position` (fewer only at the end of the file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafeSlow(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The bytes from `start` to `end` as an iterator apache-arrow's stream reader pulls from; it passes
 * how many bytes it still needs, so a message body is read in one piece. Never past `end`: a body
 * length a damaged file declares cannot make us allocate more than the file holds.
 */
function fileChunks(fd: number, start: number, end: number): IterableIterator<Uint8Array> {
  let pos = start;
  const it: IterableIterator<Uint8Array> = {
    next(want?: number): IteratorResult<Uint8Array> {
      if (pos >= end) return { done: true, value: undefined };
      const wanted = Number.isFinite(want) && want! > CHUNK_BYTES ? Math.ceil(want! / 8) * 8 : CHUNK_BYTES;
      const chunk = readAt(fd, pos, Math.min(end - pos, wanted));
      if (chunk.byteLength === 0) return { done: true, value: undefined };
      pos += chunk.byteLength;
      return { done: false, value: chunk };
    },
    [Symbol.iterator]() {
      return it;
    },
  };
  return it;
}

function parseJson<T>(path: string, schema: Schema, key: string): T {
  const text = schema.metadata.get(key);
  if (text === undefined) throw new CaptureError('not-contxray', `${path}: not a contxray capture (missing ${key} metadata)`);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CaptureError('damaged-metadata', `${path}: damaged capture metadata (${key} is not JSON)`, { cause: err });
  }
}

/** Format marker, version and column types: a wrong file is named as such, not misread. */
function checkSchema(path: string, schema: Schema): CaptureMeta {
  if (schema.metadata.get(META.format) !== 'contxray') throw new CaptureError('not-contxray', `${path}: an Arrow file, but not a contxray capture`);
  const version = schema.metadata.get(META.version) ?? '';
  const major = Number(version.split('.')[0]);
  if (!Number.isInteger(major) || major < 1) throw new CaptureError('unknown-version', `${path}: unknown capture format version '${version}'`);
  if (major > FORMAT_MAJOR)
    throw new CaptureError('newer-format', `${path}: capture format ${version} is newer than this contxray reads (${FORMAT_MAJOR}.x); upgrade contxray`);
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  for (const c of COLUMNS) {
    const field = byName.get(c.name);
    if (!field) throw new CaptureError('wrong-schema', `${path}: capture lacks column '${c.name}' (wrong schema)`);
    if (String(field.type) !== String(arrowType(c.type, 0)) && !(c.type === 'dict' && String(field.type).startsWith('Dictionary<Int32, Utf8>')))
      throw new CaptureError('wrong-schema', `${path}: column '${c.name}' has type ${visible(String(field.type), 120)}, expected ${String(arrowType(c.type, 0))}`);
  }
  const host = parseJson<HostInfo>(path, schema, META.host);
  const syscalls = parseJson<SyscallTable>(path, schema, META.syscalls);
  if (typeof host?.hostname !== 'string' || typeof syscalls?.names !== 'object') throw new CaptureError('damaged-metadata', `${path}: damaged capture metadata (host or syscall table)`);
  return {
    path,
    version,
    host,
    syscalls,
    options: parseJson(path, schema, META.options),
    recorder: parseJson(path, schema, META.recorder),
  };
}

const KIND_SET = new Set<string>(KINDS);

/** A batch must be one known kind in every row, with every buffer as long as its row count needs. */
function validateBatch(batch: RecordBatch): Kind {
  const kinds = batch.getChild('kind');
  if (!kinds || batch.numRows === 0) throw new Error('empty batch');
  for (const data of batch.data.children) checkBuffers(data as never, batch.numRows);
  const first = kinds.get(0) as string | null;
  if (first === null || !KIND_SET.has(first)) throw new Error(`unknown event kind ${JSON.stringify(first)}`);
  const data = kinds.data[0]!;
  if (kinds.data.length !== 1 || data.nullCount !== 0) throw new Error('events without a kind');
  // Indices equal to the first row's are the same kind; others must name the same string.
  const idx = data.values as Int32Array;
  const first0 = idx[0]!;
  for (let i = 1; i < batch.numRows; i++) if (idx[i] !== first0 && kinds.get(i) !== first) throw new Error('mixed kinds in one batch');
  return first as Kind;
}

interface DataLike {
  length: number;
  offset: number;
  nullCount: number;
  values?: ArrayBufferView;
  valueOffsets?: Int32Array;
  nullBitmap?: Uint8Array;
  stride?: number;
  children: DataLike[];
  dictionary?: { length: number };
  type: { typeId: number; bitWidth?: number; byteWidth?: number };
}

function checkBuffers(data: DataLike, rows: number): void {
  if (data.length !== rows) throw new Error(`column length ${data.length} != ${rows}`);
  if (data.dictionary) checkDictionary(data.dictionary as unknown as { data: DataLike[] });
  if (data.nullCount === rows) return; // an unused column of this kind: never read
  if (!(data.nullCount >= 0 && data.nullCount <= rows)) throw new Error('bad null count');
  if (data.nullCount > 0 && (!data.nullBitmap || data.nullBitmap.byteLength * 8 < rows + data.offset)) throw new Error('short validity bitmap');
  const values = data.values as (ArrayBufferView & { length: number }) | undefined;
  if (data.valueOffsets) {
    if (data.valueOffsets.length < rows + 1) throw new Error('short offsets');
    const last = data.valueOffsets[rows]!;
    const first = data.valueOffsets[0]!;
    if (first < 0 || last < first) throw new Error('bad offsets');
    const childLen = data.children[0]?.length ?? (values ? values.length : 0);
    if (last > childLen) throw new Error('offsets past the end of the data');
    for (let i = 0; i < rows; i++) if (data.valueOffsets[i]! > data.valueOffsets[i + 1]!) throw new Error('offsets go backwards');
  } else if (values && data.type.typeId !== 6 /* Bool */) {
    const perRow = (data.stride ?? 1);
    if (values.length < rows * perRow) throw new Error('short data buffer');
  } else if (values && values.byteLength * 8 < rows) throw new Error('short boolean buffer');
  if (data.dictionary && values) {
    const n = data.dictionary.length;
    const idx = values as unknown as Int32Array;
    for (let i = 0; i < rows; i++) {
      // Unsigned compare: one test for < 0 and >= n.
      if (idx[i]! >>> 0 >= n && validAt(data, i)) throw new Error('dictionary index out of range');
    }
  }
  for (const child of data.children) if (!data.valueOffsets) checkBuffers(child, rows);
}

/** Dictionary chunks: as checked as the columns, since the loader walks every entry. */
function checkDictionary(dict: { data: DataLike[] }): void {
  for (const chunk of dict.data) {
    if (!chunk.valueOffsets || chunk.valueOffsets.length < chunk.length + 1) throw new Error('dictionary offsets shorter than the dictionary');
    const values = chunk.values as Uint8Array | undefined;
    const offsets = chunk.valueOffsets;
    if (offsets[0]! < 0 || offsets[chunk.length]! > (values?.length ?? 0)) throw new Error('dictionary offsets past the end of the data');
    for (let i = 0; i < chunk.length; i++) if (offsets[i]! > offsets[i + 1]!) throw new Error('dictionary offsets go backwards');
  }
}

function validAt(data: DataLike, i: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap) return true;
  return ((data.nullBitmap[(data.offset + i) >> 3]! >> ((data.offset + i) & 7)) & 1) === 1;
}
