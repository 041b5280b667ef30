/**
 * bin/contxray.js loads the start-up path bundled by scripts/bundle-cli.mjs (issue 12): a CommonJS
 * bundle compiled with the V8 code cache the build made, or, without require(esm), the same path
 * bundled as an ES module. Either must behave exactly like the unbundled dist/src/cli/main.js it is
 * built from: same output and exit code for help, version, usage errors, the errors the commands
 * throw (their classes must stay one copy, outside the bundle) and translated help; so must a run
 * whose code cache is missing, of another build, damaged or refused by V8. What the bundle holds is
 * checked from its metafile: yargs and the definitions, never a command's `run` module or a heavy library.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN, tempDir, testCacheHome, writeScenario } from '../helpers/captures.js';
import { packListing } from '../helpers/pack.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = dirname(DIST);
const work = tempDir('contxray-bundle-');
const capture = join(work.dir, 'good.arrow');
/** A bin like bin/contxray.js that loads the unbundled main.js. */
const UNBUNDLED = join(work.dir, 'unbundled.mjs');
/** A preload (`node -r`, CommonJS: it starts no ES module loader itself) that writes the built-in modules the process loaded to $CONTXRAY_BUILTINS_LOG at exit. */
const BUILTINS_LOG = join(work.dir, 'builtins-log.cjs');

before(async () => {
  await writeScenario(capture);
  writeFileSync(UNBUNDLED, `import { main } from ${JSON.stringify(pathToFileURL(join(DIST, 'src/cli/main.js')).href)};\nmain(process.argv.slice(2));\n`);
  writeFileSync(BUILTINS_LOG, "process.on('exit', () => require('node:fs').writeFileSync(process.env.CONTXRAY_BUILTINS_LOG, process.moduleLoadList.join('\\n')));\n");
});
after(() => work.cleanup());

function run(bin: string, args: string[], env: Record<string, string> = {}, cwd = work.dir, nodeFlags: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeFlags, bin, ...args], {
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
  // wide characters: cliui's layout measures them with the real string-width, not the bundle's ASCII fast path
  { name: 'help in Japanese', args: ['--help'], env: { LANG: 'ja_JP.UTF-8' }, status: 0 },
];

/** The unbundled CLI's answer, once per case. */
const expected = new Map<(typeof CASES)[number], ReturnType<typeof run>>();
function want(c: (typeof CASES)[number]) {
  if (!expected.has(c)) expected.set(c, run(UNBUNDLED, c.args, c.env));
  const w = expected.get(c)!;
  assert.equal(w.status, c.status, `unbundled: ${w.stderr}`);
  return w;
}

for (const c of CASES) {
  test(`the bundled CLI behaves as the unbundled one: ${c.name}`, () => {
    assert.deepEqual(run(BIN, c.args, c.env), want(c));
  });
  // Node < 20.19, or require(esm) turned off: bin/contxray.js imports the ES module bundle instead
  test(`the ES module bundle (no require(esm)) behaves as the unbundled CLI: ${c.name}`, () => {
    assert.deepEqual(run(BIN, c.args, c.env, work.dir, ['--no-experimental-require-module']), want(c));
  });
}

test('the code cache the build made is used (CONTXRAY_DEBUG=1 reports a cache not used)', () => {
  const r = run(BIN, ['--help'], { CONTXRAY_DEBUG: '1' });
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});

/**
 * A copy of the package (bin/, dist/src/ and package.json copied; queries/, reports/, data/ and
 * node_modules/ linked) whose code cache each test below spoils in its own way.
 */
