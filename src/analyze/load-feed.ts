/**
 * Puts a load's decoded batches (load-part.ts messages, in file order) into the analysis
 * database, each row once, straight into its final table. With the Parquet shim (loadShimmed
 * below; load.ts shimWanted says when), the bulk kind arrives as shim files DuckDB reads on its
 * threads and everything else is appended. Without it:
 * - the bulk kind (`syscall` aggregates: most rows of any capture) streams into one
 *   `INSERT INTO ev_syscall SELECT * FROM <table function>`. DuckDB asks the table function for
 *   the next 2048 rows from its own threads, so the costly half of a load — DuckDB compressing and
 *   storing rows, which an appender does on the one thread that calls it — runs on every core.
 *   Parallel insertion needs `preserve_insertion_order` off for that statement: the rows of
 *   ev_syscall are not kept in file order (no view or query relies on the order of a table);
 * - every other kind's batch is appended as it arrives, through an appender on a second
 *   connection (the first is busy with the INSERT).
 * The table function runs on this thread (DuckDB's thread waits for it) and cannot await: it
 * takes the messages from a synchronous source — decodeUnits() itself, or the load worker's
 * messages (load-pipeline.ts).
 */
import { availableParallelism } from 'node:os';
import type { DataChunk } from '@duckdb/node-bindings';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBTableFunction } from '@duckdb/node-api';
import { api, bindings as duckdb } from './duckdb.js';
import { appendDecoded, captureIdColumn, checkedColumns, CHUNK, DUCK_TYPES, fillFixed, withAppenders, type GlobalStrings } from './append.js';
import { BULK_KIND, kindColumns, WIDTH, type DecodedBatch } from './load-decode.js';
import { rmSync } from 'node:fs';
import { ShimFailed, shimFields, type Segment } from './load-shim.js';
import type { ErrorMessage, LoadMessage, LoadUnit, UnitResult } from './load-part.js';
import type { Kind } from '../capture/schema.js';
import { CaptureError, ContxrayError, errorMessage, OutputError, QueryError, RecorderError, SelectionError, UsageError } from '../util/errors.js';

/** The kind streamed through the parallel INSERT; its columns are all fixed-width (checked by a test). */
export { BULK_KIND };

/**
 * Where the messages come from: `next()` may block; `taken()` after each batch is in the database;
 * `ready()`, when there, resolves once next() would not block (waiting without blocking this thread).
 */
export interface MessageSource {
  next(): LoadMessage;
  taken(): void;
  ready?(): Promise<void>;
}

export type Count = (unit: LoadUnit, rows: number, bytes: number) => void;

/**
 * Table functions live in the database's catalog, not the connection's, and registering a name
 * that is taken keeps the old function: a name must never repeat in one database, even when two
 * copies of this module (the load bundle and load.js) load into it, so each copy draws its own prefix.
 */
const MODULE_ID = Math.random().toString(36).slice(2, 10);
let functions = 0;

/**
 * Loads every message of `source` into the database of `conn`. `strings`: the GlobalStrings to
 * number the batches' new strings into, when the source numbered them in another (the worker's);
 * null when the source numbers into the load's own.
 */
export async function loadFed(instance: DuckDBInstance, conn: DuckDBConnection, source: MessageSource, units: LoadUnit[], strings: GlobalStrings | null, count: Count, opts: FeedOptions = {}): Promise<UnitResult[]> {
  if (opts.shim && opts.parallel !== false) return loadShimmed(instance, conn, source, units, strings, count);
  if (opts.parallel === false) {
    return withAppenders(conn, async (appenders) => {
      const feed = new Feed(source, appenders, units, strings, count, false);
      feed.drain();
      return feed.results;
    });
  }
  const side = await instance.connect();
  try {
    return await withAppenders(side, async (appenders) => {
      const feed = new Feed(source, appenders, units, strings, count, true);
      const name = `contxray_load_${MODULE_ID}_${++functions}`;
      conn.registerTableFunction(feed.tableFunction(name));
      await conn.run('SET preserve_insertion_order = false');
      try {
        await conn.run(`INSERT INTO ev_${BULK_KIND} SELECT * FROM ${name}()`);
      } catch (err) {
        throw feed.failure ?? err;
      } finally {
        await conn.run('RESET preserve_insertion_order');
      }
      if (feed.failure) throw feed.failure;
      if (!feed.finished) throw new CaptureError('load-failed', 'the load stopped before the last capture was read');
      return feed.results;
    });
  } finally {
    side.closeSync();
  }
}

