/**
 * Captures → DuckDB. Each kind has its own table `ev_<kind>` holding only that kind's columns
 * (load-decode.ts decodes a batch's columns, append.ts copies them into data chunks, load-feed.ts
 * stores them: the bulk kind through DuckDB's threads, the rest by appenders).
 *
 * The bulk kind goes, frames still compressed, into Parquet shim files DuckDB reads itself
 * (load-shim.ts) while a core is idle (shimWanted); what is decoded is decoded on this thread,
 * or by a load worker running ahead (load-pipeline.ts) when asked for (CONTXRAY_LOAD_THREADS=2), or
 * without the shim on two cores with captures big enough to pay for it. Small loads are read ahead
 * and appended (readAhead).
 * Measured against the alternatives in docs/performance.md ("Interactive speed — parallel load").
 */
import { availableParallelism, loadavg } from 'node:os';
import { statSync } from 'node:fs';
import { privateTempDir, removeTempDir } from '../util/outfile.js';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { GlobalStrings, kindColumns, tableDdl } from './append.js';
import { loadFed, type MessageSource } from './load-feed.js';
import { isShimFailure } from './load-shim.js';
import { KINDS } from '../capture/schema.js';
import { withWorker } from './load-pipeline.js';
import { decodeUnits, type LoadMessage, type LoadUnit, type UnitResult } from './load-part.js';
import { useZstd } from '../capture/zstd.js';
import type { CaptureMeta } from '../capture/reader.js';
import { UsageError } from '../util/errors.js';

export { kindColumns, tableDdl };

export interface LoadResult {
  rows: number;
  /** JavaScript threads that decoded: 1 (this one) or 2 (a worker decoding ahead). DuckDB's threads store rows either way. */
  threads: number;
  /** Whether the captures were small, read and decoded before the load (readAhead). */
  readAhead: boolean;
  warnings: string[];
  metas: CaptureMeta[];
}

export type Progress = (info: { path: string; rows: number; bytes: number }) => void;

export interface LoadOptions {
  /**
   * 1: decode on this thread; 2 or more: a worker decodes ahead (one: DuckDB's threads do the
   * storing). Default CONTXRAY_LOAD_THREADS, else 1 with the shim (loadThreads), else
   * defaultThreads(): the worker when a core is idle for it and the captures are big enough. Given
   * either way, it is used even for captures too small to gain from it.
   */
  threads?: number;
  /** What readAhead() returned for these paths, when the caller started it earlier (null: not small). */
  ahead?: ReadAhead | null;
}

/** Small captures, read and decoded before the load (readAhead). */
export interface ReadAhead {
  strings: GlobalStrings;
  messages: LoadMessage[];
  /** What reading threw after the last message, thrown again where the load reaches it. */
  failure: unknown;
}

/** Below this much capture per file, the worker costs more than it saves (many small files: 0.95× on a quiet machine). */
export const PIPELINE_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Below this much capture in all, a load is small: read and decoded ahead (readAhead), every kind
 * appended on this thread (load-feed.ts FeedOptions), no parallel INSERT.
 */
export const SMALL_LOAD_BYTES = 1024 * 1024;

