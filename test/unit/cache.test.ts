/**
 * The load cache (src/analyze/cache/, docs/cache.md) with real captures and real DuckDB: a second
 * open of unchanged captures does not load (the progress callback is never called), any change
 * to a capture misses, damaged entries are rebuilt without a word, an unusable cache directory
 * gives one warning and a temporary database, the size bound evicts the least recently used
 * entry, and two commands at once both answer and leave one entry. Every cache dir is private to
 * its test (never the real home).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync,
  truncateSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { openWithCache, type CacheOptions } from '../../src/analyze/cache/open.js';
import { parseSize } from '../../src/analyze/cache/dir.js';
import { listEntries } from '../../src/analyze/cache/entries.js';
import { BIN, cli, tempDir, writeScenario } from '../helpers/captures.js';
import { IS_ROOT } from '../helpers/env.js';

const work = tempDir('contxray-cache-');
const TOP = 'SELECT host, sum(count)::BIGINT AS calls FROM syscalls GROUP BY host ORDER BY host';
let n = 0;

/** A fresh cache dir path (not created: the cache creates it). */
function freshCacheDir(): string {
  return join(work.dir, `cache-${++n}`, 'contxray');
}

/** A capture written now, for this test only. */
async function capture(host = 'hostA', name = `c${++n}.arrow`): Promise<string> {
  const path = join(work.dir, name);
  await writeScenario(path, host);
  return path;
}

interface Opened {
  rows: Record<string, unknown>[];
  /** Progress callbacks: 0 when the database came from the cache. */
  loads: number;
  warnings: string[];
}

async function query(paths: string[], cache: CacheOptions | false, sql = TOP): Promise<Opened> {
  let loads = 0;
  const warnings: string[] = [];
  const a = await openWithCache(paths, { cache: cache === false ? false : { settleMs: 0, ...cache }, progress: () => loads++, onWarning: (m) => warnings.push(m) });
  try {
    return { rows: await a.all(sql), loads, warnings };
  } finally {
    a.close();
  }
}

function entryNames(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-f]{32}$/.test(n)) : [];
}

after(() => work.cleanup());

test('hit: the second open of an unchanged capture does not load, and answers the same; dir 0700, files 0600', async () => {
  const dir = freshCacheDir();
  const cap = await capture();
  const first = await query([cap], { dir });
  assert.ok(first.loads > 0, 'the first open loads');
  const second = await query([cap], { dir });
  assert.equal(second.loads, 0, 'the second open comes from the cache');
  assert.deepEqual(second.rows, first.rows);
  assert.deepEqual(second.warnings, []);
  assert.equal(lstatSync(dir).mode & 0o777, 0o700);
  const [entry] = entryNames(dir);
  assert.ok(entry, 'one entry');
  assert.equal(lstatSync(join(dir, entry!)).mode & 0o777, 0o700);
  for (const f of readdirSync(join(dir, entry!))) assert.equal(lstatSync(join(dir, entry!, f)).mode & 0o777, 0o600, f);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.')).length, 0, 'no build or trash dir left');
});

test('the set and order of captures is the key; the library default is off', async () => {
  const dir = freshCacheDir();
  const a = await capture('hostA');
  const b = await capture('hostB');
  await query([a, b], { dir });
  assert.equal((await query([a, b], { dir })).loads, 0);
  assert.ok((await query([b, a], { dir })).loads > 0, 'another order is another database (capture ids differ)');
  assert.ok((await query([a], { dir })).loads > 0, 'a subset is another database');
  assert.equal(entryNames(dir).length, 3);
  const off = await query([a], false);
  assert.ok(off.loads > 0);
});

test('miss after the capture changes: append, touch, replaced by a same-size file (renamed over, or rewritten in place)', async () => {
  const dir = freshCacheDir();
  const cap = await capture('hostA');
  const other = await capture('hostB');
  assert.equal(statSync(cap).size, statSync(other).size, 'the two captures have the same size');
  const hostOf = (o: Opened) => o.rows.map((r) => r.host);
  await query([cap], { dir });

  const t = new Date(Date.now() - 60_000);
  utimesSync(cap, t, t);
  assert.ok((await query([cap], { dir })).loads > 0, 'touch: loads again');
  assert.equal((await query([cap], { dir })).loads, 0, 'then cached again');

  copyFileSync(other, `${cap}.new`);
  renameSync(`${cap}.new`, cap);
  const renamed = await query([cap], { dir });
  assert.ok(renamed.loads > 0, 'renamed over: loads again');
  assert.deepEqual(hostOf(renamed), ['hostB']);

  const before = statSync(cap);
  const inPlace = await capture('hostC');
  writeFileSync(cap, readFileSync(inPlace));
  assert.equal(statSync(cap).ino, before.ino, 'same inode');
  assert.equal(statSync(cap).size, before.size, 'same size');
  const rewritten = await query([cap], { dir });
  assert.ok(rewritten.loads > 0, 'rewritten in place: loads again');
  assert.deepEqual(hostOf(rewritten), ['hostC']);

  appendFileSync(cap, Buffer.alloc(64));
  const appended = await query([cap], { dir });
  assert.ok(appended.loads > 0, 'appended: loads again');
  assert.deepEqual(hostOf(appended), ['hostC']);
});

