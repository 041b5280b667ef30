/**
 * Writes a capture: one Arrow IPC file, ZSTD-compressed record batches of one kind each.
 *
 * The bytes go to disk at every `writeBatch` (the recorder calls it at least once a second), so a
 * recorder killed at any moment leaves a file whose complete batches can be recovered by reading
 * the stream that follows the 8-byte magic (see reader.ts). See docs/capture-format.md.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writevSync } from 'node:fs';
import { CompressionType, RecordBatch, RecordBatchFileWriter, RecordBatchWriter, Struct, makeData, type Schema } from 'apache-arrow';
import { captureSchema } from './arrow-types.js';
import { encodeColumn, nullColumn, type EncodeContext } from './encode.js';
import { DictionaryEncoder, type ColumnInput } from './columns.js';
import { COLUMNS, FORMAT_VERSION, META, columnsOf, type HostInfo, type Kind, type SyscallTable } from './schema.js';
import { useZstd } from './zstd.js';
import { OutputError, errorMessage } from '../util/errors.js';
import { EXCL_FLAGS, PRIVATE_FILE, existsError, openSiblingTemp } from '../util/outfile.js';

export interface CaptureMetadata {
  host: HostInfo;
  syscalls: SyscallTable;
  options: Record<string, unknown>;
  recorder: { version: string; started_at_ns: string };
}

/** Rows per record batch: big enough to compress well, small enough to read in bounded memory. */
export const MAX_BATCH_ROWS = 1 << 17;
const PREFIX = 8; // bytes of the uncompressed-length prefix of each compressed buffer

/**
 * apache-arrow 21.2.0's file writer has two problems we correct here:
 *  - it writes the *compressed* length in each buffer's 8-byte prefix; the format wants the
 *    uncompressed length (its own reader ignores the value, pyarrow does not);
 *  - it writes no schema message after the magic, so the stream part of the file cannot be read
 *    on its own, which is exactly what recovering a cut file needs.
 * And it buffers all output; we hand every message straight to the file instead.
 */
class FileSink extends RecordBatchFileWriter {
  private queue: Uint8Array[] = [];

  constructor(private readonly fd: number) {
    super({ compressionType: CompressionType.ZSTD });
  }

  protected override _write(chunk: ArrayBufferView): this {
    // `_started` is the base writer's flag; bytes before start are not part of the file.
    const self = this as unknown as { _started: boolean; _position: number };
    if (self._started && chunk.byteLength > 0) {
      this.queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice());
      self._position += chunk.byteLength;
    }
    return this;
  }

  protected override _writeSchema(schema: Schema): this {
    const self = this as unknown as { _writeMagic(): FileSink; _writePadding(n: number): FileSink };
    self._writeMagic();
    self._writePadding(2);
    // The stream writer's _writeSchema emits the schema message.
    const streamWriteSchema = (RecordBatchWriter.prototype as unknown as { _writeSchema(s: Schema): unknown })._writeSchema;
    streamWriteSchema.call(this, schema);
    return this;
  }

  protected override _compressBodyBuffers(buffers: ArrayBufferView[]) {
    let offset = 0;
    const out: Uint8Array[] = [];
    const regions: { offset: number; length: number }[] = [];
    for (const view of buffers) {
      const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      if (raw.byteLength === 0) {
        out.push(new Uint8Array(0), new Uint8Array(0));
        regions.push({ offset, length: 0 });
        continue;
      }
      const packed = compressBuffer(raw);
      const useCompressed = packed.byteLength < raw.byteLength;
      const body = useCompressed ? packed : raw;
      const prefix = new DataView(new ArrayBuffer(PREFIX));
      prefix.setBigInt64(0, useCompressed ? BigInt(raw.byteLength) : -1n, true);
      out.push(new Uint8Array(prefix.buffer), body);
      offset += ((offset + 7) & ~7) - offset;
      regions.push({ offset, length: PREFIX + body.byteLength });
      offset += PREFIX + body.byteLength;
    }
    offset += ((offset + 7) & ~7) - offset;
    // BufferRegion is a plain {offset, length} record in apache-arrow's metadata.
    return { byteLength: offset, bufferRegions: regions as never, buffers: out };
  }

  /**
   * Sends everything queued to the file, in writevs of up to 1024 messages. A short write (the
   * disk filling up) is resumed where it stopped, so the error comes from the next write and the
   * file never has a gap.
   */
  drainTo(): number {
    let bytes = 0;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, 1024);
      let n = writevSync(this.fd, batch);
      bytes += n;
      let done = 0;
      while (done < batch.length && n >= batch[done]!.byteLength) n -= batch[done++]!.byteLength;
      if (n > 0) batch[done] = batch[done]!.subarray(n);
      this.queue.splice(0, 1024, ...batch.slice(done));
    }
    return bytes;
  }
}

let compressBuffer: (b: Uint8Array) => Uint8Array = () => {
  throw new Error('zstd not initialised');
};

export interface CreateOptions {
  force?: boolean;
}

