/**
 * Column input → Arrow Data for one column of one batch slice [start, end).
 * Typed arrays (the recorder's path) are sliced without copying; JS arrays (fixtures, container
 * records) are converted once.
 */
import { makeData, type Data, type DataType, type Dictionary, type FixedSizeBinary, type List } from 'apache-arrow';
import {
  Utf8Builder,
  isUtf8Column,
  isUtf8ListColumn,
  packBits,
  sanitizeUtf8,
  utf8Data,
  validityOf,
  type ColumnInput,
  type DictionaryEncoder,
  type Utf8Column,
} from './columns.js';
import { parseAddress } from './addr.js';
import type { Column } from './schema.js';

export interface EncodeContext {
  start: number;
  end: number;
  dictionaries: Map<string, DictionaryEncoder>;
  onInvalidUtf8: () => void;
}

const encoder = new TextEncoder();
let zeros = new ArrayBuffer(1 << 20);
function zeroBytes(n: number): Uint8Array {
  if (zeros.byteLength < n) zeros = new ArrayBuffer(n);
  return new Uint8Array(zeros, 0, n);
}

const BYTES: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, timestamp: 8 };
type Ctor = { new (n: number): ArrayLike<unknown>; from(x: Iterable<unknown>): unknown };
const CTORS: Record<string, Ctor> = {
  u8: Uint8Array as unknown as Ctor,
  u16: Uint16Array as unknown as Ctor,
  u32: Uint32Array as unknown as Ctor,
  i32: Int32Array as unknown as Ctor,
  u64: BigUint64Array as unknown as Ctor,
  i64: BigInt64Array as unknown as Ctor,
  timestamp: BigInt64Array as unknown as Ctor,
};

/** All-null column of `length` rows: zeroed buffers, zero validity. */
export function nullColumn(column: Column, type: DataType, length: number, dictionaries: Map<string, DictionaryEncoder>): Data {
  const nullBitmap = zeroBytes((length + 7) >> 3).slice();
  const base = { type, length, nullCount: length, nullBitmap };
  switch (column.type) {
    case 'dict':
      return makeData({ ...base, type: type as Dictionary, data: new Int32Array(length), dictionary: dictionaries.get(column.name)!.dictionary() });
    case 'utf8':
      return utf8Data({ offsets: new Int32Array(length + 1), data: new Uint8Array(0) }, length, nullBitmap, length);
    case 'utf8_list':
      return makeData({
        ...base,
        type: type as List,
        valueOffsets: new Int32Array(length + 1),
        child: utf8Data({ offsets: new Int32Array(1), data: new Uint8Array(0) }, 0, null, 0),
      });
    case 'addr':
      return makeData({ ...base, type: type as FixedSizeBinary, data: new Uint8Array(length * 16) });
    case 'bool':
      return makeData({ ...base, type, data: new Uint8Array((length + 7) >> 3) } as never);
    default: {
      const ctor = CTORS[column.type]!;
      return makeData({ ...base, type, data: new ctor(length) } as never);
    }
  }
}

export function encodeColumn(column: Column, type: DataType, input: ColumnInput, ctx: EncodeContext): Data {
  const { start, end } = ctx;
  const length = end - start;
  switch (column.type) {
    case 'dict':
      return encodeDict(column, type as Dictionary, input, ctx);
    case 'utf8': {
      const col = isUtf8Column(input) ? sliceUtf8(input, start, end, ctx) : utf8FromStrings(input as (string | null)[], start, end);
      const v = Array.isArray(input) ? validityOf(length, (i) => (input as unknown[])[start + i] != null) : { bitmap: null, nulls: 0 };
      return utf8Data(col, length, v.bitmap, v.nulls);
    }
    case 'utf8_list':
      return encodeList(type as List, input, ctx);
    case 'addr': {
      if (input instanceof Uint8Array) return makeData({ type: type as FixedSizeBinary, length, data: input.subarray(start * 16, end * 16) });
      const arr = input as (string | null)[];
      const data = new Uint8Array(length * 16);
      for (let i = 0; i < length; i++) {
        const text = arr[start + i];
        if (text != null) data.set(parseAddress(text), i * 16);
      }
      const v = validityOf(length, (i) => arr[start + i] != null);
      return makeData({ type: type as FixedSizeBinary, length, data, nullBitmap: v.bitmap ?? undefined, nullCount: v.nulls });
    }
    case 'bool': {
      const arr = input as ArrayLike<number | boolean | null>;
      const slice = ArrayBuffer.isView(arr) ? (arr as Uint8Array).subarray(start, end) : Array.prototype.slice.call(arr, start, end);
      const v = ArrayBuffer.isView(arr) ? { bitmap: null, nulls: 0 } : validityOf(length, (i) => (slice as unknown[])[i] != null);
      return makeData({ type, length, data: packBits(slice as ArrayLike<number>, length), nullBitmap: v.bitmap ?? undefined, nullCount: v.nulls } as never);
    }
    default:
      return encodeNumbers(column, type, input, ctx);
  }
}

