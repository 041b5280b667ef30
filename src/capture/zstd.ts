/**
 * ZSTD for Arrow IPC body compression. Node 20's zlib has no zstd, so we use zstd-napi (native,
 * fastest; an optional dependency that compiles at install) and fall back to @bokuweb/zstd-wasm
 * (no compiler needed, about half the speed) where it is not built.
 *
 * apache-arrow's reader builds typed arrays over decoded buffers, so every decoded buffer must
 * start on an 8-byte boundary; Node's Buffer pool does not guarantee that for small buffers.
 */
import { createRequire } from 'node:module';
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { notePrivate } from './private-buffers.js';

export interface ZstdCodec {
  name: string;
  compress(data: Uint8Array, level: number): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

let codec: ZstdCodec | null = null;

/** A body compression other than ZSTD: the file is fine, contxray just does not read it. */
export class UnsupportedCompression extends Error {
  constructor(readonly codecName: string) {
    super(`unsupported compression ${codecName} (contxray reads ZSTD-compressed or uncompressed Arrow files)`);
  }
}

async function loadCodec(): Promise<ZstdCodec> {
  const require = createRequire(import.meta.url);
  try {
    const native = require('zstd-napi') as {
      compress(b: Uint8Array, p?: Record<string, unknown>): Uint8Array;
      decompress(b: Uint8Array): Uint8Array;
    };
    return {
      name: 'zstd-napi',
      compress: (data, level) => native.compress(data, { compressionLevel: level }),
      decompress: (data) => native.decompress(data),
    };
  } catch {
    // require(), not import(): the capture load runs from a bundle compiled by node:vm
    // (scripts/bundle-load.mjs), where import() has no loader on Node 20
    const wasm = require('@bokuweb/zstd-wasm') as typeof import('@bokuweb/zstd-wasm');
    await wasm.init();
    return {
      name: 'zstd-wasm',
      compress: (data, level) => wasm.compress(data, level),
      decompress: (data) => wasm.decompress(data),
    };
  }
}

function aligned(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset % 8 === 0) return buf;
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return copy;
}

/**
 * A capture batch holds one kind, so most of its columns are all-null: buffers of zeros that
 * compress to a few dozen identical bytes. Decompression is deterministic, so when a small input
 * is one we have already seen decode to zeros, we hand out a view of one shared zero buffer instead
 * of allocating and filling megabytes per batch (this halves load time and GC for big captures).
 * The views are read-only by convention: nothing on the read path writes into decoded buffers.
 */
const ZERO_KEY_MAX = 96;
const zeroFrames = new Map<string, number>();
let sharedZeros = new Uint8Array(1 << 20);

function zerosView(length: number): Uint8Array {
  if (sharedZeros.byteLength < length) sharedZeros = new Uint8Array(length);
  return sharedZeros.subarray(0, length);
}

/**
 * Where a ZSTD buffer's decoded bytes are charged. The reader installs one per batch (see
 * budget.ts) so the size every frame declares is checked against what the batch can need BEFORE
 * anything is allocated; outside a read (tests, tools) only the per-buffer bound applies.
 */
export interface DecodeBudget {
  /** Throws when `bytes` more decoded bytes are not allowed; otherwise records them. */
  charge(bytes: number): void;
}
let budget: DecodeBudget | null = null;

/** Runs `fn` with decoded bytes charged to `b` (synchronous: apache-arrow decodes synchronously). */
export function withDecodeBudget<T>(b: DecodeBudget, fn: () => T): T {
  const outer = budget;
  budget = b;
  try {
    return fn();
  } finally {
    budget = outer;
  }
}

/** No single buffer of a capture is this big; a frame claiming more is damage or a zip bomb. */
export const MAX_BUFFER_BYTES = 512 * 1024 * 1024;

/**
 * The content size a buffer's one ZSTD frame declares. Refuses buffers that are not exactly one
 * frame (our writer writes one per buffer): the decoders size their output from the declared sizes
 * of all frames, so every frame must be accounted for, and a frame that declares no size would be
 * decoded into a growing buffer.
 */
export function frameContentSize(data: Uint8Array): number {
  if (data.byteLength < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) throw new Error('not a ZSTD frame');
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictIdFlag = fhd & 3;
  const at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  const size = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (size === 0) throw new Error('ZSTD frame declares no content size');
  if (data.byteLength < at + size) throw new Error('short ZSTD frame header');
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + data[at + i]!;
  if (size === 2) value += 256;
  // Walk the blocks to where the frame ends: 3-byte headers (last flag, type, size).
  let pos = at + size;
  for (;;) {
    if (pos + 3 > data.byteLength) throw new Error('ZSTD frame cut short');
    const h = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
    const type = (h >> 1) & 3;
    if (type === 3) throw new Error('reserved ZSTD block type');
    pos += 3 + (type === 1 ? 1 : h >>> 3);
    if (h & 1) break;
  }
  pos += checksum ? 4 : 0;
  if (pos !== data.byteLength) throw new Error(pos > data.byteLength ? 'ZSTD frame cut short' : 'data after the ZSTD frame');
  return value;
}

function decodeCharged(c: ZstdCodec, data: Uint8Array, declared: number): Uint8Array {
  budget?.charge(declared);
  const out = aligned(c.decompress(data));
  if (out.byteLength !== declared) throw new Error('ZSTD frame decoded to a size other than it declared');
  notePrivate(out);
  return out;
}

/** Takes the frames a reader keeps compressed (defer.ts): true when `data` is one, handing back zeros. */
export interface FrameSink {
  take(data: Uint8Array, declared: number): boolean;
}
let sink: FrameSink | null = null;

/** Runs `fn` with the frames `s` takes kept compressed (synchronous, like withDecodeBudget). */
export function withFrameSink<T>(s: FrameSink | null, fn: () => T): T {
  const outer = sink;
  sink = s;
  try {
    return fn();
  } finally {
    sink = outer;
  }
}

function decodeWithZeroCache(c: ZstdCodec, data: Uint8Array): Uint8Array {
  const declared = frameContentSize(data);
  if (declared > MAX_BUFFER_BYTES) throw new Error(`implausible compressed buffer (declares ${declared} bytes)`);
  if (sink?.take(data, declared)) {
    // Charged like a decoded buffer: its declared size is what the reader it goes to allocates.
    budget?.charge(declared);
    return zerosView(declared);
  }
  if (data.byteLength > ZERO_KEY_MAX) return decodeCharged(c, data, declared);
  const key = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const known = zeroFrames.get(key);
  // A shared zero view costs neither memory nor decoding time: not charged.
  if (known !== undefined) return zerosView(known);
  const out = decodeCharged(c, data, declared);
  if (out.byteLength >= 1024 && out.every((b) => b === 0)) zeroFrames.set(key, out.byteLength);
  return out;
}

/** Compresses with the loaded codec (useZstd() must have been awaited). */
export function compressSync(data: Uint8Array, level: number): Uint8Array {
  if (!codec) throw new Error('compressSync before useZstd()');
  return codec.compress(data, level);
}

/** Whether useZstd() has loaded the codec (CaptureReader.openSync needs it). */
export function zstdReady(): boolean {
  return codec !== null;
}

/** Loads the codec once and registers it with apache-arrow for both reading and writing. */
export async function useZstd(level = 3): Promise<ZstdCodec> {
  if (!codec) codec = await loadCodec();
  const c = codec;
  compressionRegistry.set(CompressionType.ZSTD, {
    encode: (data) => c.compress(data, level),
    decode: (data) => decodeWithZeroCache(c, data),
  });
  return c;
}
