/**
 * A Parquet file made of a capture's own ZSTD frames, so DuckDB reads the bulk kind on its own
 * threads (`read_parquet`), decompressing and storing in parallel, instead of JavaScript
 * decompressing every buffer and copying it into DuckDB's vectors.
 *
 * Why this works without decoding: an Arrow IPC body compresses each buffer on its own, and a
 * fixed-width column's value buffer is its values, little-endian, back to back; a Parquet data page
 * (v1, PLAIN, a required column, so no levels) is exactly that, compressed by the column chunk's
 * codec. So each ZSTD frame of such a column becomes one page, as it is in the capture (booleans
 * too: both formats pack them LSB first). Columns that need work (dictionary ids renumbered into the
 * analysis database's strings; the capture id) are written uncompressed or compressed here.
 *
 * One row group per capture batch; the writer is synchronous and streams each group to the file,
 * then the footer. Only what DuckDB's reader needs is written (no statistics, no page index).
 * Hand-written rather than a library: none writes pages from frames already compressed, which is
 * the point. The format: github.com/apache/parquet-format (parquet.thrift), Thrift compact protocol.
 */
import { closeSync, constants as fsc, openSync, writeSync } from 'node:fs';
import type { ColumnType } from '../capture/schema.js';

/** A column of the shim: its name and logical type (what DuckDB reads it as). */
export interface ShimField {
  name: string;
  type: ColumnType | 'u16';
}

/** One page of a row group: a ZSTD frame as the capture holds it (`size`: the bytes it declares), or plain bytes. */
export type ShimPage = { zstd: Uint8Array; size: number } | { plain: Uint8Array };

const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2 } as const;
const CODEC = { UNCOMPRESSED: 0, ZSTD: 6 } as const;
const ENCODING = { PLAIN: 0, RLE: 3 } as const;
const REQUIRED = 0;

interface Physical {
  physical: number;
  /** Parquet's ConvertedType, for readers that look at it rather than the logical type. */
  converted?: number;
  logical: (w: Compact) => void;
}

const int = (bits: number, signed: boolean, converted: number): Omit<Physical, 'physical'> => ({
  converted,
  // LogicalType.INTEGER (10): IntType { 1: i8 bitWidth, 2: bool isSigned }
  logical: (w) => w.struct(10, () => (w.i8(1, bits), w.bool(2, signed))),
});

/** Parquet type of each shim column type; widths match the capture's Arrow buffers (load-decode.ts WIDTH). */
function physicalOf(type: ShimField['type']): Physical {
  switch (type) {
    case 'timestamp':
      // LogicalType.TIMESTAMP (8): { 1: isAdjustedToUTC, 2: unit = NANOS (3) }; not adjusted: DuckDB reads TIMESTAMP_NS
      return { physical: PHYSICAL.INT64, logical: (w) => w.struct(8, () => (w.bool(1, false), w.struct(2, () => w.struct(3, () => undefined)))) };
    case 'u64':
      return { physical: PHYSICAL.INT64, ...int(64, false, 14) };
    case 'i64':
      return { physical: PHYSICAL.INT64, ...int(64, true, 18) };
    case 'u32':
    case 'dict':
      return { physical: PHYSICAL.INT32, ...int(32, false, 13) };
    case 'i32':
      return { physical: PHYSICAL.INT32, ...int(32, true, 17) };
    case 'u16':
      return { physical: PHYSICAL.INT32, ...int(16, false, 12) };
    case 'bool':
      return { physical: PHYSICAL.BOOLEAN, logical: () => undefined };
    default:
      throw new Error(`no Parquet shim type for ${type}`);
  }
}

interface ChunkMeta {
  offset: number;
  codec: number;
  uncompressed: number;
  compressed: number;
}

/** Writes a Parquet file, row group by row group; finish() writes the footer and closes it. */
export class ParquetShim {
  rows = 0;
  private fd: number | null;
  private pos = 0;
  private readonly groups: { rows: number; chunks: ChunkMeta[] }[] = [];
  private readonly physical: Physical[];

  /** Creates `path`, which must not exist (O_EXCL, never through a symlink), mode 0600. */
  constructor(
    readonly path: string,
    private readonly fields: ShimField[],
  ) {
    this.physical = fields.map((f) => physicalOf(f.type));
    this.fd = openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    this.write(MAGIC);
  }

  /** One row group of `rows` rows: a page per field, in field order. */
  addRowGroup(rows: number, pages: ShimPage[]): void {
    if (pages.length !== this.fields.length) throw new Error(`a shim row group has ${pages.length} pages, not ${this.fields.length}`);
    const chunks = pages.map((page): ChunkMeta => {
      const data = 'zstd' in page ? page.zstd : page.plain;
      const uncompressed = 'zstd' in page ? page.size : page.plain.byteLength;
      const header = new Compact();
      header.i32(1, 0); // DATA_PAGE
      header.i32(2, uncompressed);
      header.i32(3, data.byteLength);
      header.struct(5, () => (header.i32(1, rows), header.i32(2, ENCODING.PLAIN), header.i32(3, ENCODING.RLE), header.i32(4, ENCODING.RLE)));
      header.stop();
      const head = header.bytes();
      const offset = this.pos;
      this.write(head);
      this.write(data);
      return { offset, codec: 'zstd' in page ? CODEC.ZSTD : CODEC.UNCOMPRESSED, uncompressed: head.byteLength + uncompressed, compressed: head.byteLength + data.byteLength };
    });
    this.groups.push({ rows, chunks });
    this.rows += rows;
  }

