/**
 * The friendly analysis API: open captures into DuckDB (offline: no extension downloads), create
 * the views from queries/views.sql, and run SQL with bound parameters.
 * See docs/analysis-api.md for the views.
 */
import { chmodSync, existsSync, lstatSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { api } from './duckdb.js';
// load.js (the Arrow reader, zstd, worker threads) is imported only when captures are loaded: a
// cache hit or a lake never pays for it (docs/performance.md, "Interactive speed")
import type { LoadResult, Progress } from './load.js';
import { tableDdl } from './append.js';
import { expandCapturePaths } from './paths.js';
import { defineLakeViews, findLake, lakeWarnings, type Lake } from './lake.js';
import { readQuery, type NamedQuery } from './queries.js';
import { toPlain } from './values.js';
import { CaptureError, ContxrayError, OutputError, UsageError, errorMessage } from '../util/errors.js';
import { PRIVATE_FILE, describeExisting, placeFile, privateTempDir, removeTempDir } from '../util/outfile.js';
import { FORMAT_VERSION } from '../capture/schema.js';
import { loadCachedScript, type CachedScript } from '../util/cached-script.js';

export interface OpenOptions {
  /** Keep the loaded database in this file; reopened without reloading when it exists. */
  db?: string;
  progress?: Progress;
  /** Called once per warning (recovered truncated files …). */
  onWarning?: (message: string) => void;
}

export type Params = Record<string, unknown> | unknown[];

export class Analysis {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly load: LoadResult | null,
  ) {}

  static async open(patterns: string[], opts: OpenOptions = {}): Promise<Analysis> {
    // A lake (a directory written by `export --parquet`) is queried in place: no load, no --db.
    const lake = findLake(patterns, opts.db);
    if (lake) return Analysis.openLake(lake, opts);
    const paths = patterns.length > 0 ? expandCapturePaths(patterns) : [];
    const reuse = opts.db !== undefined && describeExisting(opts.db) !== null;
    if (paths.length === 0 && !reuse) throw new UsageError('no-captures', 'give at least one capture file (or --db with a loaded database)');
    if (paths.length > 65535) throw new UsageError('too-many-captures', 'too many captures at once (max 65535)');
    if (reuse) {
      const reused = await Analysis.openExisting(opts.db!);
      if (paths.length > 0) opts.onWarning?.(`using the database already loaded in ${opts.db}; ignoring the capture arguments (delete it to reload)`);
      return reused;
    }
    // The database is built in a private mkdtemp dir (0700): next to --db, then moved into place
    // once loaded (a planted file or symlink at --db is never written through), or, without --db,
    // in the temp dir and removed afterwards. Without --db we still load big captures into a file:
    // DuckDB compresses it and can evict blocks, so 10M events peak near 0.5 GB instead of 1.3 GB
    // in memory, for ~15 % load time. Small ones load in memory: there the file's creation and its
    // checkpoint at close cost more than the whole load (docs/performance.md, interactive speed).
    const dir = opts.db !== undefined ? buildDirFor(opts.db) : totalBytes(paths) < inMemoryMaxBytes() ? null : scratchDir();
    const file = dir ? join(dir, 'analysis.duckdb') : ':memory:';
    // While DuckDB opens and creates the tables on its threads, this one loads the loader and reads
    // small captures ahead (load.ts readAhead): most of a small capture's load fills that wait.
    const opening = openDuckDB(file, {}, tableDdl());
    const loader = (async () => importLoader())(); // runs now, after DuckDB has started opening
    const ahead = loader.then((l) => l.readAhead(paths));
    ahead.catch(() => {}); // a failed open throws first: its error is the one reported
    const { instance, connection } = await opening;
    let load: LoadResult;
    try {
      const { loadCaptures } = await loader;
      load = await loadCaptures({ instance, connection }, paths, opts.progress, { ahead: await ahead });
      for (const w of load.warnings) opts.onWarning?.(w);
      await connection.run(`CREATE TABLE ${MARKER} AS SELECT $version AS version, now() AS created_at`, { version: DB_VERSION });
      // views.sql also builds the materialised container tables: here, once, so a --db file carries them
      await connection.run(readQuery('views').sql);
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      if (dir) removeTempDir(dir);
      if (err instanceof ContxrayError) throw err;
      throw new CaptureError('load-failed', `loading failed: ${errorMessage(err)}`, { cause: err });
    }
    if (opts.db === undefined) {
      if (dir) onClose.set(connection, () => removeTempDir(dir));
      return new Analysis(instance, connection, load);
    }
    // Checkpointed and closed, so the whole database is in one file (no .wal) when it moves.
    await connection.run('CHECKPOINT');
    connection.closeSync();
    instance.closeSync();
    try {
      chmodSync(file, PRIVATE_FILE);
      placeFile(file, opts.db, false);
    } finally {
      removeTempDir(dir!);
    }
    const reopened = await Analysis.openExisting(opts.db);
    return new Analysis(reopened.instance, reopened.connection, load);
  }

  /** In memory, spilling to a private scratch dir: the lake's rows stay in its files. */
  private static async openLake(lake: Lake, opts: OpenOptions): Promise<Analysis> {
    for (const w of lakeWarnings(lake)) opts.onWarning?.(w);
    const spill = scratchDir();
    const { instance, connection } = await openDuckDB(':memory:', spill ? { temp_directory: spill } : {});
    try {
      await defineLakeViews(connection, lake);
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      if (spill) removeTempDir(spill);
      if (err instanceof ContxrayError) throw err;
      throw new CaptureError('lake-unreadable', `lake ${lake.root}: ${errorMessage(err)}`, { cause: err });
    }
    if (spill) onClose.set(connection, () => removeTempDir(spill));
    return new Analysis(instance, connection, null);
  }

  /**
   * Reuses a --db database, only when contxray created it: a regular file (not a symlink) owned
   * by us, with our marker table at our version. Anything else would make us run that
   * database's own views and macros (or replay a planted .wal), so it is refused.
   * `readOnly` (the load cache, src/analyze/cache/): opened READ_ONLY, so any number of commands
   * share it, and the views it was built with are used as they are (its key names views.sql).
   */
  static async openExisting(db: string, opts: { readOnly?: boolean } = {}): Promise<Analysis> {
    const refuse = (why: string) =>
      new CaptureError('foreign-database', `--db ${db}: ${why}; contxray only reuses databases it created (delete it or give another --db)`);
    for (const path of [db, `${db}.wal`]) {
      const what = describeExisting(path);
      if (what === null) continue;
      const st = lstatSync(path);
      if (!st.isFile()) throw refuse(`${path === db ? 'it' : path} is ${what}`);
      if (st.uid !== process.geteuid?.()) throw refuse(`${path === db ? 'it' : path} is ${what}`);
      if (path === db && st.size === 0) throw refuse('it is an empty file');
    }
    let opened: { instance: DuckDBInstance; connection: DuckDBConnection };
    try {
      opened = await openDuckDB(db, opts.readOnly ? { access_mode: 'READ_ONLY' } : {});
    } catch (err) {
      throw refuse(`not a DuckDB database (${errorMessage(err)})`);
    }
    const { instance, connection } = opened;
    try {
      const marker = await connection.runAndReadAll(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $name",
        { name: MARKER },
      );
      if (Number(marker.getRows()[0]![0]) !== 1) throw refuse(`no ${MARKER} marker table`);
      const version = (await connection.runAndReadAll(`SELECT max(version) FROM main.${MARKER}`)).getRows()[0]![0];
      if (version !== DB_VERSION) throw refuse(`made by another contxray (database version ${String(version)}, this one is ${DB_VERSION})`);
      if (!opts.readOnly) await connection.run(readQuery('views').sql);
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      if (err instanceof ContxrayError) throw err;
      throw new CaptureError('database-unreadable', `--db ${db}: ${errorMessage(err)}`, { cause: err });
    }
    return new Analysis(instance, connection, null);
  }
  /** Runs SQL with bound parameters; rows as plain JS objects (bigint for 64-bit, ns bigint for timestamps). */
  async all(sql: string, params?: Params): Promise<Record<string, unknown>[]> {
    const reader = await this.run(sql, params);
    const names = reader.columnNames();
    return reader.getRows().map((row) => Object.fromEntries(row.map((v, i) => [names[i]!, toPlain(v)])));
  }

  /** Like all(), also returning column names (kept when there are no rows). */
  async table(sql: string, params?: Params): Promise<{ columns: string[]; types: string[]; rows: unknown[][] }> {
    const reader = await this.run(sql, params);
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRows().map((r) => r.map(toPlain)),
    };
  }

  /** Runs the named query (queries/<folder>/<file>.sql, see queries.ts) as a table; every parameter it declares is bound (null when not given). */
  async namedTable(name: string, params: Record<string, unknown> = {}) {
    const q = readQuery(name);
    return this.table(q.sql, namedParams(q, params));
  }

  /** A null parameter has no type DuckDB can infer; bind it as a VARCHAR null (queries cast it). */
  private run(sql: string, params?: Params) {
    if (params === undefined) return this.connection.runAndReadAll(sql);
    const types: Record<string, DuckDBType> | DuckDBType[] = Array.isArray(params) ? [] : {};
    for (const [k, v] of Object.entries(params)) if (v === null || v === undefined) (types as Record<string, DuckDBType>)[k] = api.VARCHAR;
    const values = Array.isArray(params) ? params.map((v) => v ?? null) : Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v ?? null]));
    return this.connection.runAndReadAll(sql, values as Record<string, DuckDBValue>, types as Record<string, DuckDBType>);
  }

  /** Runs the named query. Parameters the query does not use are dropped. */
  async named(name: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    const q = readQuery(name);
    return this.all(q.sql, namedParams(q, params));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    onClose.get(this.connection)?.();
  }

  /** Runs `cleanup` after close() (the load cache removes a database it could not store). */
  whenClosed(cleanup: () => void): void {
    const before = onClose.get(this.connection);
    onClose.set(this.connection, () => {
      before?.();
      cleanup();
    });
  }
}

