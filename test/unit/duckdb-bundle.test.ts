/**
 * DuckDB's JavaScript runs from one bundle with a V8 code cache made at build time
 * (scripts/bundle-duckdb.mjs, src/analyze/duckdb.ts): this process and a real `analyze` use it;
 * a missing, stale or damaged cache means a plain compile of the same bundle, and a missing or
 * id-less bundle means the package itself, never an error.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { API_BUNDLE, api, apiBundle, loadApiBundle } from '../../src/analyze/duckdb.js';
import { BIN, tempDir, testCacheHome, writeScenario } from '../helpers/captures.js';

const PRELOAD = pathToFileURL(join(import.meta.dirname, '../helpers/import-log.js')).href;
const CACHE = API_BUNDLE.replace(/\.cjs$/, '.cache');
const work = tempDir('contxray-duckdb-bundle-');
after(() => work.cleanup());

/** The bundle's API answers a query (its classes work against the native bindings). */
async function answers(duck: typeof api): Promise<unknown> {
  const instance = await duck.DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll('SELECT 40 + $n AS answer', { n: 2 }, { n: duck.INTEGER })).getRows()[0]![0];
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** A copy of the built bundle and cache in a temp dir, the cache rewritten by `spoil`. */
function copy(name: string, spoil?: (cache: Buffer) => Buffer | null): string {
  const file = join(work.dir, `${name}.cjs`);
  copyFileSync(API_BUNDLE, file);
  const cache = readFileSync(CACHE);
  const spoiled = spoil ? spoil(cache) : cache;
  if (spoiled) writeFileSync(file.replace(/\.cjs$/, '.cache'), spoiled);
  return file;
}

test('this process runs DuckDB from the build bundle, with its code cache', async () => {
  assert.ok(apiBundle, 'the bundle loaded (npm run build makes it)');
  assert.equal(apiBundle.cached, true, 'V8 took the code cache');
  assert.equal(api, apiBundle.exports);
  assert.equal(await answers(api), 42);
});

test('a copy with its cache loads cached; a stale, damaged or missing cache compiles the same bundle without it', async () => {
  const good = loadApiBundle(copy('good'));
  assert.equal(good?.cached, true);
  const id = readFileSync(CACHE).toString('latin1', 0, 64);
  const spoilers: [string, (c: Buffer) => Buffer | null][] = [
    ['stale', (c) => Buffer.concat([Buffer.from('0'.repeat(64), 'latin1'), c.subarray(64)])],
    ['damaged', (c) => Buffer.concat([Buffer.from(id, 'latin1'), Buffer.alloc(c.length - 64, 7)])],
    ['truncated', (c) => c.subarray(0, 64 + 100)],
    ['missing', () => null],
  ];
  for (const [name, spoil] of spoilers) {
    const loaded = loadApiBundle(copy(name, spoil));
    assert.ok(loaded, name);
    assert.equal(loaded.cached, false, `${name}: not used`);
    assert.equal(await answers(loaded.exports), 42, `${name}: the bundle still runs`);
  }
});

test('no bundle, or one without its build id, is not loaded (the package is required instead)', () => {
  assert.equal(loadApiBundle(join(work.dir, 'absent.cjs')), null);
  const noId = join(work.dir, 'no-id.cjs');
  writeFileSync(noId, readFileSync(API_BUNDLE, 'utf8').replace(/\n\/\/# contxray-build [0-9a-f]+\n$/, '\n'));
  assert.equal(loadApiBundle(noId), null);
});

test('a real analyze runs DuckDB from the bundle: none of the package\'s own modules is loaded', async () => {
  const capture = join(work.dir, 'scenario.arrow');
  await writeScenario(capture);
  const log = join(work.dir, 'imports.log');
  const r = spawnSync(process.execPath, ['--import', PRELOAD, BIN, 'analyze', capture, '-q', 'top-syscalls', '-f', 'csv', '--no-cache'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_CACHE_HOME: testCacheHome(), NO_COLOR: '1', CONTXRAY_IMPORT_LOG: log, CONTXRAY_DEBUG: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^host,/);
  assert.doesNotMatch(r.stderr, /DuckDB (bundle|code cache)/, 'no fallback was taken');
  const modules = readFileSync(log, 'utf8').trim().split('\n').map((line) => decodeURIComponent(line.split(' ')[2]!));
  assert.ok(modules.some((m) => m.includes('/node_modules/@duckdb/node-bindings/')), 'the log recorded DuckDB (its bindings)');
  assert.deepEqual(modules.filter((m) => m.includes('/node_modules/@duckdb/node-api/')), []);
});
