/**
 * Output and scratch files against a hostile neighbour: another local user (`nobody`) plants
 * files and symlinks in a shared, sticky directory before we write. Every output must refuse
 * what is there (or with --force replace it atomically, never writing through a link), end
 * 0600/0700 and owned by us; scratch files live in private dirs that go away on Ctrl-C.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from '../../src/analyze/duckdb.js';
import { CaptureWriter } from '../../src/capture/writer.js';
import { BIN, cli, tempDir, writeScenario } from '../helpers/captures.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

const work = tempDir('contxray-outputs-');
const good = join(work.dir, 'good.arrow');
/** Like /tmp: world-writable and sticky, where `nobody` plants things. */
const shared = join(work.dir, 'shared');
/** A root-owned file an attacker would like us to overwrite. */
const victim = join(work.dir, 'victim');
const VICTIM_TEXT = 'root data, must stay\n';

before(async () => {
  chmodSync(work.dir, 0o755);
  await writeScenario(good);
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  writeFileSync(victim, VICTIM_TEXT, { mode: 0o644 });
});
after(() => work.cleanup());

function asNobody(...argv: string[]): void {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', ...argv], { encoding: 'utf8' });
  assert.equal(r.status, 0, `runuser ${argv.join(' ')}: ${r.stderr}`);
}

function assertPrivateOwnFile(path: string): void {
  const st = lstatSync(path);
  assert.ok(st.isFile(), `${path} is a regular file, not a link`);
  assert.equal(st.mode & 0o777, 0o600, `${path} mode`);
  assert.equal(st.uid, process.geteuid!(), `${path} owner`);
}