/** The database a load goes into: its tables created with tableDdl(); the pipeline opens a second connection. */
export interface LoadTarget {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

/** Loads captures into an open database whose tables were created with tableDdl(). */
export async function loadCaptures({ instance, connection: conn }: LoadTarget, paths: string[], progress?: Progress, opts: LoadOptions = {}): Promise<LoadResult> {
  const units = unitsOf(paths);
  const ahead = opts.ahead !== undefined ? opts.ahead : await readAhead(paths, opts);
  const shim = !ahead && shimWanted();
  const threads = ahead ? 1 : loadThreads(opts.threads, paths, shim);
  let rows = 0;
  const count = (unit: LoadUnit, n: number, bytes: number) => {
    rows += n;
    progress?.({ path: unit.path, rows, bytes });
  };
  await useZstd();
  const load = async (shimDir: string | null) => {
    rows = 0;
    const strings = ahead?.strings ?? new GlobalStrings();
    const fed = { shim: shimDir !== null };
    const results = ahead
      ? await loadFed(instance, conn, replay(ahead), units, null, count, { parallel: false })
      : threads > 1
        ? await withWorker(units, shimDir, (source) => loadFed(instance, conn, source, units, strings, count, fed))
        : await withLocal(units, strings, shimDir, (source) => loadFed(instance, conn, source, units, null, count, fed));
    return { results, strings };
  };
  const { results, strings } = shim ? await withShim(conn, load) : await load(null);
  // One transaction (one commit) for the strings and every capture's rows.
  await conn.run('BEGIN TRANSACTION');
  try {
    await strings.store(conn);
    const done = await finish(conn, paths, results);
    await conn.run('COMMIT');
    return { ...done, threads, readAhead: ahead !== null };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Capture metadata rows, warnings in capture order. */
async function finish(conn: DuckDBConnection, paths: string[], results: UnitResult[]): Promise<Omit<LoadResult, 'threads' | 'readAhead'>> {
  if (results.length !== paths.length) throw new Error(`loaded ${results.length} of ${paths.length} captures`);
  const warnings: string[] = [];
  const metas: CaptureMeta[] = [];
  let rows = 0;
  // One statement and one appender for all captures: per capture, they cost more than a small capture's rows.
  const insert = await conn.prepare(INSERT_CAPTURE);
  const names = await conn.createAppender('syscall_names');
  try {
    for (const r of [...results].sort((a, b) => a.captureId - b.captureId)) {
      rows += r.rows;
      if (r.warning) warnings.push(r.warning);
      metas.push(r.meta);
      insert.bind(captureRow(r.captureId, r.meta, r.warning, r.truncated));
      await insert.run();
      appendSyscallNames(names, r.captureId, r.meta);
    }
  } finally {
    names.closeSync();
    insert.destroySync();
  }
  return { rows, warnings, metas };
}

/**
 * 1 or 2 (see LoadOptions.threads). With the shim (load-shim.ts) one: DuckDB decompresses and
 * stores the bulk kind on its threads, and a worker would only add its start and copies.
 */
export function loadThreads(option: number | undefined, paths: string[], shim = false): number {
  const env = process.env.CONTXRAY_LOAD_THREADS;
  const asked = option ?? (env !== undefined && env !== '' ? Number(env) : undefined);
  if (asked === undefined) return shim ? 1 : defaultThreads(availableParallelism(), totalBytes(paths), loadavg()[0]!, paths.length);
  if (!Number.isInteger(asked) || asked < 1 || asked > 64) throw new UsageError('bad-threads', `CONTXRAY_LOAD_THREADS must be a whole number from 1 to 64 (got ${String(option ?? env)})`);
  return Math.min(asked, 2);
}

/**
 * The worker when a second core is there for it: two cores or more, captures big enough to pay
 * for it, and a load average below the core count. DuckDB's threads store rows either way; the
 * worker keeps the decoding off their path (10M events: 3.56 s vs 3.68 s on a quiet machine) but
 * costs a thread's start and copies, so many small captures load faster decoded here (100 × 100k:
 * 4.38 s vs 4.70 s; docs/performance.md), hence the bound on the bytes per capture.
 */
export function defaultThreads(cores: number, totalBytes: number, loadAverage: number, captures = 1): number {
  return cores >= 2 && totalBytes / Math.max(1, captures) >= PIPELINE_MIN_BYTES && loadAverage < cores ? 2 : 1;
}

function totalBytes(paths: string[]): number {
  return paths.reduce((n, p) => n + fileSize(p), 0);
}

/** Size for planning only; the reader checks the file itself and names what is wrong with it. */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * `load` given a private directory for the shim's files; again without one when the shim failed
 * (DuckDB could not read a frame, the disk was full): the usual path then reads the captures,
 * recovering what it can as it always does. The failed load committed nothing (its transactions
 * rolled back); the tables are emptied anyway.
 */
async function withShim<T>(conn: DuckDBConnection, load: (shimDir: string | null) => Promise<T>): Promise<T> {
  const dir = privateDir();
  try {
    return await load(dir);
  } catch (err) {
    if (dir === null || !isShimFailure(err)) throw err;
    for (const kind of KINDS) await conn.run(`DELETE FROM ev_${kind}`);
    return await load(null);
  } finally {
    if (dir) removeTempDir(dir);
  }
}

/**
 * A private directory for the shim's files (0700, removed at exit and on SIGINT/SIGTERM too), or
 * null (the load then goes without it) when the temp dir refuses one.
 */
function privateDir(): string | null {
  try {
    return privateTempDir('contxray-load-');
  } catch {
    return null;
  }
}

/**
 * Whether the bulk kind's batches go through the Parquet shim (load-shim.ts). CONTXRAY_LOAD_SHIM=1
 * or 0 decides; by default, when a core is idle (two or more, load average below their count). The
 * shim takes more CPU in all than decoding here (10M events: ~8.5 vs ~7.4 CPU-s) but lets DuckDB
 * decompress and store on its threads while this one reads, so it is faster on an idle machine
 * and slower when every core is busy already (docs/performance.md).
 */
export function shimWanted(cores = availableParallelism(), loadAverage = loadavg()[0]!): boolean {
  const env = process.env.CONTXRAY_LOAD_SHIM;
  if (env === '1' || env === '0') return env === '1';
  if (env !== undefined && env !== '') throw new UsageError('bad-load-shim', `CONTXRAY_LOAD_SHIM must be 1 or 0 (got ${env})`);
  return cores >= 2 && loadAverage < cores;
}

/** decodeUnits() on this thread: the batches are decoded inside DuckDB's calls for rows. */
async function withLocal<T>(units: LoadUnit[], strings: GlobalStrings, shimDir: string | null, fn: (source: MessageSource) => Promise<T>): Promise<T> {
  const messages = decodeUnits(units, strings, false, shimDir);
  try {
    return await fn({
      next: () => {
        const { value, done } = messages.next();
        if (done) throw new Error('read past the end of the load');
        return value;
      },
      taken: () => undefined,
    });
  } finally {
    messages.return(undefined); // closes the file being read, if the load stopped early
  }
}

/**
 * Small captures read and decoded now, into memory (tens of MB at most), yielding to the event loop
 * between batches: db.ts starts this while DuckDB opens and creates the tables, so the decoding, most
 * of a small capture's load, runs while DuckDB's threads do that. null when the captures are not
 * small, or a thread count was asked for: they are decoded during the load, as DuckDB asks for rows.
 */
export async function readAhead(paths: string[], opts: LoadOptions = {}): Promise<ReadAhead | null> {
  if (!isSmall(paths, opts)) return null;
  await useZstd();
  const strings = new GlobalStrings();
  const messages: LoadMessage[] = [];
  let failure: unknown = null;
  try {
    for (const m of decodeUnits(unitsOf(paths), strings, false)) {
      messages.push(m);
      if (m.type === 'batch') await new Promise(setImmediate);
    }
  } catch (err) {
    failure = err;
  }
  return { strings, messages, failure };
}

/** readAhead()'s messages as a load's source: the same messages, then the same failure, as decodeUnits() itself. */
function replay({ messages, failure }: ReadAhead): MessageSource {
  let next = 0;
  return {
    next: () => {
      if (next < messages.length) return messages[next++]!;
      throw failure ?? new Error('read past the end of the load');
    },
    taken: () => undefined,
  };
}

/** Small, and no thread count asked for (`threads`, CONTXRAY_LOAD_THREADS: those choose the other paths, for any size). */
function isSmall(paths: string[], opts: LoadOptions): boolean {
  const env = process.env.CONTXRAY_LOAD_THREADS;
  return opts.threads === undefined && (env === undefined || env === '') && paths.length > 0 && totalBytes(paths) < SMALL_LOAD_BYTES;
}

function unitsOf(paths: string[]): LoadUnit[] {
  return paths.map((path, captureId) => ({ captureId, path }));
}

const INSERT_CAPTURE =
  'INSERT INTO capture_files VALUES ($id, $name, $path, $host, $kernel, $arch, $version, $boot, $options, $recorder, make_timestamp_ns($started::BIGINT), $warning, $truncated::UBIGINT)';

function captureRow(id: number, meta: CaptureMeta, warning: string | null, truncatedStrings: number): Record<string, DuckDBValue> {
  const name = meta.path.split('/').pop()!;
  const started = meta.recorder.started_at_ns && /^\d+$/.test(meta.recorder.started_at_ns) ? BigInt(meta.recorder.started_at_ns) : null;
  return {
    id,
    name,
    path: meta.path,
    host: String(meta.host.hostname),
    kernel: String(meta.host.kernel ?? ''),
    arch: String(meta.host.arch ?? ''),
    version: meta.version,
    boot: String(meta.host.boot_time_ns ?? ''),
    options: JSON.stringify(meta.options),
    recorder: JSON.stringify(meta.recorder),
    started: started ?? 0n,
    warning,
    truncated: truncatedStrings,
  };
}

function appendSyscallNames(app: DuckDBAppender, id: number, meta: CaptureMeta): void {
  const tables: [boolean, string, Record<string, string> | undefined][] = [
    [false, meta.syscalls.arch, meta.syscalls.names],
    [true, meta.syscalls.compat_arch ?? '', meta.syscalls.compat_names],
  ];
  for (const [compat, arch, names] of tables) {
    for (const [nr, name] of Object.entries(names ?? {})) {
      if (!/^(0|[1-9]\d*)$/.test(nr)) continue; // one spelling per number: "01" would name syscall 1 twice
      app.appendUSmallInt(id);
      app.appendBoolean(compat);
      app.appendInteger(Number(nr));
      app.appendVarchar(String(name));
      app.appendVarchar(arch);
      app.endRow();
    }
  }
}
