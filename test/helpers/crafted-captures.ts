/**
 * Hostile captures for the hardening tests: built from a real scenario capture with apache-arrow's
 * own stream writer, so each attack changes exactly one thing (a frame's declared size, a kind, the
 * file's length) and everything else is a well-formed capture.
 */
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CompressionType, RecordBatch, RecordBatchStreamWriter, compressionRegistry, tableFromIPC, type Table } from 'apache-arrow';
import { useZstd } from '../../src/capture/zstd.js';
import { BIN, testCacheHome } from './captures.js';

const MAGIC = Buffer.from('ARROW1\0\0', 'latin1');
const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** The batches of a capture (the ZSTD codec registered first). */
export async function readTable(path: string): Promise<Table> {
  await useZstd();
  return tableFromIPC(readFileSync(path));
}

/** Magic + an IPC stream of `batches` (no footer: read as a cut file, every batch recovered). */
export function streamBytes(batches: RecordBatch[]): Buffer {
  const w = new RecordBatchStreamWriter({ compressionType: CompressionType.ZSTD });
  return Buffer.concat([MAGIC, w.writeAll(batches).toUint8Array(true)]);
}

/**
 * A ZSTD frame that declares `size` bytes and decodes to that many zeros, in ~4 bytes per 128 KiB
 * (RLE blocks): the shape of a decompression bomb.
 */
export function bombFrame(size: number): Uint8Array {
  const BLOCK = 128 * 1024;
  const blocks = Math.ceil(size / BLOCK);
  const out = Buffer.alloc(9 + blocks * 4);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0xa0; // single segment, 4-byte content size
  out.writeUInt32LE(size, 5);
  let at = 9;
  for (let i = 0; i < blocks; i++) {
    const n = Math.min(BLOCK, size - i * BLOCK);
    const h = (i === blocks - 1 ? 1 : 0) | (1 << 1) | (n << 3); // last flag, RLE, size
    out[at] = h & 0xff;
    out[at + 1] = (h >> 8) & 0xff;
    out[at + 2] = (h >> 16) & 0xff;
    out[at + 3] = 0;
    at += 4;
  }
  return out;
}

/** Re-writes `batches` with every compressed buffer replaced by `frame`. */
export async function withEveryBufferAs(frame: Uint8Array, batches: RecordBatch[]): Promise<Buffer> {
  await useZstd();
  const real = compressionRegistry.get(CompressionType.ZSTD)!;
  compressionRegistry.set(CompressionType.ZSTD, { encode: () => frame, decode: real.decode });
  try {
    return streamBytes(batches);
  } finally {
    await useZstd(); // the real codec back
  }
}

/**
 * A big capture without holding it in memory: the first batch's stream, then its record batch
 * message `copies - 1` more times, then EOS. Same dictionaries throughout, so every copy is valid.
 */
export function writeRepeated(path: string, batch: RecordBatch, copies: number): void {
  const one = streamBytes([batch]);
  const two = streamBytes([batch, batch]);
  const message = two.subarray(one.length - EOS.length, two.length - EOS.length);
  writeFileSync(path, one.subarray(0, one.length - EOS.length), { mode: 0o600 });
  for (let i = 1; i < copies; i++) appendFileSync(path, message);
  appendFileSync(path, EOS);
}

export interface CliRun {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the child, MB (GNU time). */
  peakMb: number;
}

/** `contxray ARGS` in a child, with its peak RSS; a hang ends at `timeoutMs`. */
export function runCli(args: string[], timeoutMs = 120_000, env: Record<string, string> = {}): CliRun {
  const r = spawnSync('/usr/bin/time', ['-f', 'PEAK_KB %M', process.execPath, BIN, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 26,
    env: { ...process.env, XDG_CACHE_HOME: testCacheHome(), ...env },
  });
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const peak = [...lines].reverse().find((l) => l.startsWith('PEAK_KB '));
  const stderr = lines.filter((l) => !l.startsWith('PEAK_KB ') && !l.startsWith('Command exited') && !l.startsWith('Command terminated')).join('\n');
  // GNU time returns the child's status as its own.
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr, peakMb: peak ? Number(peak.split(' ')[1]) / 1024 : NaN };
}
