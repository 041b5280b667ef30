/**
 * Deferred decompression: a reader asked to (the load's Parquet shim, src/analyze/parquet-shim.ts)
 * keeps the ZSTD frames of one kind's fixed-width columns as they are in the file, instead of
 * decompressing them, and apache-arrow gets a view of shared zeros in their place. The frames are
 * then handed, still compressed, to a reader that decompresses them on its own threads (DuckDB).
 *
 * A batch is deferred only when its shape is the kind's and every frame can be passed on as is:
 * each of the kind's columns has a value in every row (no validity to translate), and each
 * fixed-width value buffer is one ZSTD frame declaring its rows' bytes (+ at most a padding). Any
 * other batch is decompressed as usual. Deferred frames are charged to the decode budget
 * (budget.ts) like decompressed ones: their declared sizes are what the other reader allocates.
 * A deferred batch whose kind column names another kind is damage (the reader stops there:
 * reader.ts), so a frame never stands in for the zeros another kind would read.
 */
import { DataType, type Field, type Schema } from 'apache-arrow';
import type { Column, Kind } from './schema.js';
import { frameContentSize, type FrameSink } from './zstd.js';

/** A kept frame: the compressed bytes (a view into the file's chunk) and the size it declares. */
export interface Frame {
  zstd: Uint8Array;
  size: number;
}

/** Bytes per row of a passed-on column's values; booleans are bits. */
const BYTES: Partial<Record<Column['type'], number>> = { u32: 4, i32: 4, u64: 8, i64: 8, timestamp: 8 };
/** Frames may declare this much beyond their rows' bytes (writers pad buffers to 8 or 64 bytes). */
const MAX_PADDING = 64;

interface Header {
  length: number | bigint;
  nodes: { length: number | bigint; nullCount: number | bigint }[];
  buffers: { offset: number | bigint; length: number | bigint }[];
}

interface Place {
  column: Column;
  node: number;
  /** Index of the value buffer (the one after validity). */
  buffer: number;
}

export class Deferral {
  private places: Place[] | null = null;
  private readonly kept = new WeakMap<object, Map<string, Frame>>();

  /**
   * `columns`: the kind's columns, all required in a deferred batch; those of a fixed-width or
   * boolean type are kept compressed, the others (dictionary ids) decompressed as usual.
   */
  constructor(
    readonly kind: Kind,
    private readonly columns: Column[],
  ) {}

  /** Whether a column's frames are kept (rather than decompressed). */
  static passes(c: Column): boolean {
    return c.type === 'bool' || BYTES[c.type] !== undefined;
  }

  /** A sink taking this batch's frames, or null when the batch is decompressed as usual. */
  plan(schema: Schema, header: Header, body: Uint8Array): Sink | null {
    const rows = Number(header.length);
    if (!(rows > 0)) return null;
    const places = (this.places ??= placesOf(schema, this.columns));
    if (places.length !== this.columns.length) return null;
    const wanted = new Map<number, string>();
    for (const p of places) {
      const node = header.nodes[p.node];
      if (!node || Number(node.nullCount) !== 0 || Number(node.length) !== rows) return null;
      if (!Deferral.passes(p.column)) continue;
      const region = header.buffers[p.buffer];
      if (!region) return null;
      const offset = Number(region.offset);
      const length = Number(region.length);
      if (!(offset >= 0 && length > 8 && offset + length <= body.byteLength)) return null;
      const view = new DataView(body.buffer, body.byteOffset + offset, 8);
      if (view.getBigInt64(0, true) === -1n) return null; // stored uncompressed
      const frame = body.subarray(offset + 8, offset + length);
      let declared: number;
      try {
        declared = frameContentSize(frame);
      } catch {
        return null; // the usual path names the damage
      }
      const need = p.column.type === 'bool' ? Math.ceil(rows / 8) : rows * BYTES[p.column.type]!;
      if (declared < need || declared > need + MAX_PADDING) return null;
      wanted.set(body.byteOffset + offset + 8, p.column.name);
    }
    return new Sink(body.buffer, wanted);
  }

  /** Records what `sink` kept as `batch`'s frames. */
  keep(batch: object, sink: Sink): void {
    if (sink.frames.size !== sink.expected) throw new Error(`a deferred batch kept ${sink.frames.size} of ${sink.expected} frames`);
    this.kept.set(batch, sink.frames);
  }

  /** The frames kept for `batch` (by column name), if it was deferred. */
  framesOf(batch: object): Map<string, Frame> | undefined {
    return this.kept.get(batch);
  }
}

/** Takes the frames a plan wants, recognised by where they sit in the batch's body. */
export class Sink implements FrameSink {
  readonly frames = new Map<string, Frame>();
  readonly expected: number;

  constructor(
    private readonly buffer: ArrayBufferLike,
    private readonly wanted: Map<number, string>,
  ) {
    this.expected = wanted.size;
  }

  take(data: Uint8Array, size: number): boolean {
    if (data.buffer !== this.buffer) return false;
    const name = this.wanted.get(data.byteOffset);
    if (name === undefined) return false;
    this.frames.set(name, { zstd: data, size });
    return true;
  }
}

/** Where each column's field node and value buffer are in a record batch of `schema`. */
function placesOf(schema: Schema, columns: Column[]): Place[] {
  const at = new Map<string, { node: number; buffer: number }>();
  let node = 0;
  let buffer = 0;
  const walk = (f: Field, top: boolean) => {
    if (top) at.set(f.name, { node, buffer: buffer + 1 });
    node++;
    buffer += buffersOf(f.type);
    for (const child of f.type.children ?? []) walk(child, false);
  };
  for (const f of schema.fields) walk(f, true);
  const places: Place[] = [];
  for (const column of columns) {
    const p = at.get(column.name);
    if (p) places.push({ column, ...p });
  }
  return places;
}

/** Buffers of one field node (its children's come after): validity plus its own. */
function buffersOf(type: DataType): number {
  if (DataType.isUtf8(type) || DataType.isBinary(type) || DataType.isLargeUtf8(type) || DataType.isLargeBinary(type)) return 3;
  if (DataType.isList(type)) return 2;
  if (DataType.isStruct(type) || DataType.isFixedSizeList(type)) return 1;
  if (DataType.isNull(type)) return 0;
  return 2; // ints, floats, bools, timestamps, fixed-size binary, dictionary indices
}