test('never stored: a capture changed in the last seconds, or without a footer (being written or cut)', async () => {
  const dir = freshCacheDir();
  const fresh = await capture();
  await query([fresh], { dir, settleMs: 60_000 });
  assert.ok((await query([fresh], { dir, settleMs: 60_000 })).loads > 0, 'a capture changed within the settle time is loaded each time');
  assert.deepEqual(entryNames(dir), []);

  const cut = await capture();
  truncateSync(cut, statSync(cut).size - 100);
  const first = await query([cut], { dir });
  const second = await query([cut], { dir });
  assert.ok(second.loads > 0, 'a capture without a footer is loaded each time');
  assert.match(second.warnings.join('\n'), /no footer|damaged/, 'and its warning is said each time');
  assert.deepEqual(second.warnings, first.warnings);
  assert.deepEqual(entryNames(dir), []);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.build-')).length, 0, 'the unstored build is removed on close');
});

test('a damaged entry (truncated, garbage, bad entry.json) is removed and rebuilt without a word', async () => {
  const dir = freshCacheDir();
  const cap = await capture();
  const good = await query([cap], { dir });
  const [entry] = entryNames(dir);
  const db = join(dir, entry!, 'analysis.duckdb');
  const damage: [string, () => void][] = [
    ['truncated', () => truncateSync(db, Math.floor(statSync(db).size / 2))],
    ['garbage of the same size', () => writeFileSync(db, Buffer.alloc(statSync(db).size, 0x5a))],
    ['empty', () => truncateSync(db, 0)],
    ['entry.json garbage', () => writeFileSync(join(dir, entry!, 'entry.json'), '{not json')],
  ];
  for (const [what, harm] of damage) {
    harm();
    const rebuilt = await query([cap], { dir });
    assert.ok(rebuilt.loads > 0, `${what}: loaded again`);
    assert.deepEqual(rebuilt.rows, good.rows, `${what}: the right answer`);
    assert.deepEqual(rebuilt.warnings, [], `${what}: nothing said`);
    assert.equal((await query([cap], { dir })).loads, 0, `${what}: the rebuilt entry is used`);
    assert.deepEqual(entryNames(dir), [entry], `${what}: one entry`);
  }
});

test('an unusable cache dir (under a regular file, a symlink, owned by another user) falls back with one warning', async (t) => {
  const cap = await capture();
  const file = join(work.dir, `plain-${++n}`);
  writeFileSync(file, 'x');
  const cases: [string, string, RegExp][] = [['under a regular file', join(file, 'contxray'), /cannot create the cache directory .*; using a temporary database/]];
  const real = join(work.dir, `real-${++n}`);
  mkdirSync(real, { mode: 0o700 });
  const link = join(work.dir, `link-${++n}`);
  symlinkSync(real, link);
  cases.push(['a symlink', link, /not using the cache directory .*: it is a symlink; using a temporary database/]);
  if (IS_ROOT) {
    const foreign = join(work.dir, `foreign-${++n}`);
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    cases.push(['owned by nobody', foreign, /not using the cache directory .*: it is owned by uid 65534, not by you; using a temporary database/]);
  } else t.diagnostic('not root: the dir owned by another user is not tested');
  for (const [what, dir, warning] of cases) {
    const first = await query([cap], { dir });
    assert.equal(first.warnings.length, 1, `${what}: one warning`);
    assert.match(first.warnings[0]!, warning);
    assert.equal(first.rows.length, 1, `${what}: answered`);
    const second = await query([cap], { dir });
    assert.deepEqual(second.warnings, [], `${what}: warned once per process`);
    assert.ok(second.loads > 0);
  }
  assert.deepEqual(readdirSync(real), [], 'nothing written through the symlink');

  // The command line: one warning line, the right answer.
  const r = cli(['analyze', cap, '--sql', TOP, '-f', 'csv'], { env: { XDG_CACHE_HOME: file, CONTXRAY_CACHE_SETTLE_MS: '0' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'host,calls\nhostA,71\n');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^contxray: warning: cannot create the cache directory .*; using a temporary database$/m);
});

test('the size bound evicts the least recently used entry; 0 turns the cache off', async () => {
  const dir = freshCacheDir();
  const [a, b, c] = [await capture('hostA'), await capture('hostB'), await capture('hostC')];
  await query([a], { dir });
  const one = listEntries(dir)[0]!.bytes;
  const maxBytes = Math.floor(one * 2.5);
  await query([b], { dir, maxBytes });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((await query([a], { dir, maxBytes })).loads, 0, 'a used again: now b is the least recently used');
  await new Promise((r) => setTimeout(r, 20));
  await query([c], { dir, maxBytes });
  const left = listEntries(dir).map((e) => e.captures[0]!.path).sort();
  assert.deepEqual(left, [a, c].sort(), 'b went');
  assert.ok(listEntries(dir).reduce((s, e) => s + e.bytes, 0) <= maxBytes);

  const off = freshCacheDir();
  await query([a], { dir: off, maxBytes: 0 });
  assert.ok((await query([a], { dir: off, maxBytes: 0 })).loads > 0);
  assert.equal(existsSync(off), false, 'a disabled cache creates nothing');
});

test('CONTXRAY_CACHE_MAX sizes', () => {
  assert.equal(parseSize('2G'), 2 * 1024 ** 3);
  assert.equal(parseSize('500M'), 500 * 1024 ** 2);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('0'), 0);
  assert.equal(parseSize('123'), 123);
  assert.equal(parseSize('lots'), null);
  assert.equal(parseSize('-1G'), null);
});

function runAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('command line: two analyzes at once both answer and leave one entry; --no-cache bypasses; cache list and clear', async () => {
  const home = join(work.dir, `xdg-${++n}`);
  const env = { XDG_CACHE_HOME: home, CONTXRAY_CACHE_SETTLE_MS: '0' };
  const dir = join(home, 'contxray');
  const cap = await capture('hostA');
  const args = ['analyze', cap, '--sql', TOP, '-f', 'csv'];

  const bypass = cli([...args, '--no-cache'], { env });
  assert.equal(bypass.status, 0, bypass.stderr);
  assert.equal(bypass.stdout, 'host,calls\nhostA,71\n');
  assert.deepEqual(entryNames(dir), [], '--no-cache stores nothing');

  const both = await Promise.all([runAsync(args, env), runAsync(args, env)]);
  for (const r of both) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'host,calls\nhostA,71\n');
    assert.equal(r.stderr, '');
  }
  assert.equal(entryNames(dir).length, 1, 'one entry');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'the losing build was removed');

  const [entry] = entryNames(dir);
  const used = join(dir, entry!, 'entry.json');
  const old = new Date(Date.now() - 3600_000);
  utimesSync(used, old, old);
  assert.equal(cli([...args, '--no-cache'], { env }).status, 0);
  assert.ok(Math.abs(statSync(used).mtimeMs - old.getTime()) < 1, '--no-cache does not use the entry');
  const hit = cli(args, { env });
  assert.equal(hit.stdout, 'host,calls\nhostA,71\n');
  assert.ok(statSync(used).mtimeMs > old.getTime() + 1000, 'a hit marks the entry used');

  // report, seccomp and the summary over a cached (read-only) database answer as over a fresh load
  const summary = cli(['analyze', cap, '-f', 'json'], { env });
  assert.equal(summary.status, 0, summary.stderr);
  assert.equal(summary.stdout, cli(['analyze', cap, '-f', 'json', '--no-cache'], { env }).stdout);
  const report = cli(['report', cap, '-o', join(work.dir, `r-${++n}.html`)], { env });
  assert.equal(report.status, 0, report.stderr);

  const list = cli(['cache', 'list', '-f', 'json'], { env });
  assert.equal(list.status, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { entry: string; captures: string[]; events: number; bytes: number }[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.entry, entry);
  assert.deepEqual(listed[0]!.captures, [cap]);
  assert.ok(listed[0]!.events > 0 && listed[0]!.bytes > 0);
  assert.match(cli(['cache', 'list'], { env }).stdout, /1 entry, .* in .*contxray/);

  const clear = cli(['cache', 'clear'], { env });
  assert.equal(clear.status, 0, clear.stderr);
  assert.match(clear.stderr, /removed 1 cache entry/);
  assert.deepEqual(entryNames(dir), []);
  assert.deepEqual(JSON.parse(cli(['cache', 'list', '-f', 'json'], { env }).stdout), []);

  const disabled = cli(args, { env: { ...env, CONTXRAY_CACHE_MAX: '0' } });
  assert.equal(disabled.status, 0);
  assert.deepEqual(entryNames(dir), [], 'CONTXRAY_CACHE_MAX=0: nothing stored');
});
