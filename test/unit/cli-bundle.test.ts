/**
 * bin/contxray.js loads the start-up path bundled by scripts/bundle-cli.mjs (issue 12). The bundle
 * must behave exactly like the unbundled dist/src/cli/main.js it is built from: same output and
 * exit code for help, version, usage errors, the errors the commands throw (their classes must stay
 * one copy, outside the bundle) and a translated help. What the bundle holds is checked from its
 * metafile: yargs and the definitions, never a command's `run` module or a heavy library.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN, tempDir, testCacheHome, writeScenario } from '../helpers/captures.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = dirname(DIST);
const work = tempDir('contxray-bundle-');
const capture = join(work.dir, 'good.arrow');
/** A bin like bin/contxray.js that loads the unbundled main.js. */
const UNBUNDLED = join(work.dir, 'unbundled.mjs');

before(async () => {
  await writeScenario(capture);
  writeFileSync(UNBUNDLED, `import { main } from ${JSON.stringify(pathToFileURL(join(DIST, 'src/cli/main.js')).href)};\nmain(process.argv.slice(2));\n`);
});
after(() => work.cleanup());

function run(bin: string, args: string[], env: Record<string, string> = {}, cwd = work.dir) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_CACHE_HOME: testCacheHome(), NO_COLOR: '1', LC_ALL: '', LC_MESSAGES: '', LANG: 'en_US.UTF-8', LANGUAGE: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES: { name: string; args: string[]; env?: Record<string, string>; status: number }[] = [
  { name: '--help', args: ['--help'], status: 0 },
  { name: 'analyze --help', args: ['analyze', '--help'], status: 0 },
  { name: 'seccomp --help', args: ['seccomp', '--help'], status: 0 },
  { name: '--version', args: ['--version'], status: 0 },
  { name: 'no command', args: [], status: 2 },
  { name: 'an unknown command (with a suggestion)', args: ['analyse'], status: 2 },
  { name: 'a bad option', args: ['analyze', '--bogus'], status: 2 },
  { name: 'conflicting options', args: ['analyze', capture, '--sql', 'SELECT 1', '-q', 'top-syscalls'], status: 2 },
  { name: 'analyze --list', args: ['analyze', '--list'], status: 0 },
  { name: 'a named query', args: ['analyze', capture, '-q', 'top-syscalls', '-f', 'csv', '--no-cache'], status: 0 },
  // thrown by src/analyze (a CaptureError) and mapped to exit 3 by main: one class on both sides of the bundle
  { name: 'a missing capture (input error, exit 3)', args: ['analyze', join(work.dir, 'missing.arrow')], status: 3 },
  { name: 'an unknown query (usage error, exit 2)', args: ['analyze', capture, '-q', 'no-such-query', '--no-cache'], status: 2 },
  // yargs reads its locales/ relative to its own file: the bundle must still find them
  { name: 'help in German', args: ['--help'], env: { LANG: 'de_DE.UTF-8' }, status: 0 },
];

for (const c of CASES) {
  test(`the bundled CLI behaves as the unbundled one: ${c.name}`, () => {
    const want = run(UNBUNDLED, c.args, c.env);
    const got = run(BIN, c.args, c.env);
    assert.equal(want.status, c.status, `unbundled: ${want.stderr}`);
    assert.deepEqual(got, want);
  });
}

test('the German help is German (the locale check above can fail)', () => {
  assert.match(run(BIN, ['--help'], { LANG: 'de_DE.UTF-8' }).stdout, /Kommandos:[\s\S]*Optionen:/);
});

test('--version is contxray’s, not that of the package.json in the current directory', () => {
  const elsewhere = join(work.dir, 'other-project');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(run(BIN, ['--version'], {}, elsewhere).stdout.trim(), version);
});

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

test('the bundle holds yargs and the command definitions, not a command’s run module or a heavy library', () => {
  const meta = JSON.parse(readFileSync(join(DIST, 'main.bundle.meta.json'), 'utf8')) as Metafile;
  const inputs = Object.keys(meta.inputs);
  const packages = new Set(inputs.map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(i)?.[1]).filter((p): p is string => p !== undefined));
  assert.ok(packages.has('yargs') && packages.has('yargs-parser') && packages.has('cliui'), [...packages].join(' '));
  const heavy = ['@duckdb/node-api', '@duckdb/node-bindings', 'apache-arrow', 'flatbuffers', 'vega', 'vega-lite', 'vega-embed', 'handlebars', 'prom-client', '@grafana/grafana-foundation-sdk', '@bokuweb/zstd-wasm', 'zstd-napi', 'node-gyp-build'];
  assert.deepEqual(heavy.filter((p) => packages.has(p)), []);

  const project = inputs.filter((i) => i.startsWith('dist/src/')).map((i) => i.slice('dist/src/'.length));
  assert.ok(project.includes('cli/main.js') && project.includes('cli/commands/analyze.js'), project.join(' '));
  // the modules whose identity matters stay one shared copy: error classes (instanceof), outfile's signal handlers
  for (const shared of ['util/errors.js', 'cli/errors.js', 'util/outfile.js']) assert.ok(!project.includes(shared), `${shared} is bundled`);
  // what the commands run is imported on use, from dist/src (but `analyze --list`, which reads query headers only)
  const runModules = ['analyze', 'report', 'seccomp', 'detect', 'export', 'metrics', 'grafana', 'doctor', 'cache', 'record'].map((n) => `cli/${n}.js`);
  assert.deepEqual(project.filter((p) => runModules.includes(p) || p.startsWith('capture/') || p === 'analyze/db.js'), []);
  const [output] = Object.values(meta.outputs);
  const dynamic = output!.imports.filter((i) => i.kind === 'dynamic-import');
  assert.ok(dynamic.length >= runModules.length, 'each command imports its run module');
  assert.deepEqual(dynamic.filter((i) => !i.external), []);
});

test('the help text’s fast string widths agree with each string-width the bundle wraps', async () => {
  // the bundle answers printable ASCII and — … → as one column each (scripts/bundle-cli.mjs) instead of calling string-width
  const narrow = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)), '\u2014', '\u2026', '\u2192'];
  const meta = JSON.parse(readFileSync(join(DIST, 'main.bundle.meta.json'), 'utf8')) as Metafile;
  const wrapped = Object.keys(meta.inputs).filter((i) => i.startsWith('ascii-width:')).map((i) => i.slice('ascii-width:'.length));
  assert.ok(wrapped.length >= 1, 'the bundle wraps string-width');
  for (const path of wrapped) {
    const stringWidth = ((await import(pathToFileURL(path).href)) as { default: (s: string, o?: object) => number }).default;
    for (const ch of narrow) assert.equal(stringWidth(ch), 1, `${path}: width of ${JSON.stringify(ch)}`);
    assert.equal(stringWidth(narrow.join('')), narrow.length, path);
    assert.equal(stringWidth('\u2014', { ambiguousIsNarrow: false }), 2, `${path}: ambiguous-wide is not the fast path`);
  }
});