/**
 * The load with the Parquet shim (load-shim.ts): the source writes the bulk kind's batches to shim
 * files as it reads, and each complete file is stored by an `INSERT … SELECT FROM read_parquet`
 * on `conn` — DuckDB decompressing and storing on its threads — while the next is written. Every
 * other batch (other kinds, and bulk batches that could not be deferred) goes through its appender
 * on a second connection. Messages are taken outside DuckDB's calls, so this thread waits for them
 * without blocking (source.ready) and the INSERTs start as their files complete. Both connections'
 * transactions commit only when everything is in: a failure leaves the tables as they were.
 */
async function loadShimmed(instance: DuckDBInstance, conn: DuckDBConnection, source: MessageSource, units: LoadUnit[], strings: GlobalStrings | null, count: Count): Promise<UnitResult[]> {
  const side = await instance.connect();
  try {
    return await withAppenders(side, async (appenders) => {
      const feed = new Feed(source, appenders, units, strings, count, false);
      let stored: Promise<void> = Promise.resolve();
      let pending = 0;
      feed.onSegment = (segment) => {
        pending++;
        stored = stored.then(() => insertShim(conn, segment)).finally(() => pending--);
        stored.catch(() => undefined); // awaited below; a failure must not be an unhandled rejection meanwhile
      };
      // In one transaction (one commit), in any order: DuckDB then stores each file on all its threads.
      await conn.run('SET preserve_insertion_order = false');
      await conn.run('BEGIN TRANSACTION');
      let ok = false;
      try {
        while (!feed.finished) {
          // Reading may run ahead of DuckDB by a file, not more: shim files are on disk, a capture's size each.
          if (pending > MAX_PENDING_SEGMENTS) await stored;
          await (source.ready ? source.ready() : new Promise(setImmediate));
          feed.take(source.next());
        }
        await stored;
        ok = true;
      } finally {
        await stored.catch(() => undefined);
        await conn.run(ok ? 'COMMIT' : 'ROLLBACK');
        await conn.run('RESET preserve_insertion_order');
      }
      return feed.results;
    });
  } finally {
    side.closeSync();
  }
}

/** Shim files written and not yet stored, at most (beyond the one being stored). */
const MAX_PENDING_SEGMENTS = 1;

/** A shim file's rows into the bulk kind's table, DuckDB reading and storing on its threads; the file is removed after. */
async function insertShim(conn: DuckDBConnection, segment: Segment): Promise<void> {
  const cols = shimFields().map((f) => `"${f.name}"`).join(', ');
  let stored: number;
  try {
    const result = await conn.run(`INSERT INTO ev_${BULK_KIND} (${cols}) SELECT ${cols} FROM read_parquet('${segment.path.replaceAll("'", "''")}')`);
    stored = Number(result.rowsChanged);
  } catch (err) {
    throw new ShimFailed(`the shim did not load: ${errorMessage(err)}`, { cause: err });
  } finally {
    rmSync(segment.path, { force: true });
  }
  if (stored !== segment.rows) throw new ShimFailed(`the shim loaded ${stored} rows, not ${segment.rows}`);
}

export interface FeedOptions {
  /**
   * false: every kind through its appender on `conn`, the bulk kind too (no table function, no
   * second connection). For small loads, where the parallel INSERT's set-up costs more than storing
   * the rows on one core (load.ts SMALL_LOAD_BYTES).
   */
  parallel?: boolean;
  /** The source writes the bulk kind to shim files (decodeUnits' shimDir): loadShimmed(). */
  shim?: boolean;
}

/** The source's messages, taken in order inside DuckDB's calls for the bulk kind's next rows. */
class Feed {
  readonly results: UnitResult[] = [];
  finished = false;
  failure: Error | null = null;
  /** Called with each complete shim file (load-shim.ts). */
  onSegment: ((segment: Segment) => void) | null = null;
  private current: { batch: DecodedBatch; unit: LoadUnit; bytes: number; captureIds: Uint16Array } | null = null;
  private cursor = 0;
  private readonly columns = kindColumns(BULK_KIND);

