/**
 * What a load reads: each capture as a unit, read batch by batch with its file's decode state;
 * what each unit found comes back as plain data. No DuckDB here: the load worker
 * (load-worker.ts) reads too.
 */
import type { RecordBatch } from 'apache-arrow';
import { StringCaps, type DecodeState, type GlobalStrings } from './load-decode.js';
import { CaptureReader, type CaptureMeta } from '../capture/reader.js';
import type { Kind } from '../capture/schema.js';
import { ContxrayError, errorMessage } from '../util/errors.js';

/** A capture to load, and its id in the database. */
export interface LoadUnit {
  captureId: number;
  path: string;
}

/** What loading a unit found; plain data, so it crosses from a worker as a message. */
export interface UnitResult {
  captureId: number;
  rows: number;
  meta: CaptureMeta;
  warning: string | null;
  /** Strings cut to their column's cap: values, and dictionary entries once each. */
  truncated: number;
}

/**
 * Reads a unit's batches and hands each to `onBatch` with the decode state of its file (string ids
 * from `strings`, cut counts).
 */
export async function readUnit(
  unit: LoadUnit,
  strings: GlobalStrings,
  onBatch: (kind: Kind, batch: RecordBatch, state: DecodeState, fileBytes: number) => void | Promise<void>,
): Promise<UnitResult> {
  const reader = await CaptureReader.open(unit.path);
  const state: DecodeState = { strings, remap: new Map(), cut: new StringCaps() };
  let rows = 0;
  for (const { kind, batch } of reader.batches()) {
    await onBatch(kind, batch, state, reader.fileBytes);
    rows += batch.numRows;
  }
  return { captureId: unit.captureId, rows, meta: reader.meta, warning: reader.warning(), truncated: state.cut.truncated };
}

/** An error as plain data for postMessage (a worker's errors lose their class crossing threads). */
export interface ErrorMessage {
  name: string;
  code?: string;
  message: string;
}

export function toErrorMessage(err: unknown): ErrorMessage {
  if (err instanceof ContxrayError) return { name: err.name, code: err.code, message: err.message };
  return { name: 'Error', message: errorMessage(err) };
}
