/**
 * Captures → DuckDB, on every core. Each kind has its own table `ev_<kind>` holding only that
 * kind's columns (append.ts does the column copying).
 *
 * DuckDB's appends are most of a load's time and an appender runs on the thread that calls it, so
 * the work is split into shares: the main thread appends its share into the analysis database
 * while each load worker (load-worker.ts) appends its share into a database of its own; then the
 * workers' databases are copied in (load-merge.ts; DuckDB does that on all threads), so the result
 * is one database as before. A big capture is split by record batch (batch i goes to share
 * i % shares; every share reads the whole stream but decodes only its own batches), small ones are
 * dealt out whole. `CONTXRAY_LOAD_THREADS=1` (or `threads: 1`) loads on the main thread alone.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { GlobalStrings, kindColumns, tableDdl } from './append.js';
import { loadUnits, type ErrorMessage, type LoadUnit, type UnitResult } from './load-part.js';
import { mergeWorkerDatabase } from './load-merge.js';
import type { WorkerInput } from './load-worker.js';
import type { CaptureMeta } from '../capture/reader.js';
import { KINDS } from '../capture/schema.js';
import { CaptureError, ContxrayError, OutputError, QueryError, RecorderError, SelectionError, UsageError } from '../util/errors.js';
import { privateTempDir, removeTempDir } from '../util/outfile.js';

export { kindColumns, tableDdl };

export interface LoadResult {
  rows: number;
  /** Loaders that ran: the main thread and its workers. */
  threads: number;
  warnings: string[];
  metas: CaptureMeta[];
}

export type Progress = (info: { path: string; rows: number; bytes: number }) => void;

export interface LoadOptions {
  /**
   * Loaders (the main thread and threads - 1 workers); default CONTXRAY_LOAD_THREADS, else the
   * cores (at most 4), or 1 when the load average is already at the core count. Given either way,
   * it is used even for captures too small to gain from it.
   */
  threads?: number;
  /** Captures at least this big are split by record batch across the loaders (default 16 MiB). */
  splitMinBytes?: number;
}

/** Below this much capture in all, a worker costs more to start (~0.2 s: Node, DuckDB) than it saves. */
const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
/** A capture this big is split by record batch across all loaders; smaller ones go whole. */
const SPLIT_MIN_BYTES = 16 * 1024 * 1024;
const MAX_THREADS = 4;

/** Loads captures into an open connection whose tables were created with tableDdl(). */
export async function loadCaptures(conn: DuckDBConnection, paths: string[], progress?: Progress, opts: LoadOptions = {}): Promise<LoadResult> {
  const sizes = paths.map(fileSize);
  const { threads, asked } = loadThreads(opts.threads);
  const total = sizes.reduce((a, b) => a + b, 0);
  const parallel = threads > 1 && (asked || total >= PARALLEL_MIN_BYTES);
  const shares = parallel ? plan(paths, sizes, threads, opts.splitMinBytes ?? SPLIT_MIN_BYTES) : [paths.map((path, captureId) => whole(captureId, path))];
  const strings = new GlobalStrings();
  let rows = 0;
  const perCapture = new Array<number>(paths.length).fill(0);
  const count = (unit: LoadUnit, n: number, bytes: number) => {
    rows += n;
    perCapture[unit.captureId]! += n;
    progress?.({ path: unit.path, rows, bytes });
  };
  let results: UnitResult[];
  let workerDbs: string[] = [];
  let dir: string | null = null;
  try {
    if (shares.length === 1) results = await loadUnits(conn, shares[0]!, strings, count);
    else {
      dir = privateTempDir('contxray-load-');
      ({ results, workerDbs } = await loadInParallel(conn, shares, strings, count, dir));
    }
    // A split capture that met damage is loaded again whole, on this thread: where one reader stops is the rule.
    const redo = [...new Set(results.filter((r) => r.redo).map((r) => r.captureId))];
    if (redo.length > 0) {
      for (const kind of KINDS) await conn.run(`DELETE FROM ev_${kind} WHERE capture_id IN (${redo.join(', ')})`);
      results = results.filter((r) => !redo.includes(r.captureId));
      for (const id of redo) rows -= perCapture[id]!; // progress counts them again
      results.push(...(await loadUnits(conn, redo.map((id) => whole(id, paths[id]!)), strings, count)));
    }
    await strings.store(conn);
    for (const db of workerDbs) await mergeWorkerDatabase(conn, db, redo);
  } finally {
    if (dir) removeTempDir(dir);
  }
  return { ...(await finish(conn, paths, results)), threads: shares.length };
}