  constructor(
    private readonly source: MessageSource,
    private readonly appenders: Map<Kind, DuckDBAppender>,
    private readonly units: LoadUnit[],
    private readonly strings: GlobalStrings | null,
    private readonly count: Count,
    /** Whether the bulk kind streams through tableFunction() (else it is appended like the rest). */
    private readonly streamBulk: boolean,
  ) {}

  /** Every message into the appenders, when the bulk kind is not streamed. */
  drain(): void {
    while (!this.finished) this.take(this.source.next());
  }

  tableFunction(name: string): DuckDBTableFunction {
    return api.DuckDBTableFunction.create({
      name,
      bindFunction: (bind) => {
        bind.addResultColumn('capture_id', api.USMALLINT);
        for (const c of this.columns) bind.addResultColumn(c.name, DUCK_TYPES[c.type]);
      },
      initFunction: (init) => init.setMaxThreads(availableParallelism()),
      mainFunction: (info, out) => {
        let rows = 0;
        try {
          if (!this.failure) rows = this.fill(out.chunk);
        } catch (err) {
          this.failure = err instanceof Error ? err : new Error(errorMessage(err));
          info.setError(this.failure.message);
        }
        duckdb.data_chunk_set_size(out.chunk, rows);
      },
    });
  }

  /** The next ≤ 2048 bulk rows into `chunk`; 0 when the source is done. */
  private fill(chunk: DataChunk): number {
    while (!this.current) {
      if (this.finished) return 0;
      this.take(this.source.next());
    }
    const { batch, captureIds } = this.current;
    const n = Math.min(CHUNK, batch.rows - this.cursor);
    const vectors = Array.from({ length: this.columns.length + 1 }, (_, i) => duckdb.data_chunk_get_vector(chunk, i));
    fillFixed(vectors, batch, this.columns, captureIds, this.cursor, n);
    this.cursor += n;
    if (this.cursor >= batch.rows) this.done();
    return n;
  }

  /** One message: inside DuckDB's calls (fill, drain), or outside them (loadShimmed). */
  take(m: LoadMessage): void {
    if (m.type === 'batch') {
      const unit = this.units[m.unit]!;
      this.strings?.addAll(m.strings);
      if (m.batch.kind === BULK_KIND && this.streamBulk) {
        checkedColumns(m.batch);
        this.current = { batch: m.batch, unit, bytes: m.bytes, captureIds: captureIdColumn(unit.captureId) };
        this.cursor = 0;
        if (m.batch.rows === 0) this.done();
      } else {
        appendDecoded(this.appenders.get(m.batch.kind)!, m.batch, unit.captureId);
        this.source.taken();
        this.count(unit, m.batch.rows, m.bytes);
      }
    } else if (m.type === 'deferred') {
      this.strings?.addAll(m.strings);
      this.count(this.units[m.unit]!, m.rows, m.bytes);
    } else if (m.type === 'shim') {
      if (!this.onSegment) throw new Error('a shim file in a load without the shim');
      this.onSegment({ path: m.path, rows: m.rows });
    } else if (m.type === 'unit') this.results.push(m.result);
    else if (m.type === 'done') this.finished = true;
    else throw fromErrorMessage(m.error);
  }

  /** The current bulk batch is all in chunks. */
  private done(): void {
    const { unit, batch, bytes } = this.current!;
    this.current = null;
    this.source.taken();
    this.count(unit, batch.rows, bytes);
  }
}

/** Whether a kind can stream through the parallel INSERT (fixed-width columns only). */
export function streamable(kind: Kind): boolean {
  return kindColumns(kind).every((c) => WIDTH[c.type] !== undefined);
}

const CLASSES: Record<string, new (code: string, message: string) => ContxrayError> = {
  CaptureError,
  UsageError,
  OutputError,
  QueryError,
  SelectionError,
  RecorderError,
  // a CaptureError coded 'shim-failed': load.ts redoes the load without the shim (isShimFailure)
  ShimFailed: CaptureError,
};

/** A worker's error as the domain error it was, code and message intact. */
function fromErrorMessage(e: ErrorMessage): Error {
  const Class = CLASSES[e.name];
  if (Class && e.code) return new Class(e.code, e.message);
  return new CaptureError('load-failed', `loading failed: ${e.message}`);
}
