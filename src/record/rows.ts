/**
 * Keeping a subset of a native batch's rows (events from cgroups we learnt to ignore after BPF had
 * already sent them). Column layouts follow the declaration in src/capture/schema.ts.
 */
import { columnsOf } from '../capture/schema.js';
import type { ListColumn, NativeBatch, NativeColumn, StringColumn } from './native.js';

function pickStrings(col: StringColumn, keep: Uint32Array): StringColumn {
  let size = 0;
  for (const i of keep) size += col.offsets[i + 1]! - col.offsets[i]!;
  const data = new Uint8Array(size);
  const offsets = new Int32Array(keep.length + 1);
  let at = 0;
  keep.forEach((i, k) => {
    data.set(col.data.subarray(col.offsets[i]!, col.offsets[i + 1]!), at);
    at += col.offsets[i + 1]! - col.offsets[i]!;
    offsets[k + 1] = at;
  });
  return { offsets, data };
}

function pickList(col: ListColumn, keep: Uint32Array): ListColumn {
  const strings: number[] = [];
  const listOffsets = new Int32Array(keep.length + 1);
  keep.forEach((i, k) => {
    for (let s = col.listOffsets[i]!; s < col.listOffsets[i + 1]!; s++) strings.push(s);
    listOffsets[k + 1] = strings.length;
  });
  const inner = pickStrings(col, Uint32Array.from(strings));
  return { listOffsets, offsets: inner.offsets, data: inner.data };
}

export function selectRows(batch: NativeBatch, keep: Uint32Array): NativeBatch {
  if (keep.length === batch.length) return batch;
  const columns: Record<string, NativeColumn> = {};
  for (const c of columnsOf(batch.kind)) {
    const col = batch.columns[c.name];
    if (col === undefined) continue;
    if (c.type === 'utf8_list') columns[c.name] = pickList(col as ListColumn, keep);
    else if (c.type === 'dict' || c.type === 'utf8') columns[c.name] = pickStrings(col as StringColumn, keep);
    else if (c.type === 'addr') {
      const src = col as Uint8Array;
      const out = new Uint8Array(keep.length * 16);
      keep.forEach((i, k) => out.set(src.subarray(i * 16, i * 16 + 16), k * 16));
      columns[c.name] = out;
    } else {
      const src = col as Uint32Array;
      const out = new (src.constructor as { new (n: number): Uint32Array })(keep.length);
      keep.forEach((i, k) => (out[k] = src[i]!));
      columns[c.name] = out;
    }
  }
  return { kind: batch.kind, length: keep.length, columns };
}
