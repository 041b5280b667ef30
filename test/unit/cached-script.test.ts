/**
 * src/util/cached-script.ts on its own: a bundle with its build id runs with its code cache; a
 * stale, damaged, truncated or missing cache means a plain compile of the same bundle; no bundle, or
 * one without its build id, is null. Both real bundles (DuckDB's and the load's) are checked in
 * duckdb-bundle.test.ts and load-bundle.test.ts; this one builds a small bundle of its own.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { cacheFileOf, loadCachedScript, wrapBundle } from '../../src/util/cached-script.js';
import { tempDir } from '../helpers/captures.js';

const work = tempDir('contxray-cached-script-');
after(() => work.cleanup());

const TEXT = 'const x = require("node:path").basename(__filename); exports.answer = (n) => n + x.length;';

/**
 * A bundle of TEXT named `name`, and its cache made after a run; returns the bundle's path. The
 * cache is made in a child process, as the build makes it: a source compiled in this process would
 * sit in V8's own compilation cache, and V8 would never look at the cache data given for it.
 */
function build(name: string): { file: string; id: string } {
  const file = join(work.dir, `${name}.cjs`);
  const id = createHash('sha256').update(TEXT).digest('hex');
  writeFileSync(file, wrapBundle(TEXT));
  const child = [
    `const { loadCachedScript, cacheFileOf, codeCacheOf } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/util/cached-script.js')).href)});`,
    "const { writeFileSync } = await import('node:fs');",
    `const made = loadCachedScript(${JSON.stringify(file)}, 'test', { useCache: false });`,
    'made.exports.answer(1);',
    `writeFileSync(cacheFileOf(${JSON.stringify(file)}), codeCacheOf(made));`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { file, id };
}

test('a bundle runs with its code cache, its require() and __filename its own', () => {
  const { file, id } = build('good');
  const loaded = loadCachedScript<{ answer: (n: number) => number }>(file, 'test')!;
  assert.equal(loaded.id, id);
  assert.equal(loaded.cached, true);
  assert.equal(loaded.exports.answer(1), 1 + 'good.cjs'.length);
});

test('a stale, damaged, truncated or missing cache compiles the same bundle without it', () => {
  for (const [name, spoil] of [
    ['stale', (c: Buffer) => Buffer.concat([Buffer.from('f'.repeat(64), 'latin1'), c.subarray(64)])],
    ['damaged', (c: Buffer) => Buffer.concat([c.subarray(0, 64), Buffer.alloc(c.length - 64, 0x5a)])],
    ['truncated', (c: Buffer) => c.subarray(0, 80)],
    ['short', (c: Buffer) => c.subarray(0, 10)],
  ] as const) {
    const { file } = build(name);
    const cache = cacheFileOf(file);
    writeFileSync(cache, spoil(readFileSync(cache)));
    const loaded = loadCachedScript<{ answer: (n: number) => number }>(file, 'test')!;
    assert.equal(loaded.cached, false, name);
    assert.equal(loaded.exports.answer(2), 2 + `${name}.cjs`.length, name);
  }
  const { file } = build('nocache');
  writeFileSync(cacheFileOf(file), '');
  assert.equal(loadCachedScript(file, 'test')?.cached, false, 'empty cache');
});

test('no bundle, or one without its build id, is null', () => {
  assert.equal(loadCachedScript(join(work.dir, 'absent.cjs'), 'test'), null);
  const bare = join(work.dir, 'bare.cjs');
  writeFileSync(bare, `(function (exports, require, module, __filename, __dirname) {${TEXT}\n})\n`);
  assert.equal(loadCachedScript(bare, 'test'), null);
});


