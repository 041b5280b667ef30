/**
 * Lake mode: a directory written by `contxray export --parquet` is queried in place. Every named
 * query gives the same rows over the lake as over the loaded captures (three hosts, two dates), a
 * host filter prunes files (EXPLAIN), a second engine (pyarrow.dataset) reads the same layout and
 * types and agrees with DuckDB's counts, and bad directories fail in one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAnalysis, type Analysis } from '../../src/analyze/db.js';
import { allQueries, type NamedQuery } from '../../src/analyze/queries.js';
import { lakeViews, scanLake } from '../../src/analyze/lake.js';
import { exportParquet } from '../../src/cli/export.js';
import { CLIENT_CG, CLIENT_ID, T0, WEB_CG, WEB_ID, cli, hasPyarrow, scenarioRows, tempDir } from '../helpers/captures.js';
import { writeCaptureFromRows } from '../support/fixture.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { SAMPLE_PARAMS, paramsFor } from '../support/query-params.js';

const DAY = 86_400_000_000_000n;
const SYNTH_ID = '00c0ffee'.repeat(8);

/** The sample parameters of the query-contract test, with real container lists so the report queries have rows to compare. */
const SAMPLE: Record<string, unknown> = {
  ...SAMPLE_PARAMS,
  container_ids: JSON.stringify([WEB_ID, CLIENT_ID, SYNTH_ID]),
  container_id: CLIENT_ID,
  containers: JSON.stringify([WEB_ID, CLIENT_ID, SYNTH_ID]),
  flagged: JSON.stringify([CLIENT_ID]),
};

const tmp = tempDir('contxray-lake-');
const captures = ['a.arrow', 'b.arrow', 'c.arrow'].map((f) => join(tmp.dir, f));
const lake = join(tmp.dir, 'lake');
let loaded: Analysis;
let lakeDb: Analysis;

/** The scenario plus two resource samples, on one host; `later` moves its write calls a day on (a second date partition). */
async function writeHost(path: string, host: string, later = false): Promise<void> {
  const sample = (ts: bigint, cpu: bigint) => ({ kind: 'resource' as const, ts, cgroup_id: WEB_CG, cpu_usage_usec: cpu, memory_current: 1_000_000n, net_rx_bytes: cpu * 2n });
  const rows = scenarioRows().map((r) => (later && r.kind === 'syscall' && r.syscall_nr === 1 ? { ...r, ts: T0 + DAY } : r));
  // for the findings: a mount from a shell, and a port scan
  const mount = { kind: 'syscall' as const, ts: T0, cgroup_id: CLIENT_CG, pid: 200, tid: 200, comm: 'sh', syscall_nr: 165, compat: false, filtered: false, count: 1n, errors: 0n, denied: 0n, denied_errno: 0 };
  const scan = Array.from({ length: 20 }, (_, i) => ({
    kind: 'connect' as const, ts: T0 + 20n + BigInt(i), cgroup_id: CLIENT_CG, pid: 204, tid: 204, comm: 'nmap', uid: 0, ret: -111n,
    protocol: 6, family: 2, laddr: '172.18.0.3', lport: 43000 + i, raddr: '10.0.0.9', rport: 20 + i, sock_cookie: BigInt(100 + i),
  }));
  await writeCaptureFromRows(path, { host: { hostname: host }, rows: [...rows, mount, ...scan, sample(T0, 1000n), sample(T0 + 1_000_000_000n, 3000n)] });
}

before(async () => {
  await writeHost(captures[0]!, 'host-a');
  await writeHost(captures[1]!, 'host-b', true);
  await writeSyntheticCapture(captures[2]!, { events: 20_000, hostname: 'host-c', startNs: T0 + 3n * DAY });
  loaded = await openAnalysis(captures);
  await exportParquet(loaded, lake, false);
  lakeDb = await openAnalysis([lake]);
});
after(() => {
  loaded?.close();
  lakeDb?.close();
  tmp.cleanup();
});

const params = (q: NamedQuery) => paramsFor(q, SAMPLE);

/** Rows as sorted JSON lines: ties in a query's ORDER BY may come in either order. */
function canonical(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
}

// export-views builds what `export` reads from the raw tables; export refuses a lake (it is one already).
const statements = allQueries().filter((q) => q.returns === null && q.name !== 'views' && q.name !== 'export-views');