/** Capture metadata rows, warnings in capture order, truncation counts summed over a capture's shares. */
async function finish(conn: DuckDBConnection, paths: string[], results: UnitResult[]): Promise<Omit<LoadResult, 'threads'>> {
  const warnings: string[] = [];
  const metas: CaptureMeta[] = [];
  let rows = 0;
  for (const [captureId] of paths.entries()) {
    const mine = results.filter((r) => r.captureId === captureId).sort((a, b) => a.part - b.part);
    const first = mine[0]!;
    const entries = new Set(mine.flatMap((r) => r.cutEntries));
    const cut = mine.reduce((n, r) => n + r.cutValues, 0) + entries.size;
    rows += mine.reduce((n, r) => n + r.rows, 0);
    if (first.warning) warnings.push(first.warning);
    metas.push(first.meta);
    await insertCaptureMeta(conn, captureId, first.meta, first.warning, cut);
  }
  return { rows, warnings, metas };
}

function whole(captureId: number, path: string): LoadUnit {
  return { captureId, path, part: 0, parts: 1 };
}

/** Shares for `threads` loaders: big captures split across all, the others dealt out biggest first to the least loaded. */
function plan(paths: string[], sizes: number[], threads: number, splitMinBytes: number): LoadUnit[][] {
  const shares: LoadUnit[][] = Array.from({ length: threads }, () => []);
  const load = new Array<number>(threads).fill(0);
  const order = [...paths.keys()].sort((a, b) => sizes[b]! - sizes[a]!);
  for (const id of order) {
    if (sizes[id]! >= splitMinBytes) {
      for (let part = 0; part < threads; part++) {
        shares[part]!.push({ captureId: id, path: paths[id]!, part, parts: threads });
        load[part]! += sizes[id]! / threads;
      }
      continue;
    }
    const least = load.indexOf(Math.min(...load));
    shares[least]!.push(whole(id, paths[id]!));
    load[least]! += sizes[id]!;
  }
  // Back in capture order within a share, as one loader would have gone.
  for (const s of shares) s.sort((a, b) => a.captureId - b.captureId);
  return shares.filter((s, i) => i === 0 || s.length > 0);
}

function loadThreads(option?: number): { threads: number; asked: boolean } {
  const env = process.env.CONTXRAY_LOAD_THREADS;
  const asked = option ?? (env !== undefined && env !== '' ? Number(env) : undefined);
  if (asked === undefined) {
    // Workers only pay off on idle cores: they add a copy of their rows (~half an append's cost),
    // so on a machine already busy on every core (load average ≥ cores) one loader is faster.
    const cores = availableParallelism();
    return { threads: loadavg()[0]! >= cores ? 1 : Math.min(cores, MAX_THREADS), asked: false };
  }
  if (!Number.isInteger(asked) || asked < 1 || asked > 64) throw new UsageError('bad-threads', `CONTXRAY_LOAD_THREADS must be a whole number from 1 to 64 (got ${String(option ?? env)})`);
  return { threads: asked, asked: true };
}

/** Size for planning only; the reader checks the file itself and names what is wrong with it. */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

// The worker module compiled beside this one (dist/ in the repo and in an installed package alike).
const WORKER = new URL('./load-worker.js', import.meta.url);

