#!/usr/bin/env node
/**
 * Bundles the capture load, dist/src/analyze/load.js with the Arrow IPC reader it runs on, into one
 * file, dist/src/analyze/load.bundle.js, which src/analyze/db.ts imports when it loads captures
 * (issue 12 item 2: a small `analyze` close to its DuckDB floor). Run by scripts/bundle-cli.mjs
 * (`npm run build`, `build:package`) after tsc, on tsc's output.
 *
 * Why: the reader imports apache-arrow's package index, 146 ES modules (and tslib, flatbuffers)
 * that Node resolves, reads and compiles one by one, ~0.1 s of a small capture's command. The
 * bundle holds the part of Arrow the reader uses (esbuild tree-shakes the rest) in one module.
 *
 * What goes in: the load modules listed in INLINE (the reader, its zstd codec and decode budget,
 * the flatbuffers hardening, the load driver) and the packages apache-arrow, flatbuffers, tslib.
 * Arrow's compression registry (where zstd.js puts its codec) and the flatbuffers ByteBuffer that
 * harden.js patches are the bundle's own copies, the ones its reader uses: one copy of each inside.
 *
 * What stays out, loaded from dist/src as before:
 *  - every other project module, in particular the error classes (src/util/errors.js: the CLI maps
 *    them to exit codes with `instanceof`) and the modules db.js already imports (append.js,
 *    load-decode.js, schema.js …): one copy each, shared with the rest of the program;
 *  - the worker of the pipelined load, which load-pipeline.js starts by URL relative to its own
 *    file (`new URL('./load-worker.js', import.meta.url)`): the bundle sits next to it;
 *  - every other package (DuckDB's bindings, zstd-napi and its wasm fallback: native or lazy).
 *
 * Inputs are written to dist/load.bundle.meta.json (test/unit/load-bundle.test.ts reads it).
 * BUNDLE_MINIFY=0 leaves the bundle readable (for node --cpu-prof).
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
export const LOAD_ENTRY = join(SRC, 'analyze', 'load.js');
export const LOAD_OUTFILE = join(SRC, 'analyze', 'load.bundle.js');
export const LOAD_CJS_OUTFILE = join(SRC, 'analyze', 'load.bundle.cjs');
export const LOAD_METAFILE = join(ROOT, 'dist', 'load.bundle.meta.json');

/** The project modules inlined (paths under dist/src): the load and the reader, none that db.js imports itself. */
export const LOAD_INLINE = [
  'analyze/load.js',
  'analyze/load-feed.js',
  'analyze/load-part.js',
  'analyze/load-pipeline.js',
  'analyze/load-shim.js',
  'analyze/parquet-shim.js',
  'capture/reader.js',
  'capture/defer.js',
  'capture/arrow-types.js',
  'capture/zstd.js',
  'capture/budget.js',
  'capture/harden.js',
];

/** The packages inlined: Arrow and what it imports. */
export const LOAD_PACKAGES = ['apache-arrow', 'flatbuffers', 'tslib'];

