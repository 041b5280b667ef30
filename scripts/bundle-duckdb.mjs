#!/usr/bin/env node
/**
 * Bundles @duckdb/node-api's JavaScript (~40 CommonJS modules) into one script,
 * dist/src/analyze/duckdb-api.bundle.cjs, and makes its V8 code cache, so that every command that
 * opens DuckDB compiles one cached script instead of resolving, reading and compiling forty files
 * (docs/performance.md, "Small captures: DuckDB's JavaScript bundled"). src/analyze/duckdb.ts loads
 * it; without it (no build step, a damaged file) it requires the package as before.
 *
 * What stays out: @duckdb/node-bindings (the native addon and its loader), required at run time
 * from src/analyze/, where the package would have required it from.
 * The cache is made the way bin/contxray.js's is (scripts/bundle-cli.mjs): in a child node with no
 * V8 flags, after a representative run (open, create, append, query, a table function), so that it
 * holds the functions that run compiles lazily too; it starts with the build id that ends the bundle
 * and is only used with that bundle. Run by `npm run build` after tsc.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DUCKDB_OUTFILE = join(ROOT, 'dist', 'src', 'analyze', 'duckdb-api.bundle.cjs');
/** The bundle and cache format (wrapBundle, cacheFileOf, codeCacheOf), from tsc's output. */
const CACHED_SCRIPT = pathToFileURL(join(ROOT, 'dist', 'src', 'util', 'cached-script.js')).href;

export async function bundleDuckdb({ outfile = DUCKDB_OUTFILE } = {}) {
  const entry = createRequire(join(ROOT, 'package.json')).resolve('@duckdb/node-api');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    minify: true,
    keepNames: true, // class names show in error messages and toString()
    external: ['@duckdb/node-bindings'],
    logLevel: 'warning',
  });
  const text = result.outputFiles[0].text;
  const { wrapBundle, cacheFileOf } = await import(CACHED_SCRIPT);
  writeFileSync(outfile, wrapBundle(text));
  rmSync(cacheFileOf(outfile), { force: true });
  makeCodeCache(cacheFileOf(outfile));
}

function makeCodeCache(cacheFile) {
  const duckdbJs = pathToFileURL(join(ROOT, 'dist', 'src', 'analyze', 'duckdb.js')).href;
  const child = [
    "import { writeFileSync } from 'node:fs';",
    `const { api, apiBundle } = await import(${JSON.stringify(duckdbJs)});`,
    `const { codeCacheOf } = await import(${JSON.stringify(CACHED_SCRIPT)});`,
    "if (!apiBundle) throw new Error('the bundle did not load');",
    "const instance = await api.DuckDBInstance.create(':memory:');",
    'const c = await instance.connect();',
    "await c.run('CREATE TABLE t (a USMALLINT, b VARCHAR, c VARCHAR[], d TIMESTAMP_NS)');",
    "const app = await c.createAppender('t');",
    "app.appendUSmallInt(1); app.appendVarchar('x'); app.appendValue(api.listValue(['y']), api.LIST(api.VARCHAR)); app.appendNull(); app.endRow(); app.closeSync();",
    "const chunk = api.DuckDBDataChunk.create([api.USMALLINT, api.VARCHAR, api.LIST(api.VARCHAR), api.TIMESTAMP_NS], 1);",
    "chunk.setColumnValues(0, [2]); chunk.setColumnValues(1, ['z']); chunk.setColumnValues(2, [api.listValue(['w'])]); chunk.setColumnValues(3, [null]);",
    "const app2 = await c.createAppender('t'); app2.appendDataChunk(chunk); app2.closeSync();",
    "c.registerTableFunction(api.DuckDBTableFunction.create({ name: 'warm', bindFunction: (b) => b.addResultColumn('n', api.INTEGER), mainFunction: (i, o) => { o.chunk; } }));",
    "const reader = await c.runAndReadAll('SELECT a, b, c, d, count(*) OVER () FROM t WHERE a = $a', { a: 1 }, { a: api.USMALLINT });",
    'reader.getRows(); reader.columnNames(); reader.columnTypes().map(String);',
    'const p = await c.prepare("SELECT $x::VARCHAR AS x"); p.bind({ x: null }, { x: api.VARCHAR }); await p.run(); p.destroySync();',
    "await c.run('SELECT 1').then((r) => r.getRows?.());",
    'c.closeSync(); instance.closeSync();',
    `writeFileSync(${JSON.stringify(cacheFile)}, codeCacheOf(apiBundle));`,
  ].join('\n');
  const env = { ...process.env, NODE_OPTIONS: '' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`DuckDB code cache: the representative run failed (${r.status}): ${r.stderr}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleDuckdb();
