/**
 * The friendly analysis API: open captures into DuckDB (offline: no extension downloads), create
 * the views from queries/views.sql, and run SQL with bound parameters.
 * See docs/analysis-api.md for the views.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DuckDBInstance, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { loadCaptures, tableDdl, type LoadResult, type Progress } from './load.js';
import { expandCapturePaths } from './paths.js';
import { readQuery, type NamedQuery } from './queries.js';
import { toPlain } from './values.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';

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
    const paths = patterns.length > 0 ? expandCapturePaths(patterns) : [];
    const reuse = opts.db !== undefined && existsSync(opts.db) && statSync(opts.db).size > 0;
    if (paths.length === 0 && !reuse) throw new CliError('give at least one capture file (or --db with a loaded database)', EXIT.usage);
    if (paths.length > 65535) throw new CliError('too many captures at once (max 65535)', EXIT.usage);
    // Without --db we still load into a database file, a temporary one: DuckDB compresses it and
    // can evict blocks, so 10M events peak near 0.5 GB instead of 1.3 GB in memory, for ~15 % load time.
    const scratch = opts.db === undefined ? scratchDatabase() : null;
    const instance = await DuckDBInstance.create(opts.db ?? scratch ?? ':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
    });
    const connection = await instance.connect();
    if (scratch) onClose.set(connection, () => removeDatabase(scratch));
    let load: LoadResult | null = null;
    try {
      if (!reuse) {
        await connection.run(tableDdl());
        load = await loadCaptures(connection, paths, opts.progress);
        for (const w of load.warnings) opts.onWarning?.(w);
      } else if (paths.length > 0) {
        opts.onWarning?.(`using the database already loaded in ${opts.db}; ignoring the capture arguments (delete it to reload)`);
      }
      await connection.run(readQuery('views').sql);
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      onClose.get(connection)?.();
      if (err instanceof CliError) throw err;
      throw new CliError(`loading failed: ${errorMessage(err)}`, EXIT.input);
    }
    return new Analysis(instance, connection, load);
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
    for (const [k, v] of Object.entries(params)) if (v === null || v === undefined) (types as Record<string, DuckDBType>)[k] = VARCHAR;
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
}

const onClose = new WeakMap<DuckDBConnection, () => void>();
const scratchFiles = new Set<string>();
process.on('exit', () => scratchFiles.forEach(removeDatabase));

/** A fresh database path under the temp dir, or null when the temp dir is not writable. */
function scratchDatabase(): string | null {
  const dir = process.env.CONTXRAY_TMPDIR ?? tmpdir();
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return null;
  } catch {
    return null;
  }
  const path = join(dir, `contxray-${process.pid}-${randomBytes(4).toString('hex')}.duckdb`);
  scratchFiles.add(path);
  return path;
}

function removeDatabase(path: string): void {
  for (const p of [path, `${path}.wal`, `${path}.tmp`]) rmSync(p, { force: true, recursive: true });
  scratchFiles.delete(path);
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