  /** Writes the footer (FileMetaData) and closes the file. */
  finish(): void {
    const w = new Compact();
    w.i32(1, 1); // version
    w.list(2, this.fields.length + 1, () => {
      w.element(() => (w.binary(4, 'schema'), w.i32(5, this.fields.length)));
      this.fields.forEach((f, i) => {
        const p = this.physical[i]!;
        w.element(() => {
          w.i32(1, p.physical);
          w.i32(3, REQUIRED);
          w.binary(4, f.name);
          if (p.converted !== undefined) w.i32(6, p.converted);
          if (p.physical !== PHYSICAL.BOOLEAN) w.struct(10, () => p.logical(w));
        });
      });
    });
    w.i64(3, this.rows);
    w.list(4, this.groups.length, () => {
      for (const g of this.groups) {
        w.element(() => {
          w.list(1, g.chunks.length, () => {
            g.chunks.forEach((c, i) =>
              w.element(() => {
                w.i64(2, c.offset);
                w.struct(3, () => {
                  w.i32(1, this.physical[i]!.physical);
                  w.listOf(2, TYPE.I32, [ENCODING.PLAIN, ENCODING.RLE], (e) => w.varint(zigzag(e)));
                  w.listOf(3, TYPE.BINARY, [this.fields[i]!.name], (s) => w.rawBinary(s));
                  w.i32(4, c.codec);
                  w.i64(5, g.rows);
                  w.i64(6, c.uncompressed);
                  w.i64(7, c.compressed);
                  w.i64(9, c.offset);
                });
              }),
            );
          });
          w.i64(2, g.chunks.reduce((n, c) => n + c.uncompressed, 0));
          w.i64(3, g.rows);
        });
      }
    });
    w.stop();
    const footer = w.bytes();
    const length = Buffer.alloc(4);
    length.writeUInt32LE(footer.byteLength);
    this.write(footer);
    this.write(length);
    this.write(MAGIC);
    this.close();
  }

  /** Closes the file (finish() does); idempotent. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private write(data: Uint8Array): void {
    if (this.fd === null) throw new Error('the shim is closed');
    for (let done = 0; done < data.byteLength; ) done += writeSync(this.fd, data, done);
    this.pos += data.byteLength;
  }
}

const MAGIC = Buffer.from('PAR1');

/** Thrift compact protocol field types. */
const TYPE = { TRUE: 1, FALSE: 2, I8: 3, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

const zigzag = (n: number): bigint => {
  const b = BigInt(n);
  return b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
};

/** A Thrift compact protocol writer, for the few structs above (field ids ascending within a struct). */
class Compact {
  private buf = new Uint8Array(256);
  private len = 0;
  /** The last field id of each open struct. */
  private readonly last: number[] = [0];

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  i8(id: number, v: number): void {
    this.field(id, TYPE.I8);
    this.byte(v);
  }
  i32(id: number, v: number): void {
    this.field(id, TYPE.I32);
    this.varint(zigzag(v));
  }
  i64(id: number, v: number): void {
    this.field(id, TYPE.I64);
    this.varint(zigzag(v));
  }
  bool(id: number, v: boolean): void {
    this.field(id, v ? TYPE.TRUE : TYPE.FALSE);
  }
  binary(id: number, s: string): void {
    this.field(id, TYPE.BINARY);
    this.rawBinary(s);
  }
  struct(id: number, body: () => void): void {
    this.field(id, TYPE.STRUCT);
    this.element(body);
  }
  /** A list of `n` structs, written by `body` with element() each. */
  list(id: number, n: number, body: () => void): void {
    this.field(id, TYPE.LIST);
    this.listHeader(n, TYPE.STRUCT);
    body();
  }
  listOf<T>(id: number, type: number, items: T[], each: (item: T) => void): void {
    this.field(id, TYPE.LIST);
    this.listHeader(items.length, type);
    items.forEach(each);
  }
  /** A struct's fields (a list element or a field's value), then its stop byte. */
  element(body: () => void): void {
    this.last.push(0);
    body();
    this.stop();
    this.last.pop();
  }
  stop(): void {
    this.byte(0);
  }
  rawBinary(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(BigInt(b.byteLength));
    for (const x of b) this.byte(x);
  }
  varint(n: bigint): void {
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  private listHeader(n: number, type: number): void {
    if (n < 15) this.byte((n << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.varint(BigInt(n));
    }
  }
  private field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1]!;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.varint(zigzag(id));
    }
    this.last[this.last.length - 1] = id;
  }
  private byte(b: number): void {
    if (this.len === this.buf.byteLength) {
      const grown = new Uint8Array(this.buf.byteLength * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.len++] = b & 0xff;
  }
}
