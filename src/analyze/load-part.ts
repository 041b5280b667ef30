/**
 * What a load reads: each capture as a unit, read batch by batch with its file's decode state,
 * as the messages a load takes in order (load-feed.ts): a decoded batch each, what each unit found
 * (plain data), then done. No DuckDB here: the load worker (load-worker.ts) reads too.
 */
import { decodeBatch, StringCaps, type DecodedBatch, type DecodeState, type GlobalStrings } from './load-decode.js';
import { shimDeferral, ShimWriter } from './load-shim.js';
import { CaptureReader, type CaptureMeta } from '../capture/reader.js';
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
 * A load's messages, in file order: `strings` are the dictionary strings first numbered by that
 * batch (so a thread holding another GlobalStrings numbers them the same), `bytes` the file's size.
 */
export type LoadMessage =
  | { type: 'batch'; unit: number; batch: DecodedBatch; strings: string[]; bytes: number }
  /** A batch written to the shim (load-shim.ts) instead: counted, its rows stored by read_parquet later. */
  | { type: 'deferred'; unit: number; rows: number; strings: string[]; bytes: number }
  /** A shim file is complete, holding `rows` rows (after the deferred batch that filled it, and after the last capture). */
  | { type: 'shim'; path: string; rows: number }
  | { type: 'unit'; result: UnitResult }
  | { type: 'done' }
  | { type: 'error'; error: ErrorMessage };

/**
 * Reads and decodes `units` in order, numbering strings in `strings`; `own`: every buffer of a
 * batch may be transferred to another thread (decodeBatch). `shimDir`: the bulk kind's batches
 * that can be are written to shim files in that directory, frames still compressed
 * (load-shim.ts), instead of decoded.
 * Synchronous, so it can run inside DuckDB's calls for rows; useZstd() must have been awaited.
 * Throws what reading throws.
 */
export function* decodeUnits(units: LoadUnit[], strings: GlobalStrings, own: boolean, shimDir: string | null = null): Generator<LoadMessage> {
  const shim = shimDir === null ? null : new ShimWriter(shimDir);
  const defer = shim ? shimDeferral() : undefined;
  try {
    yield* decodeEach(units, strings, own, shim, defer);
    const last = shim?.finish();
    if (last) yield { type: 'shim', ...last };
  } finally {
    shim?.close();
  }
  yield { type: 'done' };
}

function* decodeEach(units: LoadUnit[], strings: GlobalStrings, own: boolean, shim: ShimWriter | null, defer: ReturnType<typeof shimDeferral> | undefined): Generator<LoadMessage> {
  for (const [index, unit] of units.entries()) {
    const reader = CaptureReader.openSync(unit.path, { defer });
    try {
      const state: DecodeState = { strings, remap: new Map(), cut: new StringCaps() };
      let rows = 0;
      for (const { kind, batch } of reader.batches()) {
        const frames = reader.framesOf(batch);
        if (frames && shim) {
          const full = shim.add(batch, frames, state, unit.captureId);
          rows += batch.numRows;
          yield { type: 'deferred', unit: index, rows: batch.numRows, strings: strings.takeNew(), bytes: reader.fileBytes };
          if (full) yield { type: 'shim', ...full };
          continue;
        }
        const decoded = decodeBatch(kind, batch, state, own);
        rows += batch.numRows;
        yield { type: 'batch', unit: index, batch: decoded, strings: strings.takeNew(), bytes: reader.fileBytes };
      }
      yield { type: 'unit', result: { captureId: unit.captureId, rows, meta: reader.meta, warning: reader.warning(), truncated: state.cut.truncated } };
    } finally {
      reader.close();
    }
  }
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
