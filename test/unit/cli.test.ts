/**
 * The CLI's manners on bad input: one line on stderr, a meaningful non-zero exit, no stack trace,
 * no hang. And its output formats on a good capture.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, writeScenario } from '../helpers/captures.js';

const work = tempDir('contxray-cli-');
const good = join(work.dir, 'good.arrow');

before(async () => {
  await writeScenario(good);
  writeFileSync(join(work.dir, 'empty.arrow'), '');
  writeFileSync(join(work.dir, 'text.arrow'), 'not arrow at all\n');
  mkdirSync(join(work.dir, 'adir'));
});
after(() => work.cleanup());

function assertCleanError(r: ReturnType<typeof cli>, code: number, pattern: RegExp) {
  assert.equal(r.status, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, /^contxray: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('bad captures: missing, empty, not Arrow, directory', () => {
  assertCleanError(cli(['analyze', join(work.dir, 'missing.arrow')]), 3, /no such file/);
  assertCleanError(cli(['analyze', join(work.dir, 'empty.arrow')]), 3, /empty file/);
  assertCleanError(cli(['analyze', join(work.dir, 'text.arrow')]), 3, /not an Arrow file/);
  assertCleanError(cli(['analyze', join(work.dir, 'adir')]), 3, /is a directory/);
  assertCleanError(cli(['analyze', join(work.dir, 'nomatch-*.arrow')]), 3, /no capture matches/);
});

test('bad SQL, unknown query names and bad options are usage errors (exit 2)', () => {
  assertCleanError(cli(['analyze', good, '--sql', 'SELEC nonsense']), 2, /query failed: Parser Error/);
  assertCleanError(cli(['analyze', good, '--sql', 'SELECT * FROM no_such_view']), 2, /no_such_view/);
  assertCleanError(cli(['analyze', good, '--query', 'no-such-query']), 2, /unknown query 'no-such-query'/);
  assertCleanError(cli(['analyze', good, '--query', '../../etc/passwd']), 2, /unknown query/);
  assertCleanError(cli(['analyze', good, '--format', 'xml']), 2, /Invalid values/);
  assertCleanError(cli(['nonsense']), 2, /Unknown argument|Unknown command/);
  assertCleanError(cli(['record', '-o', join(work.dir, 'x.arrow'), '--duration', 'soon']), 2, /not a duration/);
});

test('formats: csv, json and ndjson carry the same rows; table escapes control characters', () => {
  const sql = "SELECT name, count FROM syscalls WHERE container = 'web' ORDER BY name";
  const csv = cli(['analyze', good, '--sql', sql, '-f', 'csv']);
  assert.equal(csv.status, 0, csv.stderr);
  assert.equal(csv.stdout, 'name,count\nread,40\nwrite,20\n');
  const json = JSON.parse(cli(['analyze', good, '--sql', sql, '-f', 'json']).stdout);
  assert.deepEqual(json, [{ name: 'read', count: 40 }, { name: 'write', count: 20 }]);
  const nd = cli(['analyze', good, '--sql', sql, '-f', 'ndjson']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(nd, json);
  const esc = cli(['analyze', good, '--sql', "SELECT 'a' || chr(27) || '[31mred' AS s"]);
  assert.match(esc.stdout, /a\\x1b\[31mred/);
  assert.doesNotMatch(esc.stdout, /\x1b/);
});

test('summary, named queries with a bound --container, --list, --out', () => {
  const s = cli(['analyze', good]);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Containers[\s\S]*\bweb\b/);
  assert.match(s.stdout, /Containers[\s\S]*\bclient\b/);
  assert.match(s.stdout, /truncated\.argv\s+2/, 'truncations are shown');
  const q = cli(['analyze', good, '-q', 'top-syscalls', '-c', "web' OR 1=1 --", '-f', 'json']);
  assert.equal(q.status, 0, q.stderr);
  assert.deepEqual(JSON.parse(q.stdout), [], 'a hostile --container is a value, not SQL');
  const web = JSON.parse(cli(['analyze', good, '-q', 'top-syscalls', '-c', 'web', '-f', 'json']).stdout);
  assert.deepEqual(web.map((r: { syscall: string }) => r.syscall), ['read', 'write']);
  const list = cli(['analyze', '--list']);
  assert.match(list.stdout, /exec-timeline\s+exec timeline/);
  const out = join(work.dir, 'out.csv');
  assert.equal(cli(['analyze', good, '-q', 'exec-timeline', '-f', 'csv', '-o', out]).status, 0);
});

test('export writes hive-partitioned Parquet that DuckDB reads back', async () => {
  const lake = join(work.dir, 'lake');
  const r = cli(['export', good, '--parquet', lake]);
  assert.equal(r.status, 0, r.stderr);
  const back = cli(['analyze', good, '--sql', `SELECT kind, host, count(*) AS n FROM read_parquet('${lake}/kind=*/*/*/*.parquet', hive_partitioning=true, union_by_name=true) GROUP BY ALL ORDER BY kind`, '-f', 'json']);
  assert.equal(back.status, 0, back.stderr);
  const rows = JSON.parse(back.stdout) as { kind: string; host: string; n: number }[];
  assert.ok(rows.every((x) => x.host === 'testhost'));
  assert.equal(rows.find((x) => x.kind === 'exec')!.n, 1);
  assertCleanError(cli(['export', good, '--parquet', lake]), 2, /exists \(a directory owned by you .*--force replaces it/);
  const nd = join(work.dir, 'events.ndjson');
  assert.equal(cli(['export', good, '--ndjson', nd]).status, 0);
  const lines = readFileSync(nd, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
  const kinds = lines.reduce<Record<string, number>>((m, l) => ((m[l.kind] = (m[l.kind] ?? 0) + 1), m), {});
  assert.deepEqual(kinds, { syscall: 6, exec: 1, process: 1, open: 2, net: 4, container: 2, stats: 3 });
});
