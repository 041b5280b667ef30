/**
 * Captures for the Parquet shim tests (test/unit/load-shim*.test.ts): batches written by the
 * recorder's writer (one ZSTD frame per buffer), and the frames in them found and damaged.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { CaptureWriter } from '../../src/capture/writer.js';
import type { Kind } from '../../src/capture/schema.js';
import { frameContentSize, useZstd, type ZstdCodec } from '../../src/capture/zstd.js';
import { syscallTableFor } from '../../src/syscalls/index.js';
import { batch } from '../support/events.js';
import { defaultHost, writeCaptureFromRows, type Row } from '../support/fixture.js';
import { scenarioRows, T0 } from './captures.js';
import { readTable, streamBytes } from './crafted-captures.js';

export const START = 1_764_000_000_000_000_000n;


/** A capture of the given batches, written by the recorder's writer (one ZSTD frame per buffer). */
export async function writeBatches(path: string, parts: { kind: Kind; n: number; columns: Record<string, unknown> }[]): Promise<void> {
  const writer = await CaptureWriter.create(
    path,
    { host: defaultHost({ hostname: 'shim-host' }), syscalls: syscallTableFor('x86_64'), options: { source: 'shim-test' }, recorder: { version: 'test', started_at_ns: String(START) } },
    { force: true },
  );
  for (const p of parts) writer.writeBatch(p.kind, p.n, batch(p.kind, p.n, p.columns as never));
  writer.close();
}

/**
 * A syscall batch of `n` rows; `seed` makes its `count` column unique to it (so its frame can be
 * found in the file). `errors` may hold nulls (a batch that cannot be deferred).
 */
export function syscallPart(n: number, seed: number, opts: { nullErrorAt?: number; comms?: string[] } = {}) {
  const count = new BigUint64Array(n).map((_, i) => BigInt(seed) * 1_000_000n + BigInt(i) * 7919n);
  count[0] = (1n << 64n) - 1n;
  const errors: (bigint | null)[] = Array.from({ length: n }, (_, i) => BigInt(i % 3));
  if (opts.nullErrorAt !== undefined) errors[opts.nullErrorAt] = null;
  const columns = {
    ts: new BigInt64Array(n).map((_, i) => START + BigInt(seed) * 1_000_000_000n + BigInt(i % 10)),
    cgroup_id: new BigUint64Array(n).map((_, i) => BigInt(5000 + (i % 3))),
    pid: new Uint32Array(n).map((_, i) => 1000 + (i % 50)),
    tid: new Uint32Array(n).map((_, i) => (i === 1 ? 0xffffffff : 1000 + (i % 57))),
    comm: Array.from({ length: n }, (_, i) => (opts.comms ?? ['nginx', 'sh', `w-${seed}`, 'ünïcode'])[i % 4]!),
    syscall_nr: new Int32Array(n).map((_, i) => (i % 400) - 5),
    compat: new Uint8Array(n).map((_, i) => Number(i % 5 === 0)),
    filtered: new Uint8Array(n).map((_, i) => Number(i % 2 === 1)),
    count,
    errors: opts.nullErrorAt === undefined ? new BigUint64Array(errors as bigint[]) : errors,
    denied: new BigUint64Array(n).map((_, i) => BigInt(i % 2)),
    denied_errno: new Int32Array(n).map((_, i) => -(i % 3)),
  };
  return { kind: 'syscall' as const, n, columns };
}

export function execPart(n: number, seed: number) {
  return {
    kind: 'exec' as const,
    n,
    columns: {
      ts: Array.from({ length: n }, (_, i) => START + BigInt(seed * 1000 + i)),
      cgroup_id: Array.from({ length: n }, () => 5001n),
      pid: Array.from({ length: n }, (_, i) => 3000 + i),
      tid: Array.from({ length: n }, (_, i) => 3000 + i),
      comm: Array.from({ length: n }, () => 'sh'),
      ppid: Array.from({ length: n }, () => 1),
      uid: Array.from({ length: n }, (_, i) => (i % 2 ? null : 0)),
      filename: Array.from({ length: n }, (_, i) => (i % 3 ? '/bin/sh' : null)),
      argv: Array.from({ length: n }, (_, i) => ['sh', '-c', `echo ${seed}-${i}`]),
      truncated: Array.from({ length: n }, () => false),
    },
  };
}

