/**
 * apache-arrow reads message metadata with the flatbuffers runtime, which trusts every vector
 * length it finds. A damaged length makes it loop billions of times building objects until the
 * process dies of heap exhaustion — no exception to catch. A flatbuffer vector of N elements needs
 * at least N bytes of the buffer, so any longer claim is damage: we make it throw instead.
 * Same module instance as apache-arrow's (flatbuffers has no ESM exports map; both get `main`).
 */
import * as flatbuffers from 'flatbuffers';

type ByteBufferProto = { __vector_len(offset: number): number; readInt32(offset: number): number; capacity(): number };
const proto = (flatbuffers.ByteBuffer as unknown as { prototype: ByteBufferProto }).prototype;
const marker = Symbol.for('contxray.flatbuffers.hardened');

if (!(proto as unknown as Record<symbol, boolean>)[marker]) {
  const original = proto.__vector_len;
  proto.__vector_len = function (this: ByteBufferProto, offset: number): number {
    const len = original.call(this, offset);
    if (len < 0 || len > this.capacity()) throw new Error('damaged Arrow message metadata (vector length past the end)');
    return len;
  };
  (proto as unknown as Record<symbol, boolean>)[marker] = true;
}
