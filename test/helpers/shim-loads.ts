/**
 * Loads for the Parquet shim tests (test/unit/load-shim*.test.ts): a load under a given environment
 * into a database file, with TMPDIR a private dir whose shim files are watched while it runs, and
 * two such databases compared table by table (EXCEPT ALL both ways, string ids as they are).
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { api } from '../../src/analyze/duckdb.js';
import { loadCaptures, tableDdl, type LoadResult } from '../../src/analyze/load.js';
import { decodeUnits, type LoadUnit } from '../../src/analyze/load-part.js';
import { GlobalStrings } from '../../src/analyze/load-decode.js';
import { KINDS } from '../../src/capture/schema.js';
import { tempDir } from './captures.js';

export const { DuckDBInstance } = api;
export const TABLES = [...KINDS.map((k) => `ev_${k}`), 'strings', 'capture_files', 'syscall_names'];

/** Runs `fn` with environment variables set (undefined: unset), restoring them after. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (vs: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vs)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await fn();
  } finally {
    set(before);
  }
}

/**
 * The ways a load can go: the shim on this thread, the shim written by the worker, and the old path.
 * The shim is asked for: by default it depends on the load average (load.ts shimWanted).
 */
export const SHIM_LOCAL = { CONTXRAY_LOAD_SHIM: '1', CONTXRAY_LOAD_THREADS: undefined };
export const SHIM_WORKER = { CONTXRAY_LOAD_SHIM: '1', CONTXRAY_LOAD_THREADS: '2' };
export const OLD_PATH = { CONTXRAY_LOAD_SHIM: '0', CONTXRAY_LOAD_THREADS: '1' };
/** Small captures are read ahead (no shim) unless a thread count is asked for: these force the streamed load. */
export const SHIM_LOCAL_SMALL = { CONTXRAY_LOAD_SHIM: '1', CONTXRAY_LOAD_THREADS: '1' };

/** What the shim directories held while a load ran: seen by polling TMPDIR (the load yields between batches). */
export interface Watched {
  dirs: Map<string, number>;
  files: Map<string, { mode: number; isFile: boolean }>;
  left: string[];
}

