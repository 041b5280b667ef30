/**
 * The capture load runs from one bundle, dist/src/analyze/load.bundle.js (scripts/bundle-load.mjs:
 * load.js with the Arrow IPC reader and the part of apache-arrow it uses), instead of ~160 ES
 * modules (issue 12 item 2). The bundle must load exactly what the unbundled load.js loads (every
 * table, row by row, the warnings and capture metadata), through either load path (this thread,
 * or the pipeline whose worker it starts by URL), and fail the same way on damaged captures: with
 * the shared error classes (the CLI maps them with `instanceof`) and with the flatbuffers
 * hardening applied to the copy of flatbuffers the bundle's Arrow reads with. db.ts must use it
 * (checked by logging what a real `analyze` loads, test/helpers/import-log.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { api } from '../../src/analyze/duckdb.js';
import type { DuckDBInstance as Instance } from '@duckdb/node-api';
import * as unbundled from '../../src/analyze/load.js';
import { CaptureError } from '../../src/util/errors.js';
import { loadCachedScript } from '../../src/util/cached-script.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { BIN, tempDir, testCacheHome, writeScenario } from '../helpers/captures.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

type LoadModule = typeof unbundled;
const DIST = new URL('../../', import.meta.url);
const BUNDLE = new URL('src/analyze/load.bundle.js', DIST);
const CJS_BUNDLE = fileURLToPath(new URL('src/analyze/load.bundle.cjs', DIST));
/** Both bundles of the load: the ES module one, and the CommonJS one with its code cache (what analyze runs on Node ≥ 20.19). */
let bundles: [string, LoadModule][];
const PRELOAD = pathToFileURL(join(import.meta.dirname, '../helpers/import-log.js')).href;

const work = tempDir('contxray-load-bundle-');
const scenario = join(work.dir, 'scenario.arrow');
const synthetic = join(work.dir, 'synthetic.arrow');
const cut = join(work.dir, 'cut.arrow');

before(async () => {
  const cjs = loadCachedScript<LoadModule>(CJS_BUNDLE, 'load');
  assert.ok(cjs?.cached, 'the CommonJS bundle loads with its code cache');
  bundles = [
    ['ES module bundle', (await import(BUNDLE.href)) as LoadModule],
    ['CommonJS bundle', cjs.exports],
  ];
  await writeScenario(scenario);
  await writeSyntheticCapture(synthetic, { events: 20_000 });
  copyFileSync(synthetic, cut);
  truncateSync(cut, Math.floor(statSync(cut).size * 0.6)); // recovered: a warning, fewer rows
});
after(() => work.cleanup());

interface Loaded {
  rows: number;
  threads: number;
  warnings: string[];
  metas: unknown;
  tables: Record<string, string[]>;
}

