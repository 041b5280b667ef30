/**
 * The load's hand-written Parquet writer (src/analyze/parquet-shim.ts) on its own: files made of
 * ZSTD frames from the project's codec and of plain pages, every type it writes (extreme values,
 * booleans over row counts that are not a multiple of 8, frames declaring a padding beyond their
 * rows' bytes as Arrow buffers may), more than 15 columns and row groups (Thrift's long list
 * headers), read back by DuckDB (the reader the load uses) and by pyarrow (a second, independent
 * reader: what DuckDB tolerates and the format does not allow shows up there). And the file itself:
 * 0600 whatever the umask, never over an existing file or through a symlink.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { api } from '../../src/analyze/duckdb.js';
import { ParquetShim, type ShimField, type ShimPage } from '../../src/analyze/parquet-shim.js';
import { compressSync, useZstd } from '../../src/capture/zstd.js';
import { requireOrSkip } from '../helpers/env.js';
import { hasPyarrow, tempDir } from '../helpers/captures.js';

/** Bytes per value of a page's plain values, by the Parquet physical type each shim type is written as (bool: bits). */
const SHIM_WIDTH: Partial<Record<ShimField['type'], number>> = { timestamp: 8, u64: 8, i64: 8, u32: 4, dict: 4, i32: 4, u16: 4 };

type ShimType = ShimField['type'];

/** Values of each type, the extremes first; a row takes them in turn. */
const VALUES: Record<string, bigint[]> = {
  // TIMESTAMP_NS: DuckDB keeps ±(2^63-1) for ±infinity, so the extremes here are one inside those
  timestamp: [0n, 1n, -1n, 1_764_000_000_123_456_789n, (1n << 63n) - 2n, -(1n << 63n) + 2n],
  u64: [0n, 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n],
  i64: [-(1n << 63n), -1n, 0n, 1n, (1n << 63n) - 1n],
  u32: [0n, 1n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n],
  dict: [0n, 7n, (1n << 32n) - 1n],
  i32: [-(1n << 31n), -1n, 0n, 1n, (1n << 31n) - 1n],
  u16: [0n, 1n, 255n, 65535n],
};

const TYPES: ShimType[] = ['timestamp', 'u64', 'i64', 'u32', 'dict', 'i32', 'u16', 'bool'];

/** DuckDB's type for each (what the load's tables declare: append.ts DUCK_TYPES, USMALLINT for the capture id). */
const DUCK: Record<string, string> = { timestamp: 'TIMESTAMP_NS', u64: 'UBIGINT', i64: 'BIGINT', u32: 'UINTEGER', dict: 'UINTEGER', i32: 'INTEGER', u16: 'USMALLINT', bool: 'BOOLEAN' };
const ARROW: Record<string, string> = { timestamp: 'timestamp[ns]', u64: 'uint64', i64: 'int64', u32: 'uint32', dict: 'uint32', i32: 'int32', u16: 'uint16', bool: 'bool' };

/** The value of column `col` (its type's values, shifted by the column) in global row `row`. */
function valueOf(type: ShimType, col: number, row: number): bigint | boolean {
  if (type === 'bool') return ((row * 7 + col) % 3) === 0;
  const vs = VALUES[type]!;
  return vs[(row + col) % vs.length]!;
}

/** A page's plain values, little-endian, as the capture's Arrow buffers hold them (u16: 4 bytes, as the shim writes INT32). */
function plainBytes(type: ShimType, col: number, first: number, rows: number): Uint8Array {
  if (type === 'bool') {
    const out = new Uint8Array(Math.ceil(rows / 8));
    for (let i = 0; i < rows; i++) if (valueOf(type, col, first + i)) out[i >> 3]! |= 1 << (i & 7);
    return out;
  }
  const width = SHIM_WIDTH[type]!;
  const out = new Uint8Array(rows * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < rows; i++) {
    const v = valueOf(type, col, first + i) as bigint;
    if (width === 8) view.setBigUint64(i * 8, BigInt.asUintN(64, v), true);
    else view.setUint32(i * 4, Number(BigInt.asUintN(32, v)), true);
  }
  return out;
}

