/**
 * Parallel load (issue 12): a worker decodes while the main thread appends (load-pipeline.ts). The
 * tables must come out exactly as the sequential load makes them, string ids included: rows per
 * kind, every column, the capture rows with their warnings and truncation counts, the strings;
 * and the views and every named query must answer the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from '../../src/analyze/duckdb.js';
import { defaultThreads, loadCaptures, kindColumns, loadThreads, tableDdl, PIPELINE_MIN_BYTES, SMALL_LOAD_BYTES, type LoadOptions, type LoadResult } from '../../src/analyze/load.js';
import { Analysis } from '../../src/analyze/db.js';
import { BULK_KIND, streamable } from '../../src/analyze/load-feed.js';
import { allQueries, type NamedQuery } from '../../src/analyze/queries.js';
import { SAMPLE_PARAMS, paramsFor } from '../support/query-params.js';
import { KINDS } from '../../src/capture/schema.js';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { CLIENT_ID, scenarioRows, T0, tempDir, WEB_ID, writeScenario } from '../helpers/captures.js';
import { bombFrame, readTable, runCli, withEveryBufferAs } from '../helpers/crafted-captures.js';
import { CaptureError } from '../../src/util/errors.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

interface Loaded {
  result: LoadResult;
  tables: Record<string, unknown>;
  progress: number[];
}

/** Loads into a fresh in-memory database; every table as order-independent facts (ids as they are, and by string). */
async function load(paths: string[], opts: LoadOptions): Promise<Loaded> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const progress: number[] = [];
  try {
    await conn.run(tableDdl());
    const result = await loadCaptures({ instance, connection: conn }, paths, (p) => progress.push(p.rows), opts);
    const tables: Record<string, unknown> = {};
    const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRows().map((r) => r.map((v) => String(v)).join('|'));
    for (const kind of KINDS) {
      // Dictionary columns by their string, so differently numbered ids compare equal.
      const cols = kindColumns(kind).map((c) => (c.type === 'dict' ? `(SELECT value FROM strings s WHERE s.id = t."${c.name}")` : `t."${c.name}"`));
      tables[kind] = await one(`SELECT count(*), sum(hash(t.capture_id, ${cols.join(', ')})::HUGEINT), sum(hash(t)::HUGEINT) FROM ev_${kind} t`);
    }
    tables.strings = await one('SELECT count(*), count(DISTINCT value), sum(hash(id, value)::HUGEINT) FROM strings');
    tables.capture_files = await one('SELECT * FROM capture_files ORDER BY capture_id');
    tables.syscall_names = await one('SELECT count(*), sum(hash(capture_id, compat, nr, name, arch)::HUGEINT) FROM syscall_names');
    return { result, tables, progress };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function assertSameLoad(parallel: Loaded, single: Loaded): void {
  assert.equal(single.result.threads, 1);
  assert.equal(parallel.result.threads, 2, 'a worker decoded, the main thread appended');
  assert.deepEqual(parallel.tables, single.tables);
  assert.equal(parallel.result.rows, single.result.rows);
  assert.deepEqual(parallel.result.warnings, single.result.warnings);
  assert.deepEqual(parallel.result.metas, single.result.metas);
  // Progress counts every row once, batch by batch as the sequential load does.
  assert.deepEqual(parallel.progress, single.progress);
  assert.equal(parallel.progress.at(-1), parallel.result.rows);
}

const long = (c: string) => c.repeat(100_000);

/** Long strings cut at load: a dictionary entry (comm) referenced by two batches, a path, argv values. */
async function writeLongStrings(path: string): Promise<void> {
  const rows: Row[] = [
    ...scenarioRows(),
    { kind: 'open', ts: T0 + 20n, cgroup_id: 7002n, pid: 300, tid: 300, comm: long('c'), uid: 0, syscall_nr: 257, path: `/${long('p')}`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 3n, truncated: false },
    { kind: 'exec', ts: T0 + 21n, cgroup_id: 7002n, pid: 301, tid: 301, comm: long('c'), ppid: 1, uid: 0, filename: '/bin/sh', argv: ['sh', long('a')], truncated: false },
    { kind: 'fork', ts: T0 + 22n, cgroup_id: 7002n, pid: 302, tid: 302, comm: long('c'), ppid: 301 },
  ];
  await writeCaptureFromRows(path, { host: { hostname: 'long-host' }, rows });
}

test('one capture loaded by the pipeline holds exactly what the sequential load makes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'big.arrow');
    await writeSyntheticCapture(path, { events: 300_000, seed: 7 });
    const single = await load([path], { threads: 1 });
    const parallel = await load([path], { threads: 2 });
    assertSameLoad(parallel, single);
    assert.deepEqual((await load([path], { threads: 8 })).tables, single.tables, 'more threads asked: the same pipeline');
    assert.ok(single.result.rows >= 300_000);
  } finally {
    cleanup();
  }
});

