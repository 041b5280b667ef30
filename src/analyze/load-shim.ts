/**
 * The bulk kind's deferred batches (capture/defer.ts) → the load's Parquet shim (parquet-shim.ts),
 * which DuckDB then reads with `read_parquet` on its own threads. No DuckDB here: the load worker
 * writes the shim as it reads.
 *
 * Each batch is one row group: the capture id, then the kind's columns in table order; kept frames
 * go in as they are, dictionary ids renumbered into the load's strings (load-decode.ts), like the
 * decoded path does.
 */
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { Frame } from '../capture/defer.js';
import { Deferral } from '../capture/defer.js';
import type { Column, Kind } from '../capture/schema.js';
import { compressSync } from '../capture/zstd.js';
import { asBytes, BULK_KIND, kindColumns, remapDictionary, type DecodeState } from './load-decode.js';
import { ParquetShim, type ShimField, type ShimPage } from './parquet-shim.js';
import { errorMessage } from '../util/errors.js';

/** The shim's columns: the capture id, then the bulk kind's (the order of its table, tableDdl()). */
export function shimFields(kind: Kind = BULK_KIND): ShimField[] {
  return [{ name: 'capture_id', type: 'u16' }, ...kindColumns(kind).map((c) => ({ name: c.name, type: c.type }))];
}

/** What a reader defers for the shim: the bulk kind's columns (every one kept compressed or a dictionary). */
export function shimDeferral(): { kind: Kind; columns: Column[] } {
  const columns = kindColumns(BULK_KIND);
  const odd = columns.find((c) => !Deferral.passes(c) && c.type !== 'dict');
  if (odd) throw new Error(`the ${BULK_KIND} column ${odd.name} (${odd.type}) can neither be passed on compressed nor renumbered`);
  return { kind: BULK_KIND, columns };
}

/**
 * Rows per shim file: DuckDB stores one file while the next is written, so reading and storing
 * overlap; big enough that each INSERT's fixed cost is small, and that DuckDB has row groups for
 * every thread.
 */
export const SEGMENT_ROWS = 1 << 22;

/**
 * The shim's file could not be written (a full or missing temp dir: ENOSPC, EIO …): the load is
 * redone without the shim (load.ts), as when DuckDB cannot read it. Crosses from the load worker
 * by its name (load-part.ts toErrorMessage, load-feed.ts fromErrorMessage).
 */
export class ShimWriteError extends Error {
  override name = 'ShimWriteError';
}

function writing(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw new ShimWriteError(`cannot write the load's shim: ${errorMessage(err)}`, { cause: err });
  }
}

/** A complete shim file. */
export interface Segment {
  path: string;
  rows: number;
}

/** Writes deferred batches to shim files in `dir` (private to the load), a new one every SEGMENT_ROWS rows. */
export class ShimWriter {
  private shim: ParquetShim | null = null;
  private files = 0;
  private readonly ids = new Map<string, Uint8Array>();

  constructor(
    readonly dir: string,
    private readonly segmentRows = SEGMENT_ROWS,
  ) {}

  /** A deferred batch of the bulk kind, with its kept frames, as one row group; the segment it completed, if it did. */
  add(batch: RecordBatch, frames: Map<string, Frame>, state: DecodeState, captureId: number): Segment | null {
    const rows = batch.numRows;
    const pages: ShimPage[] = [this.captureIds(captureId, rows)];
    for (const c of kindColumns(BULK_KIND)) {
      const frame = frames.get(c.name);
      if (frame) pages.push(frame);
      else if (c.type === 'dict') pages.push({ plain: asBytes(remapDictionary(c, batch.getChild(c.name)!.data[0]!, state.strings, state.remap, state.cut)) });
      else throw new Error(`a deferred ${BULK_KIND} batch has no frame for ${c.name}`);
    }
    writing(() => {
      this.shim ??= new ParquetShim(join(this.dir, `ev_${BULK_KIND}.${this.files++}.parquet`), shimFields());
      this.shim.addRowGroup(rows, pages);
    });
    return this.shim!.rows >= this.segmentRows ? this.finish() : null;
  }

  /** Writes the current file's footer: the segment, or null when there is none. */
  finish(): Segment | null {
    const shim = this.shim;
    if (!shim) return null;
    this.shim = null;
    writing(() => {
      try {
        shim.finish();
      } finally {
        shim.close(); // a footer that could not be written: its file is closed all the same
      }
    });
    return { path: shim.path, rows: shim.rows };
  }

  close(): void {
    this.shim?.close();
  }

  /** A page of `rows` copies of the capture id, compressed (a constant page is a few dozen bytes). */
  private captureIds(captureId: number, rows: number): ShimPage {
    const key = `${captureId}/${rows}`;
    let zstd = this.ids.get(key);
    if (!zstd) {
      if (this.ids.size > 64) this.ids.clear();
      zstd = compressSync(asBytes(new Int32Array(rows).fill(captureId)), 1);
      this.ids.set(key, zstd);
    }
    return { zstd, size: rows * 4 };
  }
}
