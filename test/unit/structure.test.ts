/**
 * The shape of src/: imports point down (util at the bottom, syscalls just above it), the product
 * never imports test or bench code (so the package build emits src/ only), and one module finds
 * the package folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

const ROOT = packageRoot();
const SRC = join(ROOT, 'src');

function sources(): string[] {
  return readdirSync(SRC, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, f));
}

/** Relative imports of a source file, as repository paths (src/util/errors.js …). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s*'(\.[^']+)'/gm)].map((m) => relative(ROOT, resolve(dirname(file), m[1]!)));
}

/** Folder of src/ → the src/ folders it may import from (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  util: [],
  syscalls: ['util'],
};

test('imports point down: util and syscalls import nothing above them; src never imports test/ or bench/', () => {
  const bad: string[] = [];
  for (const file of sources()) {
    const folder = relative(SRC, file).split('/')[0]!;
    for (const target of importsOf(file)) {
      const where = relative(ROOT, file);
      if (!target.startsWith('src/')) {
        bad.push(`${where} → ${target}`);
        continue;
      }
      const to = target.split('/')[1]!;
      const allowed = MAY_IMPORT[folder];
      if (allowed && to !== folder && !allowed.includes(to)) bad.push(`${where} → ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('one package-root finder: only src/util/package-root.ts locates files from its own URL', () => {
  const walkers = sources()
    .filter((f) => /fileURLToPath\(import\.meta\.url\)|new URL\('\.\.?\//.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  // load-pipeline.ts starts its worker module, db.ts loads the load bundle (scripts/bundle-load.mjs) and
  // duckdb.ts DuckDB's bundle (scripts/bundle-duckdb.mjs), all built beside them (not package files):
  // the three exceptions.
  assert.deepEqual(walkers, ['src/analyze/db.ts', 'src/analyze/duckdb.ts', 'src/analyze/load-pipeline.ts', 'src/util/package-root.ts']);
});

test('the package root holds what the product reads at run time', () => {
  for (const p of ['package.json', 'queries/views.sql', 'reports/templates/layout.hbs', 'data/syscalls/x86_64.json', 'native/binding.gyp']) {
    assert.ok(readFileSync(join(ROOT, p)).length > 0, p);
  }
});

test('exit codes are chosen in src/cli/ only: library code throws domain errors, never CliError or EXIT', () => {
  const offenders = sources()
    .filter((f) => !relative(SRC, f).startsWith('cli/'))
    .filter((f) => /\bCliError\b|\bEXIT\.|\bexitCode\b/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
});
