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

export interface ZstdCodec {
  name: string;
  compress(data: Uint8Array, level: number): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

let codec: ZstdCodec | null = null;

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
    const wasm = await import('@bokuweb/zstd-wasm');
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

/** Loads the codec once and registers it with apache-arrow for both reading and writing. */
export async function useZstd(level = 3): Promise<ZstdCodec> {
  if (!codec) codec = await loadCodec();
  const c = codec;
  compressionRegistry.set(CompressionType.ZSTD, {
    encode: (data) => c.compress(data, level),
    decode: (data) => aligned(c.decompress(data)),
  });
  return c;
}