test('several captures with their own dictionaries load exactly what the sequential load makes (strings, nulls, truncation counts)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const paths = ['a', 'b', 'c', 'd', 'e'].map((n) => join(dir, `${n}.arrow`));
    await writeSyntheticCapture(paths[0]!, { events: 120_000, seed: 1, hostname: 'host-a' });
    await writeScenario(paths[1]!, 'host-b');
    await writeLongStrings(paths[2]!);
    await writeSyntheticCapture(paths[3]!, { events: 50_000, seed: 9, hostname: 'host-d', containers: 3 });
    await writeScenario(paths[4]!, 'host-e');
    const single = await load(paths, { threads: 1 });
    const cut = single.tables.capture_files as string[];
    assert.match(cut[2]!, /\|3$/, `comm (one dictionary entry, counted once), path, one argv row: ${cut[2]}`);
    assertSameLoad(await load(paths, { threads: 2 }), single);
  } finally {
    cleanup();
  }
});

test('a capture cut short gives the same rows and the same warning as the sequential load', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'cut.arrow');
    await writeSyntheticCapture(path, { events: 300_000, seed: 3 });
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    const single = await load([path], { threads: 1 });
    assert.equal(single.result.warnings.length, 1);
    assertSameLoad(await load([path], { threads: 2 }), single);
  } finally {
    cleanup();
  }
});

/** A good capture of `events` and a bomb made of its first two batches, every buffer a frame declaring 400 MB. */
async function goodAndBomb(dir: string, events: number): Promise<[string, string]> {
  const good = join(dir, 'good.arrow');
  await writeSyntheticCapture(good, { events });
  const bomb = join(dir, 'bomb.arrow');
  writeFileSync(bomb, await withEveryBufferAs(bombFrame(400 * 1024 * 1024), (await readTable(good)).batches.slice(0, 2)));
  return [good, bomb];
}

