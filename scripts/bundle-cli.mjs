#!/usr/bin/env node
/**
 * Bundles the command line's start-up path into one file, dist/src/cli/main.bundle.js, which
 * bin/contxray.js loads (issue 12: `contxray --help` close to bare `node -e 0`). Run by `npm run
 * build` and `build:package` after tsc, on tsc's output.
 *
 * What goes in: src/cli/main.js, the command definitions (src/cli/commands/, options.js) and the
 * pure helpers they read constants from (INLINE below), plus yargs and its dependencies — ~70 ES
 * modules that Node would otherwise resolve, read and compile one by one.
 *
 * What stays out, loaded from dist/src as before:
 *  - every other dynamic import(): each command's `run` module and, through it, DuckDB, Arrow, vega,
 *    handlebars, prom-client, the addon … (the path is rewritten relative to the bundle). The one
 *    inlined `run` module is `analyze --list`'s, which reads the query headers only; esbuild
 *    evaluates it when the handler imports it;
 *  - every other project module, in particular the ones whose identity matters: the error classes
 *    (`instanceof` in main.js must see the classes the commands throw) and modules with state
 *    (src/util/outfile.js's signal handlers). A module is inlined only when listed in INLINE.
 *
 * Two adjustments keep the output identical to the unbundled CLI:
 *  - yargs finds its locales/ and the package.json it takes --version from relative to its own
 *    file (import.meta.url); in the bundle that file is resolved from the real yargs package.
 *  - yargs' help layout measures every cell with string-width (two versions, for yargs and cliui),
 *    which builds an Intl.Segmenter when it is evaluated (~30 ms each). Printable ASCII, and the
 *    three other characters of contxray's help text, are one column each: those strings take a
 *    fast path, and anything else goes to the real string-width, loaded on first use.
 *
 * The build's inputs are written to dist/main.bundle.meta.json (not packed), which
 * test/unit/cli-bundle.test.ts reads to check that nothing heavy was bundled. BUNDLE_MINIFY=0 leaves
 * the bundle readable (for node --cpu-prof).
 */
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLoad } from './bundle-load.mjs';
import { lazyUnicodeRegexps } from './lazy-unicode-regexps.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
export const ENTRY = join(SRC, 'cli', 'main.js');
export const OUTFILE = join(SRC, 'cli', 'main.bundle.js');
export const METAFILE = join(ROOT, 'dist', 'main.bundle.meta.json');

/** The project modules inlined into the bundle (paths under dist/src): definitions, stateless constants/helpers, `--list`. */
export const INLINE = [
  'cli/main.js',
  'cli/commands.js',
  'cli/options.js',
  /^cli\/commands\/[a-z-]+\.js$/,
  'util/format.js',
  'util/time.js',
  'util/visible.js',
  'syscalls/arch.js',
  'report/limits.js',
  'detect/options.js',
  'analyze/cache/dir.js',
  // `analyze --list`: the query headers only (no DuckDB); imported on use like a command's run module, but from the bundle
  'cli/analyze-list.js',
  'analyze/queries.js',
  'util/package-root.js',
];

const isInlined = (file) => {
  const rel = relative(SRC, file).split(sep).join('/');
  return INLINE.some((p) => (typeof p === 'string' ? p === rel : p.test(rel)));
};

/** An import of `file` from a bundle in `outDir`, as a relative specifier. */
const fromBundle = (outDir, file) => {
  const rel = relative(outDir, file).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

/** Project modules: inline the listed ones, keep every other one (and every dynamic import) external. */
const projectModules = {
  name: 'project-modules',
  setup(b) {
    const outDir = dirname(b.initialOptions.outfile);
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const file = resolve(args.resolveDir, args.path);
      if (!file.startsWith(SRC + sep)) return undefined; // a package's own relative import
      if (args.kind === 'dynamic-import' && !isInlined(file)) return { path: fromBundle(outDir, file), external: true };
      // imported for what they export, never for a side effect: an import whose bindings the bundle
      // tree-shook away is dropped (src/util/outfile.js, and node:crypto with it, for cache/dir.js's two constants)
      if (!isInlined(file)) return { path: fromBundle(outDir, file), external: true, sideEffects: false };
      return undefined;
    });
    // a dynamic import of a package from an inlined module would be bundled: keep it lazy
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'dynamic-import' && args.importer.startsWith(SRC + sep)) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * yargs' platform shim finds locales/ and the package.json of --version relative to its own file
 * (import.meta.url, which in the bundle is the bundle's): resolve that file from the real package.
 */
const yargsShim = {
  name: 'yargs-shim',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = 'const __dirname = fileURLToPath(import.meta.url);';
      const to = "const __dirname = join(dirname(createRequire(import.meta.url).resolve('yargs/package.json')), 'lib', 'platform-shims', 'esm.mjs');";
      if (!source.includes(from)) throw new Error(`${args.path}: expected "${from}" (yargs changed: check the bundle)`);
      return { contents: source.replace(from, to), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** string-width with a printable-ASCII fast path, delegating to the version each importer would get. */
const asciiStringWidth = {
  name: 'ascii-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await b.resolve('string-width', { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'ascii-width' };
    });
    b.onResolve({ filter: /.*/, namespace: 'ascii-width' }, (args) => ({ path: args.path }));
    b.onLoad({ filter: /.*/, namespace: 'ascii-width' }, (args) => ({
      resolveDir: dirname(args.path),
      loader: 'js',
      contents: [
        // required on first use: the real module builds an Intl.Segmenter (~30 ms) when it is evaluated
        'let realStringWidth;',
        // printable ASCII is one column per character whatever the options; so are these three (East Asian
        // "ambiguous": narrow unless ambiguousIsNarrow is false), the non-ASCII characters of contxray's help text
        'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
        'const NARROW_UNLESS_AMBIGUOUS_WIDE = /^[\\x20-\\x7e\\u2014\\u2026\\u2192]*$/;',
        'export default function stringWidth(string, options) {',
        "  if (typeof string === 'string') {",
        '    if (PRINTABLE_ASCII.test(string)) return string.length;',
        '    if (options?.ambiguousIsNarrow !== false && NARROW_UNLESS_AMBIGUOUS_WIDE.test(string)) return string.length;',
        '  }',
        `  realStringWidth ??= require(${JSON.stringify(args.path)}).default;`,
        '  return realStringWidth(string, options);',
        '}',
      ].join('\n'),
    }));
  },
};

export async function bundleCli({ outfile = OUTFILE, metafile = METAFILE } = {}) {
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: process.env.BUNDLE_MINIFY !== '0',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // lazyUnicodeRegexps: string-width's \p{…} regexps built when it initialises, not validated at parse (~180 M instructions)
    plugins: [projectModules, yargsShim, asciiStringWidth, lazyUnicodeRegexps()],
  });
  writeFileSync(metafile, JSON.stringify(result.metafile, null, 1));
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli();
  // the second bundle, of the capture load (analyze's run path, not start-up): scripts/bundle-load.mjs
  await bundleLoad();
}