test('every named query returns the same rows over the lake as over the loaded captures', async () => {
  for (const q of statements) {
    await loaded.named(q.name, params(q));
    await lakeDb.named(q.name, params(q));
  }
  const empty: string[] = [];
  const queries = allQueries().filter((q) => q.returns !== null);
  assert.ok(queries.length >= 30);
  for (const q of queries) {
    for (const p of q.params) assert.ok(p in SAMPLE, `${q.name}: no sample value for $${p} in this test`);
    const want = await loaded.namedTable(q.name, params(q));
    const got = await lakeDb.namedTable(q.name, params(q));
    assert.deepEqual(got.columns, want.columns, q.name);
    assert.deepEqual(got.types, want.types, q.name);
    assert.deepEqual(canonical(got.rows), canonical(want.rows), q.name);
    if (want.rows.length === 0) empty.push(q.name);
  }
  assert.deepEqual(empty, [], 'every query has rows to compare');
});

test('the lake views have the loaded views\' columns and types, and hold the same rows', async () => {
  for (const view of ['captures', 'containers', 'syscalls', 'execs', 'processes', 'opens', 'net_events', 'connections', 'stats', 'resources']) {
    const want = await loaded.table(`SELECT * FROM ${view}`);
    const got = await lakeDb.table(`SELECT * FROM ${view}`);
    assert.deepEqual(got.columns, want.columns, view);
    assert.deepEqual(got.types, want.types, view);
    // net_events.capture_id numbers the captures of one load (the export's), so it is kept as written
    assert.deepEqual(canonical(got.rows), canonical(want.rows), view);
  }
  assert.ok((await lakeDb.all('SELECT * FROM resources')).length > 0, 'resource samples are exported and read back');
  assert.match(lakeViews().description, /lake mode/);
});

test('a host filter prunes the lake\'s files (EXPLAIN), a date filter on lake_<kind> too', async () => {
  const files = scanLake(lake).files.get('syscall')!;
  assert.equal(files.length, 4, files.join(' ')); // host-a, host-b on two dates, host-c
  const plan = async (sql: string) => (await lakeDb.table(`EXPLAIN ${sql}`)).rows.map((r) => String(r[1])).join('\n');
  const byHost = await plan("SELECT sum(count) FROM syscalls WHERE host = 'host-a'");
  assert.match(byHost, /File Filters:[\s\S]*host = 'host-a'/);
  assert.match(byHost, /Scanning Files: 1\/4/);
  const dates = await lakeDb.all("SELECT DISTINCT date FROM lake_syscall WHERE host = 'host-b' ORDER BY date");
  assert.equal(dates.length, 2);
  const byDate = await plan(`SELECT count(*) FROM lake_syscall WHERE date = '${String(dates[1]!.date)}'`);
  assert.match(byDate, /Scanning Files: 1\/4/);
  const all = await plan('SELECT sum(count) FROM syscalls');
  assert.match(all, /Scanning Files: 4\/4|READ_PARQUET/);
  assert.doesNotMatch(all, /Scanning Files: 1\/4/);
});

test('analyze, report and seccomp accept the lake directory and answer like the captures', () => {
  const summary = cli(['analyze', lake]);
  assert.equal(summary.status, 0, summary.stderr);
  for (const h of ['host-a', 'host-b', 'host-c']) assert.match(summary.stdout, new RegExp(h));
  const q = (inputs: string[]) => cli(['analyze', ...inputs, '-q', 'top-syscalls', '-c', 'svc-1', '-f', 'json']);
  const fromLake = q([lake]);
  assert.equal(fromLake.status, 0, fromLake.stderr);
  assert.deepEqual(JSON.parse(fromLake.stdout), JSON.parse(q(captures).stdout));
  const report = join(tmp.dir, 'report.html');
  const r = cli(['report', lake, '-o', report]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(report, 'utf8'), /host-c/);
  const profile = (inputs: string[]) => cli(['seccomp', ...inputs, '-c', 'svc-1', '--partial']);
  const p = profile([lake]);
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout), JSON.parse(profile(captures).stdout));
});

