/**
 * One loader's share of a load: whole captures, or one share of a big capture's record batches,
 * appended into one database. Runs on the main thread (into the analysis database) and in each
 * load worker (into the worker's own database, see load-worker.ts).
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { appendBatch, GlobalStrings, StringCaps } from './append.js';
import { CaptureReader, type CaptureMeta } from '../capture/reader.js';
import { KINDS, type Kind } from '../capture/schema.js';
import { CaptureError, ContxrayError, errorMessage } from '../util/errors.js';

/** A capture, or share `part` of `parts` of its record batches (index % parts === part). */
export interface LoadUnit {
  captureId: number;
  path: string;
  part: number;
  parts: number;
}

/** What loading a unit found; plain data, so it crosses from a worker as a message. */
export interface UnitResult {
  captureId: number;
  part: number;
  rows: number;
  meta: CaptureMeta;
  warning: string | null;
  /** Cut values, and the cut dictionary entries (`column/index`: shares of one file overlap). */
  cutValues: number;
  cutEntries: string[];
  /**
   * A share that met damage or a refusal: one reader would have stopped at the first bad batch of
   * the whole file, which this share alone cannot know, so the capture is loaded again whole.
   */
  redo: boolean;
}

/** Called after every appended batch with the rows it added (and lets a caller yield or abort). */
export type OnRows = (unit: LoadUnit, rows: number, fileBytes: number) => void | Promise<void>;

/** Appends the units into `conn` (tables from tableDdl()); dictionary strings get ids from `strings`. */
export async function loadUnits(conn: DuckDBConnection, units: LoadUnit[], strings: GlobalStrings, onRows?: OnRows): Promise<UnitResult[]> {
  const appenders = new Map<Kind, DuckDBAppender>();
  for (const kind of KINDS) appenders.set(kind, await conn.createAppender(`ev_${kind}`));
  const results: UnitResult[] = [];
  try {
    for (const unit of units) results.push(await loadUnit(appenders, unit, strings, onRows));
  } finally {
    for (const a of appenders.values()) a.closeSync();
  }
  return results;
}

async function loadUnit(appenders: Map<Kind, DuckDBAppender>, unit: LoadUnit, strings: GlobalStrings, onRows?: OnRows): Promise<UnitResult> {
  const shared = unit.parts > 1;
  let reader: CaptureReader | null = null;
  const cut = new StringCaps();
  let rows = 0;
  try {
    reader = await CaptureReader.open(unit.path, { part: unit.part, parts: unit.parts });
    const remap = new Map<string, Int32Array>(); // column -> local dictionary id -> global id
    for (const { kind, batch } of reader.batches()) {
      appendBatch(appenders.get(kind)!, kind, batch, unit.captureId, strings, remap, cut);
      rows += batch.numRows;
      await onRows?.(unit, batch.numRows, reader.fileBytes);
    }
  } catch (err) {
    // A refusal seen by one share may lie behind damage another share saw first: decided by the redo.
    if (!shared || !(err instanceof CaptureError) || reader === null) throw err;
    return { captureId: unit.captureId, part: unit.part, rows, meta: reader.meta, warning: null, cutValues: 0, cutEntries: [], redo: true };
  }
  const warning = reader.warning();
  return {
    captureId: unit.captureId,
    part: unit.part,
    rows,
    meta: reader.meta,
    warning,
    cutValues: cut.values,
    cutEntries: [...cut.entries],
    redo: shared && warning !== null,
  };
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