export function forkPart(n: number, seed: number) {
  return {
    kind: 'fork' as const,
    n,
    columns: {
      ts: Array.from({ length: n }, (_, i) => START + BigInt(seed * 1000 + i)),
      cgroup_id: Array.from({ length: n }, () => 5002n),
      pid: Array.from({ length: n }, (_, i) => 4000 + i),
      tid: Array.from({ length: n }, (_, i) => 4000 + i),
      comm: Array.from({ length: n }, (_, i) => (i % 2 ? 'fork-a' : 'fork-b')),
      ppid: Array.from({ length: n }, (_, i) => (i % 4 ? 1 : null)),
    },
  };
}

/** Long strings cut at load (a dictionary entry shared by kinds, a path, argv), as load-parallel.test.ts. */
export async function writeLongStrings(path: string): Promise<void> {
  const long = (c: string) => c.repeat(100_000);
  const rows: Row[] = [
    ...scenarioRows(),
    { kind: 'open', ts: T0 + 20n, cgroup_id: 7002n, pid: 300, tid: 300, comm: long('c'), uid: 0, syscall_nr: 257, path: `/${long('p')}`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 3n, truncated: false },
    { kind: 'exec', ts: T0 + 21n, cgroup_id: 7002n, pid: 301, tid: 301, comm: long('c'), ppid: 1, uid: 0, filename: '/bin/sh', argv: ['sh', long('a')], truncated: false },
    { kind: 'syscall', ts: T0 + 22n, cgroup_id: 7002n, pid: 301, tid: 301, comm: long('c'), syscall_nr: 0, compat: false, filtered: false, count: 9n, errors: 0n, denied: 0n, denied_errno: 0 },
  ];
  await writeCaptureFromRows(path, { host: { hostname: 'long-host' }, rows });
}

/** Where `raw`, compressed as the writer compresses (level 3), sits in `file`: exactly once. */
export function frameIn(file: Buffer, raw: Uint8Array, codec: ZstdCodec): { at: number; frame: Uint8Array } {
  const frame = codec.compress(raw, 3);
  const at = file.indexOf(frame);
  assert.ok(at > 0, 'the frame is in the file as the writer wrote it');
  assert.equal(file.lastIndexOf(frame), at, 'and only once');
  return { at, frame };
}

/**
 * `frame` with one byte of its first compressed block changed so that ZSTD refuses it, while its
 * header and block headers still parse and declare the same size: the reader defers it (defer.ts
 * reads only those), so only the reader it is handed to (DuckDB) finds the damage.
 */
export function undecodable(frame: Uint8Array, codec: ZstdCodec): Uint8Array {
  const declared = frameContentSize(frame);
  for (let k = Math.floor(frame.byteLength / 2); k < frame.byteLength - 4; k++) {
    for (const flip of [0xff, 0x55, 0x01]) {
      const bad = frame.slice();
      bad[k]! ^= flip;
      try {
        if (frameContentSize(bad) !== declared) continue;
      } catch {
        continue;
      }
      try {
        codec.decompress(bad);
      } catch {
        return bad;
      }
    }
  }
  throw new Error('no single-byte change makes this frame undecodable');
}

export function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Re-writes a capture's batches with apache-arrow's stream writer, the frames of the buffers equal
 * to a key of `pad` declaring that many more bytes (junk after the values, as a writer's padding),
 * or fewer (`extra` < 0: the values cut short).
 */
export async function withPaddedFrames(src: string, dst: string, pad: { raw: Uint8Array; extra: number }[]): Promise<void> {
  const batches = (await readTable(src)).batches;
  await useZstd();
  const real = compressionRegistry.get(CompressionType.ZSTD)!;
  const seen = new Set<number>();
  compressionRegistry.set(CompressionType.ZSTD, {
    encode: (data: Uint8Array) => {
      const i = pad.findIndex((p) => Buffer.from(p.raw).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
      if (i < 0) return real.encode!(data);
      seen.add(i);
      const extra = pad[i]!.extra;
      if (extra < 0) return real.encode!(data.subarray(0, data.byteLength + extra)); // a frame short of its rows
      const longer = new Uint8Array(data.byteLength + extra).fill(0x5a);
      longer.set(data);
      return real.encode!(longer);
    },
    decode: real.decode,
  });
  try {
    writeFileSync(dst, streamBytes(batches));
  } finally {
    await useZstd();
  }
  assert.equal(seen.size, pad.length, 'every padded buffer was written');
}