/** Share 0 on this thread into `conn`, the others in workers into databases in `dir`. */
async function loadInParallel(
  conn: DuckDBConnection,
  shares: LoadUnit[][],
  strings: GlobalStrings,
  count: (unit: LoadUnit, n: number, bytes: number) => void,
  dir: string,
): Promise<{ results: UnitResult[]; workerDbs: string[] }> {
  let failed: Error | null = null;
  const workerDbs = shares.slice(1).map((_, i) => join(dir, `worker-${i + 1}.duckdb`));
  const workers = shares.slice(1).map((units, i) => runWorker({ db: workerDbs[i]!, units }, count));
  // Never left rejected and unwatched: the first failure stops this thread's share too.
  const settled = workers.map((w) =>
    w.promise.then(
      (results) => results,
      (err: Error) => {
        failed ??= err;
        return [] as UnitResult[];
      },
    ),
  );
  try {
    const mine = await loadUnits(conn, shares[0]!, strings, async (unit, n, bytes) => {
      count(unit, n, bytes);
      // Let the workers' progress messages (and a failure) in between batches.
      await new Promise((resolve) => setImmediate(resolve));
      if (failed) throw failed;
    });
    const theirs = await Promise.all(settled);
    if (failed) throw failed;
    return { results: [...mine, ...theirs.flat()], workerDbs };
  } finally {
    for (const w of workers) await w.stop();
  }
}

interface RunningWorker {
  promise: Promise<UnitResult[]>;
  /** Terminates the worker if it still runs, and waits until it has exited (its database is closed). */
  stop(): Promise<void>;
}

function runWorker(input: WorkerInput, count: (unit: LoadUnit, n: number, bytes: number) => void): RunningWorker {
  const worker = new Worker(WORKER, { workerData: input });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const promise = new Promise<UnitResult[]>((resolve, reject) => {
    let results: UnitResult[] | null = null;
    worker.on('message', (m: { type: 'rows'; unit: LoadUnit; rows: number; bytes: number } | { type: 'done'; results: UnitResult[] } | { type: 'error'; error: ErrorMessage }) => {
      if (m.type === 'rows') count(m.unit, m.rows, m.bytes);
      else if (m.type === 'done') results = m.results;
      else reject(fromErrorMessage(m.error));
    });
    worker.once('error', (err) => reject(new CaptureError('load-failed', `load worker failed: ${err.message}`, { cause: err })));
    // Resolved on exit, not on 'done': the worker's database must be closed before it is attached.
    worker.once('exit', (code) => (results ? resolve(results) : reject(new CaptureError('load-failed', `load worker exited (${code}) before it finished`))));
  });
  return {
    promise,
    stop: async () => {
      await worker.terminate();
      await exited;
    },
  };
}

const CLASSES: Record<string, new (code: string, message: string) => ContxrayError> = {
  CaptureError,
  UsageError,
  OutputError,
  QueryError,
  SelectionError,
  RecorderError,
};

/** A worker's error as the domain error it was, code and message intact. */
function fromErrorMessage(e: ErrorMessage): Error {
  const Class = CLASSES[e.name];
  if (Class && e.code) return new Class(e.code, e.message);
  return new CaptureError('load-failed', `loading failed: ${e.message}`);
}

async function insertCaptureMeta(conn: DuckDBConnection, id: number, meta: CaptureMeta, warning: string | null, truncatedStrings: number): Promise<void> {
  const name = meta.path.split('/').pop()!;
  const started = meta.recorder.started_at_ns && /^\d+$/.test(meta.recorder.started_at_ns) ? BigInt(meta.recorder.started_at_ns) : null;
  await conn.run(
    'INSERT INTO capture_files VALUES ($id, $name, $path, $host, $kernel, $arch, $version, $boot, $options, $recorder, make_timestamp_ns($started::BIGINT), $warning, $truncated::UBIGINT)',
    {
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
    },
  );
  const app = await conn.createAppender('syscall_names');
  const tables: [boolean, string, Record<string, string> | undefined][] = [
    [false, meta.syscalls.arch, meta.syscalls.names],
    [true, meta.syscalls.compat_arch ?? '', meta.syscalls.compat_names],
  ];
  for (const [compat, arch, names] of tables) {
    for (const [nr, name] of Object.entries(names ?? {})) {
      if (!/^\d+$/.test(nr)) continue;
      app.appendUSmallInt(id);
      app.appendBoolean(compat);
      app.appendInteger(Number(nr));
      app.appendVarchar(String(name));
      app.appendVarchar(arch);
      app.endRow();
    }
  }
  app.closeSync();
}