/** Loading `paths` with `opts`, in-process and as a CLI run with `env`, refuses the bomb: its CaptureError and code, one stderr line, exit 3. */
async function assertBombRefused(paths: string[], opts: LoadOptions, env: Record<string, string>): Promise<void> {
  const refusal = /bomb\.arrow: refused after batch \d+: .*decodes to more than/;
  await assert.rejects(load(paths, opts), (err: unknown) => {
    assert.ok(err instanceof CaptureError, `a CaptureError: ${String(err)}`);
    assert.equal(err.code, 'budget');
    assert.match(err.message, refusal);
    return true;
  });
  const r = runCli(['analyze', ...paths, '--no-cache'], 120_000, env);
  assert.equal(r.status, 3, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^contxray: .*${refusal.source}`));
}

test('a capture refused inside a worker, or inside DuckDB\'s call for rows, fails the load with its CaptureError and code', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const paths = await goodAndBomb(dir, 300_000);
    // threads 1: the batches are decoded inside the table function DuckDB calls (load-feed.ts).
    for (const threads of [2, 1]) await assertBombRefused(paths, { threads }, { CONTXRAY_LOAD_THREADS: String(threads) });
  } finally {
    cleanup();
  }
});

test('small captures, read ahead and appended on this thread, hold exactly what the streamed load makes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const paths = ['a', 'b', 'c', 'd'].map((n) => join(dir, `${n}.arrow`));
    await writeSyntheticCapture(paths[0]!, { events: 20_000, seed: 5, hostname: 'host-a' });
    await writeScenario(paths[1]!, 'host-b');
    await writeLongStrings(paths[2]!);
    await writeSyntheticCapture(paths[3]!, { events: 20_000, seed: 6, hostname: 'host-d' });
    truncateSync(paths[3]!, Math.floor(statSync(paths[3]!).size * 0.7));
    assert.ok(paths.reduce((n, p) => n + statSync(p).size, 0) < SMALL_LOAD_BYTES, 'small enough to be read ahead');
    const streamed = await load(paths, { threads: 1 });
    const ahead = await load(paths, {});
    assert.equal(ahead.result.readAhead, true, 'the default for a small load: read ahead');
    assert.equal(streamed.result.readAhead, false, 'a thread count asked for: the streamed load');
    assert.deepEqual(ahead.tables, streamed.tables);
    assert.equal(ahead.result.rows, streamed.result.rows);
    assert.equal(ahead.result.warnings.length, 1, 'the cut capture');
    assert.deepEqual(ahead.result.warnings, streamed.result.warnings);
    assert.deepEqual(ahead.result.metas, streamed.result.metas);
    assert.deepEqual(ahead.progress, streamed.progress);
    // a load over the size is not read ahead (decoded as DuckDB asks for rows)
    const big = join(dir, 'big.arrow');
    await writeSyntheticCapture(big, { events: 150_000, seed: 8 });
    assert.ok(statSync(big).size >= SMALL_LOAD_BYTES);
    assert.equal((await load([big], {})).result.readAhead, false);
  } finally {
    cleanup();
  }
});

test('a small capture refused while it is read ahead fails the load with its CaptureError and code, in-process and as exit 3', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // big enough buffers that the writer keeps the (bomb) frames, small enough to be read ahead
    const paths = await goodAndBomb(dir, 5_000);
    assert.ok(paths.reduce((n, p) => n + statSync(p).size, 0) < SMALL_LOAD_BYTES, 'small enough to be read ahead');
    await assertBombRefused(paths, {}, { CONTXRAY_LOAD_THREADS: '' });
  } finally {
    cleanup();
  }
});

test('the bulk kind streamed through the parallel INSERT has only fixed-width columns (load-feed.ts copies those alone)', () => {
  assert.ok(streamable(BULK_KIND), `${BULK_KIND}: ${kindColumns(BULK_KIND).map((c) => c.type).join(', ')}`);
  assert.ok(!streamable('exec'), 'argv is a list of strings');
});

test('CONTXRAY_LOAD_THREADS that is not a whole number from 1 to 64 is a usage error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'scenario.arrow');
    await writeScenario(path);
    const r = runCli(['analyze', path], 60_000, { CONTXRAY_LOAD_THREADS: 'lots' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^contxray: CONTXRAY_LOAD_THREADS must be a whole number from 1 to 64 \(got lots\)\n?$/);
  } finally {
    cleanup();
  }
});

/** Opens captures through Analysis (views, materialised tables) with CONTXRAY_LOAD_THREADS set. */
async function openWith(threads: string, paths: string[]): Promise<Analysis> {
  const before = process.env.CONTXRAY_LOAD_THREADS;
  process.env.CONTXRAY_LOAD_THREADS = threads;
  try {
    return await Analysis.open(paths);
  } finally {
    if (before === undefined) delete process.env.CONTXRAY_LOAD_THREADS;
    else process.env.CONTXRAY_LOAD_THREADS = before;
  }
}

/** Rows as sorted JSON lines: ties in a query's ORDER BY may come in either order. */
function canonical(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
}

test('the views and every named query answer the same after the pipelined and the sequential load', async () => {
  const { dir, cleanup } = tempDir();
  const opened: Analysis[] = [];
  try {
    const paths = ['a', 'b', 'c'].map((n) => join(dir, `${n}.arrow`));
    await writeScenario(paths[0]!, 'host-a');
    await writeLongStrings(paths[1]!);
    await writeSyntheticCapture(paths[2]!, { events: 60_000, seed: 4, hostname: 'host-c', startNs: T0 + 1000n });
    const single = await openWith('1', paths);
    opened.push(single);
    const parallel = await openWith('2', paths);
    opened.push(parallel);
    assert.equal(single.load!.threads, 1);
    assert.equal(parallel.load!.threads, 2);
    const sample: Record<string, unknown> = {
      ...SAMPLE_PARAMS,
      container_ids: JSON.stringify([WEB_ID, CLIENT_ID]),
      container_id: CLIENT_ID,
      containers: JSON.stringify([WEB_ID, CLIENT_ID]),
      flagged: JSON.stringify([CLIENT_ID]),
    };
    const params = (q: NamedQuery) => paramsFor(q, sample);
    for (const view of ['captures', 'containers', 'syscalls', 'execs', 'processes', 'opens', 'net_events', 'connections', 'stats', 'resources']) {
      const want = await single.table(`SELECT * FROM ${view}`);
      const got = await parallel.table(`SELECT * FROM ${view}`);
      assert.deepEqual(got.columns, want.columns, view);
      assert.deepEqual(canonical(got.rows), canonical(want.rows), view);
    }
    // Statements (materialising helpers) first, as the query-contract test runs them.
    for (const q of allQueries().filter((q) => q.returns === null && q.name !== 'views' && q.name !== 'export-views')) {
      await single.named(q.name, params(q));
      await parallel.named(q.name, params(q));
    }
    const queries = allQueries().filter((q) => q.returns !== null);
    assert.ok(queries.length >= 30);
    let withRows = 0;
    for (const q of queries) {
      const want = await single.namedTable(q.name, params(q));
      const got = await parallel.namedTable(q.name, params(q));
      assert.deepEqual(got.columns, want.columns, q.name);
      assert.deepEqual(canonical(got.rows), canonical(want.rows), q.name);
      if (want.rows.length > 0) withRows++;
    }
    assert.ok(withRows >= queries.length / 2, `${withRows} of ${queries.length} queries have rows to compare`);
  } finally {
    for (const a of opened) a.close();
    cleanup();
  }
});

test('the default is the pipeline when a core is idle for it; one thread on one core, on busy cores, or for a small load', () => {
  // Measured (docs/performance.md, "Interactive speed — parallel load"): the pipeline takes ~20 %
  // off the main thread's CPU but adds ~25 % in all, a wash in wall time when every core is busy.
  const big = 80 * 1024 * 1024;
  assert.equal(defaultThreads(2, big, 0.5), 2);
  assert.equal(defaultThreads(2, big, 1.9), 2);
  assert.equal(defaultThreads(64, big, 0), 2, 'one worker: the appends are one thread\'s work');
  assert.equal(defaultThreads(2, big, 2), 1, 'every core already busy');
  assert.equal(defaultThreads(1, big, 0), 1);
  assert.equal(defaultThreads(2, PIPELINE_MIN_BYTES - 1, 0), 1, 'below the threshold the worker costs more than it saves');
  assert.equal(defaultThreads(2, 100 * (PIPELINE_MIN_BYTES / 10), 0, 100), 1, 'many small captures: measured slower pipelined');
  assert.equal(defaultThreads(2, 2 * PIPELINE_MIN_BYTES, 0, 2), 2);
  assert.equal(loadThreads(1, []), 1, 'asked for one: the plain sequential load');
  assert.equal(loadThreads(5, []), 2);
  const before = process.env.CONTXRAY_LOAD_THREADS;
  try {
    process.env.CONTXRAY_LOAD_THREADS = '1';
    assert.equal(loadThreads(undefined, []), 1);
    process.env.CONTXRAY_LOAD_THREADS = '2';
    assert.equal(loadThreads(undefined, []), 2, 'forced even for a small load');
  } finally {
    if (before === undefined) delete process.env.CONTXRAY_LOAD_THREADS;
    else process.env.CONTXRAY_LOAD_THREADS = before;
  }
});