/** How each column's pages are written: a frame, a frame declaring a padding beyond the values (Arrow pads to 8 or 64), or plain. */
type Mode = 'zstd' | 'padded' | 'plain';
interface TestColumn {
  field: ShimField;
  type: ShimType;
  mode: Mode;
}

function page(c: TestColumn, col: number, first: number, rows: number): ShimPage {
  const values = plainBytes(c.type, col, first, rows);
  if (c.mode === 'plain') return { plain: values };
  const raw = c.mode === 'padded' ? padded(values) : values;
  return { zstd: compressSync(raw, 3), size: raw.byteLength };
}

/** Padded to the next multiple of 64 bytes plus 0-63 more (at most the 64 bytes defer.ts lets through), with junk, not zeros, in the padding. */
function padded(values: Uint8Array): Uint8Array {
  const out = new Uint8Array(values.byteLength + 64 - (values.byteLength % 64 || 64) + 7);
  out.fill(0xa5);
  out.set(values);
  return out;
}

/** Row counts of the row groups: 1, under, at and over a byte of booleans, big ones; more than 15 groups. */
const GROUPS = [1, 7, 8, 9, 13, 3, 1000, 64, 65, 2, 5, 17, 31, 33, 127, 4096, 11, 1, 250, 6];

/** Columns: row index first (plain u32), then every type in every mode: 1 + 8 × 3 = 25 (> 15: long list header). */
function columns(): TestColumn[] {
  const out: TestColumn[] = [{ field: { name: 'i', type: 'u32' }, type: 'u32', mode: 'plain' }];
  for (const type of TYPES) for (const mode of ['zstd', 'padded', 'plain'] as Mode[]) out.push({ field: { name: `${type}_${mode}`, type }, type, mode });
  return out;
}

/** Writes the test file; the expected rows, each value as text (row index first). */
function writeShim(path: string): string[][] {
  const cols = columns();
  const shim = new ParquetShim(path, cols.map((c) => c.field));
  const expected: string[][] = [];
  let first = 0;
  for (const rows of GROUPS) {
    const pages = cols.map((c, col) => {
      if (col === 0) {
        const idx = new Uint32Array(rows).map((_, i) => first + i);
        return { plain: new Uint8Array(idx.buffer) };
      }
      return page(c, col, first, rows);
    });
    shim.addRowGroup(rows, pages);
    for (let i = 0; i < rows; i++) expected.push([String(first + i), ...cols.slice(1).map((c, k) => String(valueOf(c.type, k + 1, first + i)))]);
    first += rows;
  }
  assert.equal(shim.rows, first);
  shim.finish();
  return expected;
}

test('a shim of frames and plain pages, every type and extreme value, 20 row groups: DuckDB reads exactly the values, as the load tables\' types', async () => {
  await useZstd();
  const { dir, cleanup } = tempDir();
  const instance = await api.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const path = join(dir, 'all.parquet');
    const expected = writeShim(path);
    const cols = columns();
    // Fails if a logical or converted type is wrong (u64 read as BIGINT, u16 as INTEGER, a timestamp as µs …).
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRows();
    assert.deepEqual(described.map((r) => [r[0], r[1]]), cols.map((c) => [c.field.name, DUCK[c.type]]));
    const select = cols.map((c) => (c.type === 'timestamp' ? `epoch_ns("${c.field.name}")::VARCHAR` : `"${c.field.name}"::VARCHAR`)).join(', ');
    const got = (await conn.runAndReadAll(`SELECT ${select} FROM read_parquet('${path}') ORDER BY i`)).getRows().map((r) => r.map(String));
    // Fails if a page is misread: signedness, widths, bit order of booleans, a row group's offsets.
    assert.equal(got.length, expected.length);
    assert.deepEqual(got, expected);
    const meta = (await conn.runAndReadAll(`SELECT count(DISTINCT row_group_id), count(*) FILTER (compression = 'ZSTD'), count(*) FILTER (compression = 'UNCOMPRESSED') FROM parquet_metadata('${path}')`)).getRows()[0]!.map(Number);
    assert.deepEqual(meta, [GROUPS.length, GROUPS.length * 16, GROUPS.length * 9], 'row groups; zstd pages (8 types × 2 modes); plain pages (8 types + the index)');
  } finally {
    conn.closeSync();
    instance.closeSync();
    cleanup();
  }
});

