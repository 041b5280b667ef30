/**
 * Decoded buffers that are whole ArrayBuffers of their own — not Node's shared buffer pool, not
 * the one shared zero buffer (zstd.ts), not a chunk of the file: nothing else reads them, so the
 * load worker may hand them to another thread instead of copying them (load-decode.ts). Its own
 * module so that the load's decoding can ask without importing the codec (and apache-arrow).
 */
const owned = new WeakSet<ArrayBufferLike>();

/** Marks `view`'s buffer as private when the view covers all of it. */
export function notePrivate(view: Uint8Array): void {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) owned.add(view.buffer);
}

export function isPrivate(buffer: ArrayBufferLike): boolean {
  return owned.has(buffer);
}