function assertOneLine(r: ReturnType<typeof cli>, code: number, pattern: RegExp): void {
  assert.equal(r.status, code, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^contxray: /);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('a directory that is no lake, a lake with others or --db, and commands that need raw events: one line each', () => {
  const plain = join(tmp.dir, 'plain');
  mkdirSync(plain);
  writeFileSync(join(plain, 'notes.txt'), 'x');
  assertOneLine(cli(['analyze', plain]), 3, /is a directory but not a lake \(no kind=… partitions/);
  assertOneLine(cli(['report', plain, '-o', join(tmp.dir, 'x.html')]), 3, /not a lake/);
  assertOneLine(cli(['analyze', lake, captures[0]!]), 2, /is a lake: query it on its own/);
  assertOneLine(cli(['analyze', lake, '--db', join(tmp.dir, 'x.duckdb')]), 2, /--db .* does not apply/);
  assertOneLine(cli(['detect', lake]), 3, /is a lake: `contxray detect` reads the captures' raw events/);
  assertOneLine(cli(['metrics', lake, '-o', join(tmp.dir, 'm.om')]), 3, /contxray metrics/);
});

test('a lake from shared storage: symbolic links and glob characters in names are refused, markers ignored', async () => {
  const copy = join(tmp.dir, 'shared');
  await exportParquet(loaded, copy, false);
  writeFileSync(join(copy, '_SUCCESS'), '');
  writeFileSync(join(copy, 'README'), 'x');
  assert.deepEqual(scanLake(copy).ignored, ['README']);
  const host = join(copy, 'kind=exec', 'host=host-a');
  renameSync(host, `${host}.real`);
  symlinkSync(`${host}.real`, host);
  assertOneLine(cli(['analyze', copy]), 3, /kind=exec\/host=host-a is a symbolic link/);
  renameSync(`${host}.real`, join(copy, 'kind=exec', 'host=h*'));
  assertOneLine(cli(['analyze', copy, '-q', 'exec-timeline']), 3, /host=h\* has a glob character/);
});

test('a shortened host partition: the views take the host from host_name (files still read, names exact)', async () => {
  const long = 'h'.repeat(300);
  const cap = join(tmp.dir, 'long.arrow');
  await writeHost(cap, long);
  const a = await openAnalysis([cap]);
  const dir = join(tmp.dir, 'lake-long');
  try {
    await exportParquet(a, dir, false);
  } finally {
    a.close();
  }
  assert.equal(scanLake(dir).hostFromPartition, false);
  const l = await openAnalysis([dir]);
  try {
    assert.deepEqual(await l.all('SELECT DISTINCT host FROM syscalls'), [{ host: long }]);
  } finally {
    l.close();
  }
});

const PYARROW_SCRIPT = fileURLToPath(new URL('../../../test/helpers/lake-pyarrow.py', import.meta.url));

/** DuckDB type → the Arrow type pyarrow reports for the same Parquet column. */
const ARROW_TYPE: Record<string, string> = {
  VARCHAR: 'string', 'VARCHAR[]': 'list<element: string>', TIMESTAMP_NS: 'timestamp[ns]', BOOLEAN: 'bool', DOUBLE: 'double',
  UTINYINT: 'uint8', USMALLINT: 'uint16', UINTEGER: 'uint32', UBIGINT: 'uint64', INTEGER: 'int32', BIGINT: 'int64',
};

test('pyarrow.dataset reads the lake (hive partitions) with the same types and the same counts per kind, host and date', async (t) => {
  if (!hasPyarrow()) {
    if (process.env.CI === 'true') assert.fail('python3 with pyarrow is required under CI (scripts/setup.sh installs it)');
    t.skip('python3 with pyarrow not installed (scripts/setup.sh installs it)');
    return;
  }
  const r = spawnSync('python3', [PYARROW_SCRIPT, lake], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(r.stdout) as Record<string, { schema: Record<string, string>; counts: [string, string, number][] }>;
  const kinds = [...scanLake(lake).files.keys()].sort();
  assert.deepEqual(Object.keys(seen).sort(), kinds);
  for (const kind of kinds) {
    const described = await lakeDb.all(`DESCRIBE SELECT * EXCLUDE (host, date), host, date FROM lake_${kind}`);
    const want = Object.fromEntries(described.filter((c) => c.column_name !== 'host' && c.column_name !== 'date').map((c) => [String(c.column_name), ARROW_TYPE[String(c.column_type)] ?? String(c.column_type)]));
    // the files carry host_name; host and date are the partitions (strings)
    const { host: ph, date: pd, host_name, ...cols } = seen[kind]!.schema;
    assert.deepEqual({ ph, pd, host_name }, { ph: 'string', pd: 'string', host_name: 'string' }, kind);
    assert.deepEqual(cols, want, kind);
    const counts = await lakeDb.all(`SELECT host, date, count(*)::INTEGER AS n FROM lake_${kind} GROUP BY ALL ORDER BY ALL`);
    assert.deepEqual(seen[kind]!.counts, counts.map((c) => [c.host, c.date, c.n]), kind);
  }
  assert.equal(seen.syscall!.counts.length, 4);
});