const PYARROW_READ = `
import sys, json, pyarrow as pa, pyarrow.parquet as pq

f = pq.ParquetFile(sys.argv[1])
t = f.read()
out = {"types": [[x.name, str(x.type)] for x in t.schema], "groups": f.metadata.num_row_groups, "rows": []}
cols = []
for x in t.schema:
    c = t.column(x.name)
    if pa.types.is_timestamp(x.type): c = c.cast(pa.int64())
    cols.append([("true" if v else "false") if isinstance(v, bool) else str(v) for v in c.to_pylist()])
out["rows"] = [list(r) for r in zip(*cols)]
print(json.dumps(out))
`;

test('pyarrow reads the same shim: the same types and values (the file follows the format, not only what DuckDB tolerates)', async (t) => {
  if (!requireOrSkip(t, hasPyarrow(), 'python3 with pyarrow (pip install pyarrow)')) return;
  await useZstd();
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'all.parquet');
    const expected = writeShim(path);
    const r = spawnSync('python3', ['-c', PYARROW_READ, path], { encoding: 'utf8', maxBuffer: 1 << 28 });
    // Fails if a page header or the footer is off the format (pyarrow checks page sizes: a frame's declared size must be the page's).
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { types: string[][]; groups: number; rows: string[][] };
    assert.deepEqual(got.types, columns().map((c) => [c.field.name, ARROW[c.type]]));
    assert.equal(got.groups, GROUPS.length);
    assert.deepEqual(got.rows, expected);
  } finally {
    cleanup();
  }
});

test('a shim file is created 0600 whatever the umask, and never over an existing file or through a symlink', async () => {
  await useZstd();
  const { dir, cleanup } = tempDir();
  const fields: ShimField[] = [{ name: 'x', type: 'u32' }];
  const mask = process.umask(0);
  try {
    // Fails if the file is opened without mode 0600 (umask 0 would leave 0644 or 0666).
    const fresh = join(dir, 'fresh.parquet');
    const shim = new ParquetShim(fresh, fields);
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
    shim.addRowGroup(1, [{ plain: new Uint8Array(4) }]);
    shim.finish();
    assert.equal(statSync(fresh).mode & 0o777, 0o600);

    // Fails without O_EXCL: an existing (planted) file would be truncated and reused.
    const planted = join(dir, 'planted.parquet');
    writeFileSync(planted, 'planted', { mode: 0o644 });
    assert.throws(() => new ParquetShim(planted, fields), { code: 'EEXIST' });
    assert.equal(readFileSync(planted, 'utf8'), 'planted');

    // Fails without O_NOFOLLOW/O_EXCL: a symlink to a file would be written through, a dangling one would create its target.
    const target = join(dir, 'target');
    writeFileSync(target, 'target');
    const link = join(dir, 'link.parquet');
    symlinkSync(target, link);
    assert.throws(() => new ParquetShim(link, fields), (err: NodeJS.ErrnoException) => err.code === 'EEXIST' || err.code === 'ELOOP');
    assert.equal(readFileSync(target, 'utf8'), 'target');
    const dangling = join(dir, 'dangling.parquet');
    const nowhere = join(dir, 'nowhere');
    symlinkSync(nowhere, dangling);
    assert.throws(() => new ParquetShim(dangling, fields), (err: NodeJS.ErrnoException) => err.code === 'EEXIST' || err.code === 'ELOOP');
    assert.equal(existsSync(nowhere), false, 'the dangling link\'s target was not created');
    assert.ok(lstatSync(dangling).isSymbolicLink());
  } finally {
    process.umask(mask);
    cleanup();
  }
});

test('a row group with a page per column, no more, no fewer; nothing written after finish()', async () => {
  await useZstd();
  const { dir, cleanup } = tempDir();
  try {
    const shim = new ParquetShim(join(dir, 'x.parquet'), [{ name: 'a', type: 'u32' }, { name: 'b', type: 'bool' }]);
    assert.throws(() => shim.addRowGroup(1, [{ plain: new Uint8Array(4) }]), /1 pages, not 2/);
    shim.finish();
    assert.throws(() => shim.addRowGroup(1, [{ plain: new Uint8Array(4) }, { plain: new Uint8Array(1) }]), /closed/);
  } finally {
    cleanup();
  }
});