function encodeNumbers(column: Column, type: DataType, input: ColumnInput, { start, end }: EncodeContext): Data {
  const length = end - start;
  if (ArrayBuffer.isView(input)) {
    const typed = input as unknown as { subarray(a: number, b: number): ArrayBufferView; BYTES_PER_ELEMENT: number };
    if (typed.BYTES_PER_ELEMENT !== BYTES[column.type]) throw new Error(`column ${column.name}: wrong typed array width`);
    return makeData({ type, length, data: typed.subarray(start, end) } as never);
  }
  const arr = input as ReadonlyArray<number | bigint | Date | null>;
  const ctor = CTORS[column.type]!;
  const data = new ctor(length) as unknown as Record<number, number | bigint>;
  const wide = BYTES[column.type] === 8;
  for (let i = 0; i < length; i++) {
    const v = arr[start + i];
    if (v == null) continue;
    const n = v instanceof Date ? BigInt(v.getTime()) * 1_000_000n : v;
    data[i] = wide ? BigInt(n) : Number(n);
  }
  const v = validityOf(length, (i) => arr[start + i] != null);
  return makeData({ type, length, data, nullBitmap: v.bitmap ?? undefined, nullCount: v.nulls } as never);
}

function encodeDict(column: Column, type: Dictionary, input: ColumnInput, ctx: EncodeContext): Data {
  const { start, end } = ctx;
  const length = end - start;
  const dict = ctx.dictionaries.get(column.name)!;
  const indices = new Int32Array(length);
  let v: { bitmap: Uint8Array | null; nulls: number } = { bitmap: null, nulls: 0 };
  if (isUtf8Column(input)) {
    const { offsets, data } = input;
    for (let i = 0; i < length; i++) indices[i] = dict.idOfBytes(data.subarray(offsets[start + i]!, offsets[start + i + 1]!));
  } else {
    const arr = input as ReadonlyArray<string | null>;
    for (let i = 0; i < length; i++) {
      const s = arr[start + i];
      if (s != null) indices[i] = dict.idOf(String(s));
    }
    v = validityOf(length, (i) => arr[start + i] != null);
  }
  return makeData({ type, length, data: indices, dictionary: dict.dictionary(), nullBitmap: v.bitmap ?? undefined, nullCount: v.nulls });
}

function sliceUtf8(col: Utf8Column, start: number, end: number, ctx: EncodeContext): Utf8Column {
  const b = new Utf8Builder();
  for (let i = start; i < end; i++) b.push(sanitizeUtf8(col.data.subarray(col.offsets[i]!, col.offsets[i + 1]!), ctx.onInvalidUtf8));
  return b.finish();
}

function utf8FromStrings(arr: ReadonlyArray<string | null>, start: number, end: number): Utf8Column {
  const b = new Utf8Builder();
  for (let i = start; i < end; i++) b.push(encoder.encode(arr[i] ?? ''));
  return b.finish();
}

function encodeList(type: List, input: ColumnInput, ctx: EncodeContext): Data {
  const { start, end } = ctx;
  const length = end - start;
  const strings = new Utf8Builder();
  const listOffsets = new Int32Array(length + 1);
  let v: { bitmap: Uint8Array | null; nulls: number } = { bitmap: null, nulls: 0 };
  if (isUtf8ListColumn(input)) {
    for (let i = 0; i < length; i++) {
      const from = input.listOffsets[start + i]!;
      const to = input.listOffsets[start + i + 1]!;
      for (let s = from; s < to; s++) strings.push(sanitizeUtf8(input.data.subarray(input.offsets[s]!, input.offsets[s + 1]!), ctx.onInvalidUtf8));
      listOffsets[i + 1] = strings.length;
    }
  } else {
    const arr = input as ReadonlyArray<ReadonlyArray<string> | null>;
    for (let i = 0; i < length; i++) {
      for (const s of arr[start + i] ?? []) strings.push(encoder.encode(s));
      listOffsets[i + 1] = strings.length;
    }
    v = validityOf(length, (i) => arr[start + i] != null);
  }
  const child = utf8Data(strings.finish(), strings.length, null, 0);
  return makeData({ type, length, valueOffsets: listOffsets, child, nullBitmap: v.bitmap ?? undefined, nullCount: v.nulls });
}
