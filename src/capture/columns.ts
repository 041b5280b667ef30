/**
 * Turning column inputs (typed arrays from the native recorder, or JS arrays from fixtures and
 * container records) into Arrow Data, without a per-row object. Strings are dictionary-encoded
 * here with one Map lookup per value; invalid UTF-8 from a container is replaced (U+FFFD) so every
 * Arrow reader can decode the file, and the replacement is counted.
 */
import { isUtf8 } from 'node:buffer';
import { makeData, Vector, Utf8, type Data } from 'apache-arrow';

/** Strings in Arrow utf8 layout: offsets has n+1 entries into data. */
export interface Utf8Column {
  offsets: Int32Array;
  data: Uint8Array;
}
/** A list of strings per row (argv): listOffsets has n+1 entries into the strings. */
export interface Utf8ListColumn extends Utf8Column {
  listOffsets: Int32Array;
}
export type TypedColumn = Uint8Array | Uint16Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array;
export type ColumnInput =
  | TypedColumn
  | Utf8Column
  | Utf8ListColumn
  | ReadonlyArray<string | null>
  | ReadonlyArray<ReadonlyArray<string> | null>
  | ReadonlyArray<number | bigint | boolean | null>;

const encoder = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false });

export function isUtf8Column(x: unknown): x is Utf8Column {
  return typeof x === 'object' && x !== null && 'offsets' in x && 'data' in x && !('listOffsets' in x);
}
export function isUtf8ListColumn(x: unknown): x is Utf8ListColumn {
  return typeof x === 'object' && x !== null && 'listOffsets' in x;
}

/** Validity bitmap (1 = valid) from a predicate; null when every row is valid. */
export function validityOf(length: number, isValid: (i: number) => boolean): { bitmap: Uint8Array | null; nulls: number } {
  let nulls = 0;
  const bitmap = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) {
    if (isValid(i)) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { bitmap: null, nulls } : { bitmap, nulls };
}

/** Packs 0/1 bytes (or JS booleans) into an Arrow bit-packed boolean buffer. */
export function packBits(values: ArrayLike<number | boolean | bigint | null>, length: number): Uint8Array {
  const out = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (values[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** Makes every string valid UTF-8. Returns the input when it already is (the common case). */
export function sanitizeUtf8(bytes: Uint8Array, onReplace: () => void): Uint8Array {
  if (isUtf8(bytes)) return bytes;
  onReplace();
  return encoder.encode(lossy.decode(bytes));
}

/** Collects strings as Arrow utf8 (offsets + data) from byte slices or JS strings. */
export class Utf8Builder {
  private chunks: Uint8Array[] = [];
  private offsets: number[] = [0];
  private size = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
    this.offsets.push(this.size);
  }
  get length(): number {
    return this.offsets.length - 1;
  }
  finish(): Utf8Column {
    const data = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    return { offsets: Int32Array.from(this.offsets), data };
  }
}

export function utf8Data(col: Utf8Column, length: number, bitmap: Uint8Array | null, nulls: number): Data<Utf8> {
  return makeData({
    type: new Utf8(),
    length,
    nullCount: nulls,
    nullBitmap: bitmap ?? undefined,
    valueOffsets: col.offsets,
    data: col.data,
  });
}

/**
 * One dictionary per dict column for the whole file. The Arrow file format allows delta
 * dictionaries, not replacements: each batch carries the chunks seen so far plus, when new values
 * appeared, one new chunk, and apache-arrow's writer emits exactly that chunk as a delta.
 */
export class DictionaryEncoder {
  private readonly ids = new Map<string, number>();
  private readonly chunks: Data<Utf8>[] = [];
  private pending = new Utf8Builder();
  private vector: Vector<Utf8> | null = null;

  constructor(private readonly onInvalidUtf8: () => void) {}

  get size(): number {
    return this.ids.size;
  }

  /** Id of the string whose UTF-8 bytes are `bytes`, adding it when new. */
  idOfBytes(bytes: Uint8Array): number {
    // latin1 maps bytes 1:1 to a JS string: a cheap exact key, no UTF-8 decode per event.
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
      this.pending.push(sanitizeUtf8(bytes, this.onInvalidUtf8));
    }
    return id;
  }

  idOf(value: string): number {
    return this.idOfBytes(encoder.encode(value));
  }

  /** The dictionary vector to attach to this batch's indices (adds the pending chunk). */
  dictionary(): Vector<Utf8> {
    if (this.pending.length > 0 || this.vector === null) {
      const col = this.pending.finish();
      this.chunks.push(utf8Data(col, this.pending.length, null, 0));
      this.pending = new Utf8Builder();
      this.vector = new Vector(this.chunks.slice());
    }
    return this.vector;
  }
}