const onClose = new WeakMap<DuckDBConnection, () => void>();

/**
 * The capture load as one script (scripts/bundle-load.mjs, built by `npm run build`): load.js with
 * the Arrow IPC reader in one module instead of ~160 (apache-arrow's index alone is 146), ~0.1 s of
 * a small capture's command (docs/performance.md, "Small captures"). As CommonJS with the V8 code
 * cache the build made after a representative load (src/util/cached-script.ts): it requires the
 * project modules it shares with db.js (error classes, append.js, duckdb.js) — ES modules, so that
 * needs require(esm), Node ≥ 20.19. Without it, the same bundle as an ES module, without cache;
 * without the build step, load.js itself.
 */
const LOAD_BUNDLE_CJS = fileURLToPath(new URL('./load.bundle.cjs', import.meta.url));
const LOAD_BUNDLE = new URL('./load.bundle.js', import.meta.url);
let loadBundle: CachedScript<LoadModule> | null | undefined;

type LoadModule = typeof import('./load.js');

/** The CommonJS load bundle as this process compiled it (null: not used); scripts/bundle-load.mjs makes its cache from it. */
export function loadBundleScript(): CachedScript<LoadModule> | null {
  return loadBundle ?? null;
}

function importLoader(): Promise<LoadModule> {
  if ((process.features as { require_module?: boolean }).require_module) {
    loadBundle ??= loadCachedScript<LoadModule>(LOAD_BUNDLE_CJS, 'load');
    if (loadBundle) return Promise.resolve(loadBundle.exports);
  }
  return existsSync(LOAD_BUNDLE) ? (import(LOAD_BUNDLE.href) as Promise<LoadModule>) : import('./load.js');
}

