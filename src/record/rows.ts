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

function concatTyped(parts: ArrayLike<unknown>[], ctor: { new (n: number): { set(a: ArrayLike<unknown>, o: number): void } }, total: number) {
  const out = new ctor(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatStrings(parts: StringColumn[]): StringColumn {
  const size = parts.reduce((n, p) => n + p.data.byteLength, 0);
  const rows = parts.reduce((n, p) => n + p.offsets.length - 1, 0);
  const data = new Uint8Array(size);
  const offsets = new Int32Array(rows + 1);
  let at = 0;
  let row = 0;
  for (const p of parts) {
    data.set(p.data, at);
    for (let i = 1; i < p.offsets.length; i++) offsets[++row] = at + p.offsets[i]!;
    at += p.data.byteLength;
  }
  return { offsets, data };
}

function concatLists(parts: ListColumn[]): ListColumn {
  const rows = parts.reduce((n, p) => n + p.listOffsets.length - 1, 0);
  const listOffsets = new Int32Array(rows + 1);
  let row = 0;
  let strings = 0;
  for (const p of parts) {
    for (let i = 1; i < p.listOffsets.length; i++) listOffsets[++row] = strings + p.listOffsets[i]!;
    strings += p.offsets.length - 1;
  }
  const inner = concatStrings(parts);
  return { listOffsets, offsets: inner.offsets, data: inner.data };
}

/**
 * One batch from several of the same kind. Every record batch carries ~2.5 KB of metadata (one
 * entry per column of the wide schema), so the recorder writes what it drained once per flush
 * instead of once per drain.
 */
export function concatBatches(batches: NativeBatch[]): NativeBatch {
  if (batches.length === 1) return batches[0]!;
  const kind = batches[0]!.kind;
  const length = batches.reduce((n, b) => n + b.length, 0);
  const columns: Record<string, NativeColumn> = {};
  for (const c of columnsOf(kind)) {
    const parts = batches.map((b) => b.columns[c.name]).filter((x): x is NativeColumn => x !== undefined);
    if (parts.length === 0) continue;
    if (c.type === 'utf8_list') columns[c.name] = concatLists(parts as ListColumn[]);
    else if (c.type === 'dict' || c.type === 'utf8') columns[c.name] = concatStrings(parts as StringColumn[]);
    else {
      const first = parts[0] as Uint8Array;
      const total = parts.reduce((n, p) => n + (p as Uint8Array).length, 0);
      columns[c.name] = concatTyped(parts as Uint8Array[], first.constructor as never, total) as unknown as NativeColumn;
    }
  }
  return { kind, length, columns };
}
