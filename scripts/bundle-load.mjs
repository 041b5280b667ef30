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
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
export const LOAD_ENTRY = join(SRC, 'analyze', 'load.js');
export const LOAD_OUTFILE = join(SRC, 'analyze', 'load.bundle.js');
export const LOAD_METAFILE = join(ROOT, 'dist', 'load.bundle.meta.json');

/** The project modules inlined (paths under dist/src): the load and the reader, none that db.js imports itself. */
export const LOAD_INLINE = [
  'analyze/load.js',
  'analyze/load-feed.js',
  'analyze/load-part.js',
  'analyze/load-pipeline.js',
  'capture/reader.js',
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

export async function bundleLoad({ outfile = LOAD_OUTFILE, metafile = LOAD_METAFILE } = {}) {
  const result = await build({
    entryPoints: [LOAD_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Arrow's package.json has no "module" field for Node: its "exports" give Arrow.node.mjs, as for Node itself
    minify: process.env.BUNDLE_MINIFY !== '0',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [loadModules],
  });
  writeFileSync(metafile, JSON.stringify(result.metafile, null, 1));
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleLoad();