function packageCopy(name: string): { bin: string; cache: string } {
  const root = join(work.dir, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  cpSync(BIN, join(root, 'bin', 'contxray.js'));
  cpSync(join(dirname(BIN), 'package.json'), join(root, 'bin', 'package.json')); // the bin is CommonJS
  cpSync(join(DIST, 'src'), join(root, 'dist', 'src'), { recursive: true });
  for (const d of ['queries', 'reports', 'data', 'node_modules']) symlinkSync(join(ROOT, d), join(root, d));
  return { bin: join(root, 'bin', 'contxray.js'), cache: join(root, 'dist', 'src', 'cli', 'main.bundle.cache') };
}

const ID = 64; // the build id that opens the cache file
const SPOILED: { name: string; spoil: (cache: string) => void; flags?: string[]; debug: RegExp }[] = [
  { name: 'missing', spoil: (cache) => rmSync(cache), debug: /code cache missing/ },
  {
    name: 'of another build',
    spoil: (cache) => writeFileSync(cache, Buffer.concat([Buffer.from('0'.repeat(ID)), readFileSync(cache).subarray(ID)])),
    debug: /code cache of another build/,
  },
  {
    name: 'damaged (its V8 header overwritten)',
    spoil: (cache) => {
      const data = readFileSync(cache);
      data.fill(0xa5, ID, ID + 32);
      writeFileSync(cache, data);
    },
    debug: /rejected by V8/,
  },
  { name: 'truncated', spoil: (cache) => writeFileSync(cache, readFileSync(cache).subarray(0, ID + 4096)), debug: /rejected by V8/ },
  // V8 keeps a hash of its flags in the cache: NODE_OPTIONS=--no-opt and the like make it unusable
  { name: 'made under other V8 flags', spoil: () => {}, flags: ['--no-opt'], debug: /rejected by V8/ },
];

for (const s of SPOILED) {
  test(`a code cache ${s.name} is not used, and the CLI behaves the same`, () => {
    const copy = packageCopy(`copy-${s.name.replace(/\W+/g, '-')}`);
    s.spoil(copy.cache);
    for (const c of CASES.filter((c) => ['--help', 'analyze --list', 'a missing capture (input error, exit 3)'].includes(c.name))) {
      assert.deepEqual(run(copy.bin, c.args, c.env, work.dir, s.flags), want(c), c.name);
    }
    const debug = run(copy.bin, ['--version'], { CONTXRAY_DEBUG: '1' }, work.dir, s.flags);
    assert.equal(debug.status, 0);
    assert.match(debug.stderr, s.debug);
  });
}

test('a copy of the package with its cache intact uses it (the spoiled copies above can fail)', () => {
  const copy = packageCopy('copy-intact');
  const r = run(copy.bin, ['--version'], { CONTXRAY_DEBUG: '1' });
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});

/**
 * Node's ES module loader costs ~17 M instructions to start (an ES module entry) and as much again
 * for require(esm), a fifth of `node -e 0` each: bin/contxray.js is CommonJS (bin/package.json) and
 * the bundle requires the shared error classes (ES modules) only when it reads one of their exports.
 * The loader's translators (what turns a file into an ES module, for import and require(esm) alike)
 * are the mark that it started.
 */
function startsEsModuleLoader(args: string[]): boolean {
  const log = join(work.dir, `builtins-${args.join('_').replace(/\W/g, '')}.log`);
  const r = run(BIN, args, { CONTXRAY_BUILTINS_LOG: log, CONTXRAY_DEBUG: '1' }, work.dir, ['-r', BUILTINS_LOG]);
  assert.ok([0, 3].includes(r.status!), r.stderr);
  assert.doesNotMatch(r.stderr, /code cache|require\(esm\)/, 'the bundle ran with its code cache');
  return readFileSync(log, 'utf8').split('\n').includes('NativeModule internal/modules/esm/translators');
}

for (const args of [['--help'], ['analyze', '--list']]) {
  test(`contxray ${args.join(' ')} never starts Node's ES module loader (a CommonJS bin, the error classes required on first use)`, () => {
    assert.equal(startsEsModuleLoader(args), false);
  });
}

test('reporting an error requires the error classes, which starts the ES module loader (the check above can fail)', () => {
  assert.equal(startsEsModuleLoader(['analyze', join(work.dir, 'missing.arrow')]), true);
});

test('the package ships bin/package.json, which makes bin/contxray.js CommonJS in a "type": "module" package', async () => {
  const listing = await packListing();
  assert.ok(listing.files.some((f) => f.path === 'bin/package.json'), 'npm pack leaves bin/package.json out ("files" in package.json)');
  assert.equal((JSON.parse(readFileSync(join(dirname(BIN), 'package.json'), 'utf8')) as { type?: string }).type, 'commonjs');
});

test('the CommonJS bundle is strict code, like the ES modules it is built from', () => {
  const text = readFileSync(join(DIST, 'src', 'cli', 'main.bundle.cjs'), 'latin1');
  // a directive counts only first in the function body (esbuild's own "use strict" comes after a banner)
  assert.match(text, /^\(function \(exports, require, module, __filename, __dirname, __import\) \{"use strict";/);
  assert.match(text, /\n\}\)\n\/\/# contxray-build [0-9a-f]{64}\n$/);
});

test('analyze --list lists the queries in the order localeCompare gives (it sorts by code unit)', () => {
  const r = run(BIN, ['analyze', '--list', '-f', 'csv']);
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout.trim().split('\n').slice(1).map((line) => line.split(',')[0]!);
  assert.ok(names.length > 10 && names.includes('top-syscalls'), names.join(' '));
  assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
});

test('the bundles hold no regular-expression literal with a property of strings (V8 builds its emoji sets when it parses one)', () => {
  const PROPERTY_OF_STRINGS = /(?<!\\)\\p\{(?:Basic_Emoji|Emoji_Keycap_Sequence|RGI_Emoji(?:_[A-Za-z_]+)?)\}/;
  for (const bundle of ['main.bundle.js', 'main.bundle.cjs']) {
    const text = readFileSync(join(DIST, 'src', 'cli', bundle), 'utf8');
    assert.doesNotMatch(text, PROPERTY_OF_STRINGS, bundle);
    // the one string-width had is built from a string when first used, and still matches emoji
    const built = [...text.matchAll(/new RegExp\(("(?:[^"\\]|\\.)*"),\s*"v"\)/g)].map((m) => new RegExp(JSON.parse(m[1]!) as string, 'v'));
    assert.ok(built.some((re) => re.test('\u{1F600}') && re.test('\u{1F468}\u200D\u{1F469}\u200D\u{1F467}') && !re.test('a')), `${bundle}: ${built.join(' ')}`);
  }
});

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