function assertOneLine(r: ReturnType<typeof cli>, code: number, pattern: RegExp): void {
  assert.equal(r.status, code, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

let n = 0;
/** A fresh name in the shared dir. */
const fresh = (ext: string) => join(shared, `out${n++}.${ext}`);

const META = {
  host: { hostname: 'h', kernel: 'k', arch: 'x86_64', boot_id: 'b', btf: true } as never,
  syscalls: {} as never,
  options: {},
  recorder: { version: 'test', started_at_ns: '0' },
};

test('capture writer (record -o): planted symlinks and files are refused, or replaced with --force, never followed', async (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root to plant files as nobody')) return;
  const link = fresh('arrow');
  const dangling = fresh('arrow');
  const planted = fresh('arrow');
  const nowhere = join(shared, 'attacker-chose-this');
  asNobody('ln', '-s', victim, link);
  asNobody('ln', '-s', nowhere, dangling);
  asNobody('sh', '-c', `umask 0; echo old > ${planted}; chmod 666 ${planted}`);

  await assert.rejects(CaptureWriter.create(link, META), /exists \(a symlink to ".*victim"\); --force replaces it atomically, without following links/);
  await assert.rejects(CaptureWriter.create(dangling, META), /exists \(a symlink to/);
  await assert.rejects(CaptureWriter.create(planted, META), /exists \(a file owned by uid 65534 \(mode 0666\)\)/);

  for (const path of [link, dangling, planted]) {
    const w = await CaptureWriter.create(path, META, { force: true });
    w.writeBatch('stats', 1, { ts: [1n], stat_name: ['x'], stat_value: [1n] });
    w.close();
    assertPrivateOwnFile(path);
  }
  assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the symlink target was not written');
  assert.equal(lstatSync(victim).mode & 0o777, 0o644);
  assert.equal(existsSync(nowhere), false, 'no file where the dangling link pointed');
  assert.deepEqual(readdirSync(shared).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
});

test('report, seccomp and analyze -o: refuse planted files/links, --force replaces atomically, 0600', (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root to plant files as nobody')) return;
  const cases: [string, string[]][] = [
    ['html', ['report', good]],
    ['json', ['seccomp', good, '-c', 'web', '--partial']],
    ['csv', ['analyze', good, '-q', 'exec-timeline', '-f', 'csv']],
  ];
  for (const [ext, args] of cases) {
    const link = fresh(ext);
    asNobody('ln', '-s', victim, link);
    assertOneLine(cli([...args, '-o', link]), 2, /exists \(a symlink to .*victim"\); --force replaces it/);
    const r = cli([...args, '-o', link, '--force']);
    assert.equal(r.status, 0, r.stderr);
    assertPrivateOwnFile(link);
    assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, `${args[0]}: the symlink target was not written`);

    const dangling = fresh(ext);
    asNobody('ln', '-s', join(shared, `chosen-${ext}`), dangling);
    assertOneLine(cli([...args, '-o', dangling]), 2, /exists \(a symlink/);
    assert.equal(existsSync(join(shared, `chosen-${ext}`)), false);

    const plain = fresh(ext);
    const ok = cli([...args, '-o', plain]);
    assert.equal(ok.status, 0, ok.stderr);
    assertPrivateOwnFile(plain);
    assertOneLine(cli([...args, '-o', plain]), 2, /exists \(a file owned by you/);
  }
  // A device is written into, never replaced.
  assert.equal(cli(['seccomp', good, '-c', 'web', '--partial', '-o', '/dev/null']).status, 0);
  assert.ok(lstatSync('/dev/null').isCharacterDevice());
});

test('export: NDJSON and Parquet are private, refuse planted links, and --db never follows one', (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root to plant files as nobody')) return;
  const nd = fresh('ndjson');
  asNobody('ln', '-s', victim, nd);
  assertOneLine(cli(['export', good, '--ndjson', nd]), 2, /exists \(a symlink/);
  assert.equal(cli(['export', good, '--ndjson', nd, '--force']).status, 0);
  assertPrivateOwnFile(nd);
  assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT);

  const lake = join(shared, 'lake');
  const r = cli(['export', good, '--parquet', lake]);
  assert.equal(r.status, 0, r.stderr);
  const walk = (p: string): void => {
    const st = lstatSync(p);
    assert.equal(st.mode & 0o777, st.isDirectory() ? 0o700 : 0o600, p);
    if (st.isDirectory()) readdirSync(p).forEach((f) => walk(join(p, f)));
  };
  walk(lake);

  const db = fresh('duckdb');
  const chosen = join(shared, 'chosen.duckdb');
  asNobody('ln', '-s', chosen, db);
  assertOneLine(cli(['analyze', good, '--db', db]), 3, /--db .*is a symlink.*contxray only reuses databases it created/);
  assert.equal(existsSync(chosen), false, 'DuckDB did not create the database where the link points');
  const mine = fresh('duckdb');
  assert.equal(cli(['analyze', good, '--db', mine]).status, 0);
  assertPrivateOwnFile(mine);
  assert.equal(cli(['analyze', '--db', mine, '--sql', 'SELECT count(*) FROM execs']).status, 0, 'a database contxray made is reused');
  assert.deepEqual(readdirSync(shared).filter((f) => f.includes('.contxray-')), [], 'no build dir left');
});

test('export --ndjson does not use a predictable temp file in $TMPDIR', (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root to plant files as nobody')) return;
  // The attack: links for the next few hundred pids, pointing at a root-owned file.
  const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
  const plant = Array.from({ length: 400 }, (_, i) => `ln -s ${victim} ${shared}/contxray-export-${last + 1 + i}.json`).join('; ');
  asNobody('sh', '-c', plant);
  const r = cli(['export', good, '--ndjson', join(work.dir, 'events.ndjson')], { env: { TMPDIR: shared } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim was not truncated or written');
});

test('analyze --db refuses a database contxray did not create (its views would run)', async () => {
  const foreign = join(work.dir, 'foreign.duckdb');
  const inst = await DuckDBInstance.create(foreign);
  const con = await inst.connect();
  await con.run("CREATE TABLE t AS SELECT 1 AS x; CREATE VIEW syscalls AS SELECT 'planted' AS name");
  con.closeSync();
  inst.closeSync();
  assertOneLine(cli(['analyze', '--db', foreign, '--sql', 'SELECT * FROM syscalls']), 3, /--db .*no contxray_database marker table; contxray only reuses databases it created/);
});

test('scratch database: private while analysing, removed on SIGINT', async () => {
  const scratch = join(work.dir, 'scratch');
  mkdirSync(scratch);
  const p = spawn(process.execPath, [BIN, 'analyze', good, '--no-cache', '--sql', 'SELECT count(*) FROM range(100000000000)'], {
    env: { ...process.env, CONTXRAY_TMPDIR: scratch, CONTXRAY_IN_MEMORY_MAX: '0' }, // a small capture would load in memory
    stdio: 'ignore',
  });
  try {
    let entries: string[] = [];
    for (let i = 0; i < 100 && entries.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      entries = readdirSync(scratch);
    }
    assert.ok(entries.length > 0, 'the scratch database appeared');
    for (const e of entries) {
      const st = lstatSync(join(scratch, e));
      assert.ok(st.isDirectory() && (st.mode & 0o777) === 0o700, `${e}: only a private 0700 dir in the temp dir (mode ${(st.mode & 0o777).toString(8)})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    p.kill('SIGINT');
    await new Promise((r) => p.once('exit', r));
  }
  assert.deepEqual(readdirSync(scratch), [], 'nothing left behind after Ctrl-C');
});

test('export --parquet: a host name of 300 characters is shortened in the partition, kept in host_name', async () => {
  const longHost = `${'h'.repeat(290)}.example`;
  const cap = join(work.dir, 'longhost.arrow');
  await writeScenario(cap, longHost);
  const lake = join(work.dir, 'longlake');
  const r = cli(['export', cap, '--parquet', lake]);
  assert.equal(r.status, 0, r.stderr);
  const hosts = readdirSync(join(lake, 'kind=exec'));
  assert.equal(hosts.length, 1);
  assert.ok(Buffer.byteLength(hosts[0]!) <= 255, hosts[0]);
  assert.match(hosts[0]!, /^host=h{60}~[0-9a-f]{16}$/);
  const back = cli(['analyze', good, '--sql', `SELECT DISTINCT host_name FROM read_parquet('${lake}/kind=exec/*/*/*.parquet')`, '-f', 'csv']);
  assert.equal(back.stdout, `host_name\n${longHost}\n`);
});