export function watchShims(tmp: string): () => Watched {
  const dirs = new Map<string, number>();
  const files = new Map<string, { mode: number; isFile: boolean }>();
  const look = () => {
    for (const d of readdirSync(tmp)) {
      if (!d.startsWith('contxray-load-')) continue;
      const dp = join(tmp, d);
      try {
        dirs.set(dp, lstatSync(dp).mode & 0o7777);
        for (const f of readdirSync(dp)) {
          const st = lstatSync(join(dp, f));
          files.set(join(dp, f), { mode: st.mode & 0o7777, isFile: st.isFile() });
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed between readdir and lstat
      }
    }
  };
  const timer = setInterval(look, 1);
  timer.unref(); // never what keeps a failed test's process alive
  return () => {
    clearInterval(timer);
    return { dirs, files, left: readdirSync(tmp).filter((d) => d.startsWith('contxray-load-')) };
  };
}

export interface Loaded {
  db: string;
  result: LoadResult;
  watched: Watched;
  /** The rows so far at each progress call. */
  progress: number[];
}

/**
 * Loads `paths` into a new database file `db` under `env`, with TMPDIR a private directory `tmp`
 * (so the shim's directory is the load's to find), watching the shim files while it runs.
 */
export async function loadInto(db: string, paths: string[], env: Record<string, string | undefined>, tmp: string): Promise<Loaded> {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  const stop = watchShims(tmp);
  const progress: number[] = [];
  try {
    await conn.run(tableDdl());
    const result = await withEnv({ CONTXRAY_TMPDIR: undefined, ...env, TMPDIR: tmp }, () => loadCaptures({ instance, connection: conn }, paths, (p) => progress.push(p.rows)));
    return { db, result, watched: stop(), progress };
  } finally {
    stop();
    conn.closeSync();
    instance.closeSync();
  }
}

/** Each table's rows in one database and not the other (EXCEPT ALL both ways), and its row count; ids compared as they are. */
export async function differences(a: string, b: string): Promise<{ diff: Record<string, string[]>; rows: Record<string, number> }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY);`);
    const diff: Record<string, string[]> = {};
    const rows: Record<string, number> = {};
    for (const t of TABLES) {
      const sql = `SELECT 'first only' AS side, * FROM (FROM a.${t} EXCEPT ALL FROM b.${t}) UNION ALL SELECT 'second only', * FROM (FROM b.${t} EXCEPT ALL FROM a.${t}) LIMIT 5`;
      diff[t] = (await conn.runAndReadAll(sql)).getRows().map((r) => r.map((v) => String(v)).join('|'));
      const [ra, rb] = (await conn.runAndReadAll(`SELECT (SELECT count(*) FROM a.${t}), (SELECT count(*) FROM b.${t})`)).getRows()[0]!.map(Number);
      assert.equal(ra, rb, `${t}: row counts`);
      rows[t] = ra!;
    }
    return { diff, rows };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** `got` holds exactly `want`'s tables (every row, string ids included), rows and warnings. */
export async function assertSameDatabase(got: Loaded, want: Loaded, label: string, opts: { redone?: boolean } = {}): Promise<Record<string, number>> {
  const { diff, rows } = await differences(got.db, want.db);
  const empty = Object.fromEntries(TABLES.map((t) => [t, []]));
  assert.deepEqual(diff, empty, `${label}: rows in one database and not the other`);
  assert.equal(got.result.rows, want.result.rows, label);
  assert.deepEqual(got.result.warnings, want.result.warnings, label);
  assert.deepEqual(got.result.metas, want.result.metas, label);
  // Progress counts every row once, batch by batch in file order, deferred or not. A load redone
  // without the shim reports the failed attempt's progress first, then starts again from 0 (so a
  // progress display goes back once): the redo's calls are the old path's.
  if (opts.redone) {
    assert.ok(got.progress.length > want.progress.length, `${label}: the failed attempt's progress, then the redo's`);
    assert.deepEqual(got.progress.slice(-want.progress.length), want.progress, `${label}: progress of the redo`);
  } else assert.deepEqual(got.progress, want.progress, `${label}: progress`);
  return rows;
}

/** The shim was written, privately, and removed: files seen while loading, 0600 regular files in 0700 dirs; none left. */
export function assertShimUsedAndGone(w: Watched, label: string): void {
  assert.ok(w.files.size >= 1, `${label}: a shim file was seen while loading`);
  for (const [path, f] of w.files) {
    assert.match(path, /\/contxray-load-[^/]+\/ev_syscall\.\d+\.parquet$/, label);
    assert.ok(f.isFile, `${label}: ${path} is a regular file`);
    assert.equal(f.mode, 0o600, `${label}: ${path} mode ${f.mode.toString(8)}`);
  }
  for (const [dir, mode] of w.dirs) assert.equal(mode, 0o700, `${label}: ${dir} mode ${mode.toString(8)}`);
  assertNoShimLeft(w, label);
}

export function assertNoShimLeft(w: Watched, label: string): void {
  assert.deepEqual(w.left, [], `${label}: no contxray-load-* left in TMPDIR`);
}

/** A root for a test: captures in `caps`, databases in `dbs`, TMPDIR for the loads `tmp` (0700). */
export function workspace(): { caps: string; dbs: string; tmp: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const [caps, dbs, tmp] = ['caps', 'dbs', 'tmp'].map((n) => join(dir, n));
  for (const d of [caps, dbs, tmp]) mkdirSync(d, { mode: 0o700 });
  return { caps: caps!, dbs: dbs!, tmp: tmp!, cleanup };
}

export async function countOf(db: string, table: string): Promise<number> {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  try {
    return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The load's messages for one capture, as `deferred` or `batch:<kind>`, and the warning. */
export function messagesOf(path: string, dir: string): { seq: string[]; warning: string | null } {
  const seq: string[] = [];
  let warning: string | null = null;
  for (const m of decodeUnits([{ captureId: 0, path } satisfies LoadUnit], new GlobalStrings(), false, dir)) {
    if (m.type === 'deferred') seq.push('deferred');
    else if (m.type === 'batch') seq.push(`batch:${m.batch.kind}`);
    else if (m.type === 'unit') warning = m.result.warning;
  }
  for (const f of readdirSync(dir)) if (f.endsWith('.parquet')) rmSync(join(dir, f));
  return { seq, warning };
}


/** count and an order-independent hash of every row of each ev_* table (the big test: EXCEPT ALL would cost more than the load). */
export async function tableHashes(db: string): Promise<Record<string, string>> {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  try {
    const out: Record<string, string> = {};
    for (const t of TABLES) out[t] = (await conn.runAndReadAll(`SELECT count(*) || ' ' || coalesce(sum(hash(t)::HUGEINT), 0) FROM ${t} t`)).getRows()[0]!.map(String).join('');
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