export class CaptureWriter {
  private readonly dictionaries = new Map<string, DictionaryEncoder>();
  private readonly sink: FileSink;
  private readonly schema: Schema;
  private closed = false;
  /** Strings that were not valid UTF-8 and were repaired (U+FFFD), counted as a stat. */
  invalidUtf8 = 0;
  bytesWritten = 0;
  rowsWritten = 0;
  /** Rows whose batches are wholly in the file (all writes returned), and when that was last true. */
  rowsOnDisk = 0;
  onDiskAt = Date.now();
  /** The write error (ENOSPC, EIO …) after which nothing more is written; close() then only closes. */
  failed: NodeJS.ErrnoException | null = null;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    meta: CaptureMetadata,
  ) {
    const metadata = new Map<string, string>([
      [META.format, 'contxray'],
      [META.version, FORMAT_VERSION],
      [META.host, JSON.stringify(meta.host)],
      [META.syscalls, JSON.stringify(meta.syscalls)],
      [META.options, JSON.stringify(meta.options)],
      [META.recorder, JSON.stringify(meta.recorder)],
    ]);
    this.schema = captureSchema(metadata);
    for (const c of COLUMNS) if (c.type === 'dict') this.dictionaries.set(c.name, new DictionaryEncoder(() => this.invalidUtf8++));
    this.sink = new FileSink(fd);
    this.sink.reset(undefined, this.schema);
    this.bytesWritten += this.sink.drainTo();
  }

  /**
   * Creates the file, mode 0600 (captures hold secrets from argv), owned by us, never through a
   * symlink. Without force: O_EXCL|O_NOFOLLOW at the name, so anything already there (file,
   * symlink, dangling symlink) is refused. With force: a fresh O_EXCL|O_NOFOLLOW file next to it,
   * renamed over the name at once (rename replaces a planted symlink or file, it never writes
   * through it); we keep writing that fd, so a recorder killed at any moment still leaves a
   * readable capture under the name asked for.
   */
  static async create(path: string, meta: CaptureMetadata, opts: CreateOptions = {}): Promise<CaptureWriter> {
    const codec = await useZstd();
    compressBuffer = (b) => codec.compress(b, 3);
    let fd: number;
    if (opts.force) {
      const tmp = openSiblingTemp(path);
      fd = tmp.fd;
      try {
        renameSync(tmp.path, path);
      } catch (err) {
        closeSync(fd);
        rmSync(tmp.path, { force: true });
        throw new OutputError('create-failed', `cannot create ${path}: ${errorMessage(err)}`, { cause: err });
      }
    } else {
      try {
        fd = openSync(path, EXCL_FLAGS, PRIVATE_FILE);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ELOOP') throw existsError(path);
        throw new OutputError('create-failed', `cannot create ${path}: ${errorMessage(err)}`, { cause: err });
      }
      fchmodSync(fd, PRIVATE_FILE);
    }
    try {
      return new CaptureWriter(fd, path, meta);
    } catch (err) {
      closeSync(fd);
      throw new OutputError('disk', `cannot write ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Id of a string in a dict column's dictionary (for callers that encode ahead). */
  dictionary(column: string): DictionaryEncoder {
    const d = this.dictionaries.get(column);
    if (!d) throw new Error(`${column} is not a dictionary column`);
    return d;
  }

  /**
   * Writes `length` events of one kind. `columns` must hold every column of that kind (see
   * columnsOf); other columns are written as nulls. Large inputs are split into several batches.
   */
  writeBatch(kind: Kind, length: number, columns: Record<string, ColumnInput>): void {
    if (this.closed) throw new Error('capture writer is closed');
    if (this.failed) throw this.failed;
    if (length === 0) return;
    for (let start = 0; start < length; start += MAX_BATCH_ROWS) {
      const end = Math.min(length, start + MAX_BATCH_ROWS);
      this.writeSlice(kind, start, end, columns);
    }
    this.drain();
  }

  private drain(): void {
    try {
      this.bytesWritten += this.sink.drainTo();
    } catch (err) {
      this.failed = err as NodeJS.ErrnoException;
      throw err;
    }
    this.rowsOnDisk = this.rowsWritten;
    this.onDiskAt = Date.now();
  }

  private writeSlice(kind: Kind, start: number, end: number, columns: Record<string, ColumnInput>): void {
    const length = end - start;
    const ctx: EncodeContext = { start, end, dictionaries: this.dictionaries, onInvalidUtf8: () => this.invalidUtf8++ };
    const wanted = new Set(columnsOf(kind).map((c) => c.name));
    const children = this.schema.fields.map((field, i) => {
      const column = COLUMNS[i]!;
      if (column.name === 'kind') return encodeColumn(column, field.type, new Array(length).fill(kind), { ...ctx, start: 0, end: length });
      if (!wanted.has(column.name)) return nullColumn(column, field.type, length, this.dictionaries);
      const input = columns[column.name];
      if (input === undefined) throw new Error(`${kind} batch lacks column ${column.name}`);
      return encodeColumn(column, field.type, input, ctx);
    });
    const struct = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children });
    this.sink.write(new RecordBatch(this.schema, struct));
    this.rowsWritten += length;
  }

  /** Forces written batches to stable storage (the recorder calls this about once a second). */
  sync(): void {
    if (this.failed) throw this.failed;
    try {
      fsyncSync(this.fd);
    } catch (err) {
      this.failed = err as NodeJS.ErrnoException;
      throw err;
    }
  }

  /**
   * Writes the footer and closes the file. Idempotent. After a write error it only closes the fd:
   * the file is then a cut capture (no footer) that readers recover up to the last whole batch.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.failed) {
      closeSync(this.fd);
      return;
    }
    try {
      this.sink.finish();
      this.drain();
      fsyncSync(this.fd);
    } catch (err) {
      this.failed ??= err as NodeJS.ErrnoException;
      closeSync(this.fd);
      throw err;
    }
    closeSync(this.fd);
  }
}