/** Loads with `mod` into a fresh in-memory database; every table, every row, in a fixed order. */
async function load(mod: LoadModule, paths: string[], threads: number, shared?: Instance): Promise<Loaded> {
  const instance = shared ?? (await DuckDBInstance.create(':memory:'));
  const conn = await instance.connect();
  try {
    const old = (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")).getRows();
    for (const [name] of old) await conn.run(`DROP TABLE "${String(name)}"`);
    await conn.run(mod.tableDdl());
    const result = await mod.loadCaptures({ instance, connection: conn }, paths, undefined, { threads });
    const names = (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY ALL")).getRows().map((r) => String(r[0]));
    const tables: Record<string, string[]> = {};
    for (const name of names) {
      tables[name] = (await conn.runAndReadAll(`SELECT * FROM "${name}" ORDER BY ALL`)).getRows().map((r) => r.map((v) => String(v)).join('|'));
    }
    return { rows: result.rows, threads: result.threads, warnings: result.warnings, metas: result.metas, tables };
  } finally {
    conn.closeSync();
    if (!shared) instance.closeSync();
  }
}

/** The outcome of loading `path` with `mod`: what it loaded, or the error's class and message. */
async function outcome(mod: LoadModule, path: string, shared?: Instance): Promise<string> {
  try {
    const l = await load(mod, [path], 1, shared);
    return `loaded ${l.rows} rows ${l.warnings.join(' ')}`;
  } catch (err) {
    return `${err instanceof CaptureError ? 'CaptureError' : `other ${(err as Error).constructor.name}`}: ${(err as Error).message}`;
  }
}

for (const threads of [1, 2]) {
  test(`the bundled load makes the same tables as load.js (${threads === 1 ? 'on this thread' : 'pipelined, its worker started from the bundle'})`, async () => {
    const paths = [scenario, synthetic, cut];
    const want = await load(unbundled, paths, threads);
    assert.equal(want.threads, threads);
    assert.ok(want.tables.ev_syscall!.length > 1000 && want.tables.ev_container!.length > 0, 'the captures hold events of several kinds');
    assert.equal(want.warnings.length, 1, 'the cut capture was recovered with a warning');
    for (const [name, bundled] of bundles) assert.deepEqual(await load(bundled, paths, threads), want, name);
  });
}

test('a capture the reader refuses fails the same way through the bundle, with the shared CaptureError', async () => {
  const missing = join(work.dir, 'missing.arrow');
  const notArrow = join(work.dir, 'not-arrow.arrow');
  writeFileSync(notArrow, 'hello, not a capture');
  for (const path of [missing, notArrow]) {
    const want = await outcome(unbundled, path);
    assert.match(want, /^CaptureError: /);
    for (const [name, bundled] of bundles) assert.equal(await outcome(bundled, path), want, name);
  }
});

/**
 * A message-metadata vector length past the end of its buffer (harden.ts makes flatbuffers throw
 * instead of looping until the heap is exhausted). The bundle has its own copy of flatbuffers, the
 * one its Arrow reads with: the hardening must be applied to that copy. Each 4-byte word of the
 * header of a cut capture (no footer to fall back to) is set to a huge length in turn.
 */
test('damaged Arrow metadata is refused through the bundle as through load.js (the bundle’s flatbuffers is hardened)', async () => {
  const original = readFileSync(scenario);
  const damaged = join(work.dir, 'damaged.arrow');
  const instance = await DuckDBInstance.create(':memory:');
  let refusedByHardening = 0;
  for (let at = 8; at < 200; at += 4) {
    const bytes = Buffer.from(original.subarray(0, original.length - 16));
    bytes.writeUInt32LE(0x7ffffff0, at);
    writeFileSync(damaged, bytes);
    const want = await outcome(unbundled, damaged, instance);
    for (const [name, bundled] of bundles) assert.equal(await outcome(bundled, damaged, instance), want, `${name}, word at ${at}`);
    if (/damaged Arrow message metadata/.test(want)) refusedByHardening++;
  }
  instance.closeSync();
  assert.ok(refusedByHardening > 0, 'some damaged length reached the hardened check');
});

/** A real `analyze` with the import log (and CONTXRAY_DEBUG: it names any fallback); every module it loaded. */
function realAnalyze(nodeFlags: string[] = []): { stderr: string; modules: string[] } {
  const log = join(work.dir, 'imports.log');
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', PRELOAD, BIN, 'analyze', scenario, '-q', 'top-syscalls', '-f', 'csv', '--no-cache'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_CACHE_HOME: testCacheHome(), NO_COLOR: '1', CONTXRAY_IMPORT_LOG: log, CONTXRAY_DEBUG: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^host,/);
  return { stderr: r.stderr, modules: readFileSync(log, 'utf8').trim().split('\n').map((line) => decodeURIComponent(line.split(' ')[2]!)) };
}

const UNBUNDLED = /\/node_modules\/(apache-arrow|flatbuffers|tslib)\/|\/dist\/src\/(capture\/reader|analyze\/load)\.js$/;

test('a real analyze loads captures through the CommonJS bundle and its cache: no apache-arrow module, no unbundled reader', () => {
  const { stderr, modules } = realAnalyze();
  assert.doesNotMatch(stderr, /load (bundle|code cache)/, 'no fallback was taken');
  // node:vm compiles it, which the log does not see; what it requires from dist/src is logged
  assert.ok(modules.some((m) => m.endsWith('/dist/src/analyze/load-decode.js')), 'the log recorded the load');
  assert.deepEqual(modules.filter((m) => m.endsWith('/dist/src/analyze/load.bundle.js') || UNBUNDLED.test(m)), []);
});

test('without require(esm), a real analyze loads captures through the ES module bundle', () => {
  const { modules } = realAnalyze(['--no-experimental-require-module']);
  assert.ok(modules.some((m) => m.endsWith('/dist/src/analyze/load.bundle.js')), 'the ES module bundle was loaded');
  assert.deepEqual(modules.filter((m) => UNBUNDLED.test(m)), []);
});

test('the CommonJS bundles hold no dynamic import(): node:vm gives it no loader on Node 20 (the wasm zstd fallback used one)', () => {
  for (const file of [CJS_BUNDLE, fileURLToPath(new URL('src/analyze/duckdb-api.bundle.cjs', DIST))]) {
    assert.doesNotMatch(readFileSync(file, 'utf8'), /\bimport\(/, file);
  }
});
