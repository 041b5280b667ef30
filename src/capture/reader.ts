/**
 * Reads a capture, checking everything a hostile or damaged file could get wrong, and recovering
 * every complete batch of a file that was cut short (recorder killed, disk full).
 *
 * We read the stream that follows the file's 8-byte magic, message by message, rather than the
 * footer: it is the same data for a complete file, and the only data a cut file still has.
 */
import { readFileSync, statSync } from 'node:fs';
import { RecordBatchFileReader, RecordBatchStreamReader, type RecordBatch, type RecordBatchReader, type Schema } from 'apache-arrow';
import { arrowType } from './arrow-types.js';
import { COLUMNS, FORMAT_MAJOR, META, type HostInfo, type Kind, type SyscallTable, KINDS } from './schema.js';
import { useZstd } from './zstd.js';
import './harden.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';

const MAGIC = Buffer.from('ARROW1');

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
  ) {}

  static async open(path: string): Promise<CaptureReader> {
    await useZstd();
    const bytes = readCaptureBytes(path);
    if (bytes.byteLength === 0) throw new CliError(`${path}: empty file, not a capture`, EXIT.input);
    if (bytes.byteLength < 8 || !bytes.subarray(0, 6).equals(MAGIC)) throw new CliError(`${path}: not an Arrow file (no ARROW1 magic); is this a contxray capture?`, EXIT.input);
    const complete = bytes.byteLength >= 14 && bytes.subarray(bytes.byteLength - 6).equals(MAGIC);
    let reader: RecordBatchReader;
    try {
      reader = RecordBatchStreamReader.from(bytes.subarray(8)) as RecordBatchReader;
      reader.open();
    } catch (err) {
      // Writers that put no schema message after the magic (apache-arrow's own) still have a footer.
      if (!complete) throw new CliError(`${path}: unreadable capture header (${errorMessage(err)})`, EXIT.input);
      try {
        reader = RecordBatchFileReader.from(bytes) as RecordBatchReader;
        reader.open();
      } catch {
        throw new CliError(`${path}: unreadable Arrow file (${errorMessage(err)})`, EXIT.input);
      }
    }
    if (!reader.schema) throw new CliError(`${path}: no schema in file (cut before the first message?)`, EXIT.input);
    const meta = checkSchema(path, reader.schema);
    return new CaptureReader(meta, reader.schema, reader, bytes.byteLength, complete);
  }

  /** Yields complete, validated batches with their kind; stops cleanly at the first damage. */
  *batches(): Generator<{ kind: Kind; batch: RecordBatch }> {
    for (;;) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = this.reader.next() as IteratorResult<RecordBatch>;
      } catch (err) {
        this.problem = { message: `data ends or is damaged after batch ${this.batchesRead} (${errorMessage(err)})` };
        return;
      }
      if (next.done) break;
      const batch = next.value;
      let kind: Kind;
      try {
        kind = validateBatch(batch);
      } catch (err) {
        this.problem = { message: `batch ${this.batchesRead + 1} is malformed (${errorMessage(err)})` };
        return;
      }
      this.batchesRead++;
      this.rowsRead += batch.numRows;
      yield { kind, batch };
    }
    if (!this.complete && !this.problem) this.problem = { message: 'file has no footer (recording was cut short)' };
  }

  /** One-line warning for a recovered file, or null when the file was read whole. */
  warning(): string | null {
    if (!this.problem) return null;
    return `${this.meta.path}: ${this.problem.message}; recovered ${this.batchesRead} batches, ${this.rowsRead} events`;
  }
}

function readCaptureBytes(path: string): Buffer {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CliError(`${path} is a directory, not a capture file`, EXIT.input);
    return readFileSync(path);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${path}: no such file`, EXIT.input);
    if (code === 'EACCES') throw new CliError(`${path}: permission denied (captures are mode 0600; try sudo or chown)`, EXIT.input);
    throw new CliError(`${path}: cannot read (${errorMessage(err)})`, EXIT.input);
  }
}

function parseJson<T>(path: string, schema: Schema, key: string): T {
  const text = schema.metadata.get(key);
  if (text === undefined) throw new CliError(`${path}: not a contxray capture (missing ${key} metadata)`, EXIT.input);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`${path}: damaged capture metadata (${key} is not JSON)`, EXIT.input);
  }
}

/** Format marker, version and column types: a wrong file is named as such, not misread. */
function checkSchema(path: string, schema: Schema): CaptureMeta {
  if (schema.metadata.get(META.format) !== 'contxray') throw new CliError(`${path}: an Arrow file, but not a contxray capture`, EXIT.input);
  const version = schema.metadata.get(META.version) ?? '';
  const major = Number(version.split('.')[0]);
  if (!Number.isInteger(major) || major < 1) throw new CliError(`${path}: unknown capture format version '${version}'`, EXIT.input);
  if (major > FORMAT_MAJOR)
    throw new CliError(`${path}: capture format ${version} is newer than this contxray reads (${FORMAT_MAJOR}.x); upgrade contxray`, EXIT.input);
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  for (const c of COLUMNS) {
    const field = byName.get(c.name);
    if (!field) throw new CliError(`${path}: capture lacks column '${c.name}' (wrong schema)`, EXIT.input);
    if (String(field.type) !== String(arrowType(c.type, 0)) && !(c.type === 'dict' && String(field.type).startsWith('Dictionary<Int32, Utf8>')))
      throw new CliError(`${path}: column '${c.name}' has type ${String(field.type)}, expected ${String(arrowType(c.type, 0))}`, EXIT.input);
  }
  const host = parseJson<HostInfo>(path, schema, META.host);
  const syscalls = parseJson<SyscallTable>(path, schema, META.syscalls);
  if (typeof host?.hostname !== 'string' || typeof syscalls?.names !== 'object') throw new CliError(`${path}: damaged capture metadata (host or syscall table)`, EXIT.input);
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

/** A batch must be one known kind, with every buffer as long as its row count needs. */
function validateBatch(batch: RecordBatch): Kind {
  const kinds = batch.getChild('kind');
  if (!kinds || batch.numRows === 0) throw new Error('empty batch');
  const first = kinds.get(0) as string | null;
  if (first === null || !KIND_SET.has(first)) throw new Error(`unknown event kind ${JSON.stringify(first)}`);
  if (kinds.get(batch.numRows - 1) !== first) throw new Error('mixed kinds in one batch');
  for (const data of batch.data.children) checkBuffers(data as never, batch.numRows);
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