const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** An import of `file` from a bundle in `outDir`, as a relative specifier (bundle-cli.mjs too). */
export const fromBundle = (outDir, file) => {
  const rel = relative(outDir, file).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

const loadModules = {
  name: 'load-modules',
  setup(b) {
    const outDir = dirname(b.initialOptions.outfile);
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const file = resolve(args.resolveDir, args.path);
      if (!file.startsWith(SRC + sep)) return undefined; // a package's own relative import
      if (LOAD_INLINE.includes(relative(SRC, file).split(sep).join('/'))) return undefined;
      return { path: fromBundle(outDir, file), external: true };
    });
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || LOAD_PACKAGES.includes(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const COMMON = {
  entryPoints: [LOAD_ENTRY],
  bundle: true,
  platform: 'node',
  // Arrow's package.json has no "module" field for Node: its "exports" give Arrow.node.mjs, as for Node itself
  minify: process.env.BUNDLE_MINIFY !== '0',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [loadModules],
};

/**
 * Two bundles of the same modules: load.bundle.js (ES module) and load.bundle.cjs (CommonJS, with
 * the V8 code cache made after a representative load: src/util/cached-script.ts), which db.ts
 * prefers when Node has require(esm).
 */
export async function bundleLoad({ outfile = LOAD_OUTFILE, cjsOutfile = LOAD_CJS_OUTFILE, metafile = LOAD_METAFILE } = {}) {
  const result = await build({ ...COMMON, outfile, format: 'esm' });
  writeFileSync(metafile, JSON.stringify(result.metafile, null, 1));
  const cjs = await build({
    ...COMMON,
    outfile: cjsOutfile,
    format: 'cjs',
    write: false,
    // import.meta of the bundle's own file (load-pipeline finds load-worker.js next to it)
    banner: { js: 'var __bundle_url=require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__bundle_url' },
  });
  const inputs = (r) => Object.keys(r.metafile.inputs).sort().join('\n');
  if (inputs(cjs) !== inputs(result)) throw new Error('the CommonJS and ES module load bundles hold different modules');
  const text = cjs.outputFiles[0].text;
  const { wrapBundle, cacheFileOf } = await import(pathToFileURL(join(SRC, 'util', 'cached-script.js')).href);
  writeFileSync(cjsOutfile, wrapBundle(text));
  rmSync(cacheFileOf(cjsOutfile), { force: true });
  if (cjsOutfile === LOAD_CJS_OUTFILE) makeLoadCache(cacheFileOf(cjsOutfile));
  return result.metafile;
}

/**
 * The load bundle's code cache, made in a child node with no V8 flags after a representative load:
 * a capture holding 64 rows of every kind (every column of its kind set, from the schema), opened
 * and queried through db.js, so that the cache holds the reader's and decoder's functions too.
 */
function makeLoadCache(cacheFile) {
  const url = (rel) => JSON.stringify(pathToFileURL(join(SRC, rel)).href);
  const child = [
    "import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';",
    "import { tmpdir } from 'node:os';",
    "import { join } from 'node:path';",
    `const { CaptureWriter } = await import(${url('capture/writer.js')});`,
    `const { columnsOf, KINDS } = await import(${url('capture/schema.js')});`,
    `const { openAnalysis, loadBundleScript } = await import(${url('analyze/db.js')});`,
    `const { codeCacheOf } = await import(${url('util/cached-script.js')});`,
    "const value = { u8: 1, u16: 1, u32: 1, i32: 1, u64: 1n, i64: 1n, bool: false, timestamp: 1n, dict: 'x', utf8: 'x', utf8_list: ['x'], addr: '10.0.0.1' };",
    "const dir = mkdtempSync(join(tmpdir(), 'contxray-build-'));",
    'try {',
    "  const file = join(dir, 'representative.arrow');",
    "  const w = await CaptureWriter.create(file, { host: { hostname: 'build', kernel: 'build', arch: 'x86_64' }, syscalls: { arch: 'x86_64', names: { 0: 'read' } }, options: {}, recorder: { version: 'build', started_at_ns: '1' } });",
    '  for (const kind of KINDS) w.writeBatch(kind, 64, Object.fromEntries(columnsOf(kind).map((c) => [c.name, Array(64).fill(value[c.type])])));',
    '  w.close();',
    '  const a = await openAnalysis([file]);',
    "  await a.named('top-syscalls');",
    '  a.close();',
    '  const b = loadBundleScript();',
    "  if (!b) throw new Error('the CommonJS load bundle was not used');",
    `  writeFileSync(${JSON.stringify(cacheFile)}, codeCacheOf(b));`,
    '} finally {',
    '  rmSync(dir, { recursive: true, force: true });',
    '}',
  ].join('\n');
  const env = { ...process.env, NODE_OPTIONS: '', CONTXRAY_LOAD_THREADS: '' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load code cache: the representative run failed (${r.status}): ${r.stderr}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleLoad();
