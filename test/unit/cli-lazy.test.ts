/**
 * Start-up stays light (issue 12): `contxray --help`, each command's --help and `analyze --list`
 * must not load DuckDB, Arrow, vega, handlebars, prom-client, the Grafana SDK, zstd or the native
 * addon. Each command's definition (src/cli/commands/) is light and imports what it runs only in
 * its handler. Checked by logging every module a real CLI process loads (test/helpers/import-log.ts),
 * not by timing. The start-up path itself is one bundle (scripts/bundle-cli.mjs) that the log does not
 * see (node:vm compiles it; the ES module fallback is one module): test/unit/cli-bundle.test.ts checks
 * from its metafile that nothing heavy is inside.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BIN, tempDir, testCacheHome, writeScenario } from '../helpers/captures.js';

const HEAVY = [
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  'apache-arrow',
  'flatbuffers',
  'vega',
  'vega-lite',
  'vega-embed',
  'handlebars',
  'prom-client',
  '@grafana/grafana-foundation-sdk',
  '@bokuweb/zstd-wasm',
  'zstd-napi',
  'node-gyp-build',
];
const PRELOAD = pathToFileURL(join(import.meta.dirname, '../helpers/import-log.js')).href;
const work = tempDir('contxray-lazy-');
const capture = join(work.dir, 'good.arrow');

before(() => writeScenario(capture));
after(() => work.cleanup());

interface Loaded {
  parent: string;
  module: string;
}

/** Runs the CLI with the import log; returns its output and every module it loaded. */
function run(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): { status: number | null; stdout: string; stderr: string; loaded: Loaded[] } {
  const log = join(work.dir, `imports-${args.join('_').replace(/\W/g, '')}.log`);
  rmSync(log, { force: true });
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', PRELOAD, BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_CACHE_HOME: testCacheHome(), NO_COLOR: '1', CONTXRAY_IMPORT_LOG: log, ...env },
  });
  const loaded = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [, parent, module] = line.split(' ');
      return { parent: parent!, module: module! };
    });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

/** The heavy packages, native addons (.node) and DuckDB-opening modules among what was loaded, with who loaded each. */
function heavy(loaded: Loaded[]): string[] {
  const bad = loaded.filter(({ module }) => {
    const path = decodeURIComponent(module);
    return HEAVY.some((p) => path.includes(`/node_modules/${p}/`)) || path.endsWith('.node') || path.includes('/dist/src/analyze/db.js');
  });
  const short = (u: string) => (u.includes('/node_modules/') ? u.replace(/^.*\/node_modules\//, '') : u.replace(/^.*\/dist\//, 'dist/'));
  return [...new Set(bad.map(({ parent, module }) => `${short(parent)} → ${short(module)}`))];
}

test('the import log sees ES modules, CommonJS modules and native addons (it can fail)', () => {
  const r = run([`analyze`, capture, '--sql', 'SELECT 42 AS answer']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /42/);
  const found = heavy(r.loaded).join('\n');
  assert.match(found, /dist\/src\/analyze\/db\.js/, 'an ES module');
  assert.match(found, /@duckdb\/node-bindings/, 'a CommonJS package');
  assert.match(found, /\.node$/m, 'a native addon');
  assert.ok(r.loaded.some((l) => l.parent === '-' && l.module.includes('/node_modules/')), 'a CommonJS module from require.cache');
});

test('contxray --help loads no heavy module', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Commands:[\s\S]*analyze[\s\S]*report/);
  // the bundle is compiled by node:vm, which no log sees (what it requires from dist/src is logged,
  // but --help requires nothing: the error classes load on first use); the bin is CommonJS
  assert.ok(r.loaded.some((l) => l.module.endsWith('/bin/contxray.js')), 'the log recorded the run');
  assert.deepEqual(heavy(r.loaded), []);
});

test('contxray --help without require(esm) (the ES module bundle) loads no heavy module', () => {
  const r = run(['--help'], {}, ['--no-experimental-require-module']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Commands:[\s\S]*analyze[\s\S]*report/);
  assert.ok(r.loaded.some((l) => l.module.endsWith('/dist/src/cli/main.bundle.js')), 'the ES module bundle ran');
  assert.deepEqual(heavy(r.loaded), []);
});

test('contxray analyze --list reads the query headers without loading DuckDB', () => {
  const r = run(['analyze', '--list']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /top-syscalls/);
  assert.deepEqual(heavy(r.loaded), []);
});

/** src/util/outfile.js loads node:crypto (~15 ms): --help and --list write to stdout and do without it. */
for (const args of [['--help'], ['analyze', '--list']]) {
  test(`contxray ${args.join(' ')} does not load the output-file module`, () => {
    const r = run(args);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.loaded.some((l) => l.module.endsWith('/bin/contxray.js')), 'the log recorded the run');
    assert.deepEqual(r.loaded.filter((l) => l.module.endsWith('/dist/src/util/outfile.js')), []);
  });
}

/** Each command's --help still lists its own options, and loads nothing heavy. */
const OPTIONS: Record<string, string[]> = {
  record: ['--out', '--duration', '--opens', '--metrics', '--resources'],
  analyze: ['--sql', '--query', '--list', '--format', '--container', '--db', '--since'],
  report: ['--out', '--interactive', '--max-rows', '--max-containers', '--baseline', '--db'],
  seccomp: ['--container', '--arch', '--default-errno', '--check', '--compare-default', '--base'],
  detect: ['--baseline', '--model', '--save-model', '--window', '--seed', '--threshold'],
  export: ['--parquet', '--ndjson', '--force', '--db'],
  metrics: ['--out', '--step', '--force'],
  grafana: ['--out', '--prometheus-url', '--step', '--dashboards-path'],
};

for (const [command, options] of Object.entries(OPTIONS)) {
  test(`contxray ${command} --help lists its options and loads no heavy module`, () => {
    const r = run([command, '--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const o of options) assert.ok(r.stdout.includes(o), `${command} --help mentions ${o}:\n${r.stdout}`);
    assert.deepEqual(heavy(r.loaded), []);
  });
}

test('a load-cache hit loads no Arrow reader, zstd or worker code: only the cached database is opened', () => {
  const env = { XDG_CACHE_HOME: join(work.dir, 'cache-home'), CONTXRAY_CACHE_SETTLE_MS: '0' };
  const first = run(['analyze', capture, '-q', 'top-syscalls', '-f', 'csv'], env);
  assert.equal(first.status, 0, first.stderr);
  const readers = (loaded: Loaded[]) =>
    [...new Set(loaded.map((l) => decodeURIComponent(l.module)).filter((m) => /\/node_modules\/(apache-arrow|@bokuweb\/zstd-wasm|zstd-napi)\/|\/dist\/src\/analyze\/load\.js$/.test(m)))];
  assert.ok(readers(first.loaded).length > 0, 'the first run loads the capture (the log sees the reader)');
  const hit = run(['analyze', capture, '-q', 'top-syscalls', '-f', 'csv'], env);
  assert.equal(hit.status, 0, hit.stderr);
  assert.equal(hit.stdout, first.stdout, 'same answer from the cache');
  assert.deepEqual(readers(hit.loaded), [], 'a hit loads none of the reader');
});