/** The table that marks a database contxray built, and the version of its layout. */
const MARKER = 'contxray_database';
const DB_VERSION = `capture-format-${FORMAT_VERSION}`;

/** Opens a database and connects; runs `ddl` when given (and closes again if that fails). */
async function openDuckDB(path: string, extra: Record<string, string> = {}, ddl?: string): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await api.DuckDBInstance.create(path, { autoinstall_known_extensions: 'false', autoload_known_extensions: 'true', ...extra });
  const connection = await instance.connect();
  if (ddl !== undefined) {
    try {
      await connection.run(ddl);
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      throw err;
    }
  }
  return { instance, connection };
}

/**
 * Captures smaller than this in total load in memory without --db: ~850k events, ~110 MB of
 * DuckDB memory at the 1.3 GB per 10M events measured in memory.
 */
export const IN_MEMORY_MAX_BYTES = 16 * 1024 * 1024;

/** $CONTXRAY_IN_MEMORY_MAX overrides it (bytes; 0: always a scratch file, as on a small-memory machine). */
function inMemoryMaxBytes(): number {
  const text = process.env.CONTXRAY_IN_MEMORY_MAX;
  if (text === undefined || text === '') return IN_MEMORY_MAX_BYTES;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError('bad-environment', `CONTXRAY_IN_MEMORY_MAX: '${text}' is not a number of bytes`);
  return Number(text);
}

function totalBytes(paths: string[]): number {
  let total = 0;
  for (const p of paths) {
    try {
      total += statSync(p).size;
    } catch {
      return Infinity; // unreadable: the loader reports it; no reason to prefer memory
    }
  }
  return total;
}

/** A private dir in the temp dir for the scratch database, or null (then in memory) when there is none. */
function scratchDir(): string | null {
  try {
    return privateTempDir('contxray-');
  } catch {
    return null;
  }
}

function buildDirFor(db: string): string {
  try {
    return privateTempDir(`.${basename(db)}.contxray-`, dirname(db));
  } catch (err) {
    throw new OutputError('create-failed', `cannot create --db ${db}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Every parameter the query declares (null when not given), and none it doesn't name. */
function namedParams(q: NamedQuery, params: Record<string, unknown>): Record<string, unknown> {
  const declared = Object.fromEntries(q.params.map((p) => [p, params[p] ?? null]));
  return pickParams(q.sql, { ...declared, ...params });
}

/** DuckDB refuses parameters a statement doesn't name; keep the ones it does. */
export function pickParams(sql: string, params: Record<string, unknown>): Record<string, unknown> {
  const used = new Set([...sql.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
  return Object.fromEntries(Object.entries(params).filter(([k]) => used.has(k)));
}

export function openAnalysis(paths: string[], opts?: OpenOptions): Promise<Analysis> {
  return Analysis.open(paths, opts);
}
