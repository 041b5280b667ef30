/**
 * Parallel load (issue 12): the main thread and load workers each append a share into their own
 * database, and the workers' databases are copied in with their string ids translated. The tables
 * must come out exactly as one loader makes them: rows per kind, every column (strings by value),
 * the capture rows with their warnings and truncation counts, the set of strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadCaptures, kindColumns, tableDdl, type LoadOptions, type LoadResult } from '../../src/analyze/load.js';
import { KINDS } from '../../src/capture/schema.js';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { scenarioRows, T0, tempDir, writeScenario } from '../helpers/captures.js';
import { bombFrame, readTable, runCli, withEveryBufferAs } from '../helpers/crafted-captures.js';
import { CaptureError } from '../../src/util/errors.js';

interface Loaded {
  result: LoadResult;
  tables: Record<string, unknown>;
  progress: number[];
}

/** Loads into a fresh in-memory database; every table as order-independent facts. */
async function load(paths: string[], opts: LoadOptions): Promise<Loaded> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const progress: number[] = [];
  try {
    await conn.run(tableDdl());
    const result = await loadCaptures(conn, paths, (p) => progress.push(p.rows), opts);
    const tables: Record<string, unknown> = {};
    const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRows().map((r) => r.map((v) => String(v)).join('|'));
    for (const kind of KINDS) {
      // Dictionary columns by their string, so differently numbered ids compare equal.
      const cols = kindColumns(kind).map((c) => (c.type === 'dict' ? `(SELECT value FROM strings s WHERE s.id = t."${c.name}")` : `t."${c.name}"`));
      tables[kind] = await one(`SELECT count(*), sum(hash(t.capture_id, ${cols.join(', ')})::HUGEINT) FROM ev_${kind} t`);
    }
    tables.strings = await one('SELECT count(*), count(DISTINCT value), sum(hash(value)::HUGEINT) FROM strings');
    tables.capture_files = await one('SELECT * FROM capture_files ORDER BY capture_id');
    tables.syscall_names = await one('SELECT count(*), sum(hash(capture_id, compat, nr, name, arch)::HUGEINT) FROM syscall_names');
    return { result, tables, progress };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function assertSameLoad(parallel: Loaded, single: Loaded, threads: number, monotonic = true): void {
  assert.equal(single.result.threads, 1);
  assert.equal(parallel.result.threads, threads, 'loaded by the main thread and workers');
  assert.deepEqual(parallel.tables, single.tables);
  assert.equal(parallel.result.rows, single.result.rows);
  assert.deepEqual(parallel.result.warnings, single.result.warnings);
  assert.deepEqual(parallel.result.metas, single.result.metas);
  // Progress counts every row once, whichever thread appended it, and only goes up (but for a reload).
  assert.equal(parallel.progress.at(-1), parallel.result.rows);
  if (monotonic) assert.deepEqual(parallel.progress, [...parallel.progress].sort((a, b) => a - b));
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

test('one capture split by record batch across 3 loaders loads exactly what one loader loads', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'big.arrow');
    await writeSyntheticCapture(path, { events: 300_000, seed: 7 });
    const single = await load([path], { threads: 1 });
    const parallel = await load([path], { threads: 3, splitMinBytes: 0 });
    assertSameLoad(parallel, single, 3);
    assert.ok(single.result.rows >= 300_000);
  } finally {
    cleanup();
  }
});

test('several captures with their own dictionaries, whole or split, load exactly what one loader loads (truncation counts too)', async () => {
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
    assertSameLoad(await load(paths, { threads: 2 }), single, 2);
    assertSameLoad(await load(paths, { threads: 3, splitMinBytes: 0 }), single, 3);
  } finally {
    cleanup();
  }
});

test('a split capture cut short is loaded again whole: the same rows and the same warning as one loader', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'cut.arrow');
    await writeSyntheticCapture(path, { events: 300_000, seed: 3 });
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    const single = await load([path], { threads: 1 });
    assert.equal(single.result.warnings.length, 1);
    assertSameLoad(await load([path], { threads: 2, splitMinBytes: 0 }), single, 2, false);
  } finally {
    cleanup();
  }
});

test('a capture refused inside a worker fails the load with its CaptureError and code', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = join(dir, 'good.arrow');
    await writeSyntheticCapture(good, { events: 300_000 });
    const bomb = join(dir, 'bomb.arrow');
    writeFileSync(bomb, await withEveryBufferAs(bombFrame(400 * 1024 * 1024), (await readTable(good)).batches.slice(0, 2)));
    // Dealt out biggest first: the good capture to the main thread, the bomb to the worker.
    assert.ok(statSync(bomb).size < statSync(good).size, `bomb ${statSync(bomb).size} B, good ${statSync(good).size} B`);
    await assert.rejects(load([good, bomb], { threads: 2 }), (err: unknown) => {
      assert.ok(err instanceof CaptureError, `a CaptureError: ${String(err)}`);
      assert.equal(err.code, 'budget');
      assert.match(err.message, /bomb\.arrow: refused after batch \d+: .*decodes to more than/);
      return true;
    });
    const r = runCli(['analyze', good, bomb], 120_000, { CONTXRAY_LOAD_THREADS: '2' });
    assert.equal(r.status, 3, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^contxray: .*bomb\.arrow: refused after batch \d+: .*decodes to more than/);
  } finally {
    cleanup();
  }
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
