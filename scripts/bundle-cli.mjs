#!/usr/bin/env node
/**
 * Bundles the command line's start-up path into one file, which bin/contxray.js loads (issue 12:
 * `contxray --help` close to bare `node -e 0`). Run by `npm run build` and `build:package` after
 * tsc, on tsc's output. Three outputs in dist/src/cli/:
 *  - main.bundle.cjs: the bundle as CommonJS, which bin/contxray.js compiles with node:vm …
 *  - main.bundle.cache: … and V8's code cache for it, made here after a representative run
 *    (makeCodeCache): parsing and compiling the bundle was most of what start-up cost;
 *  - main.bundle.js: the same bundle as an ES module, for a Node without require(esm) (< 20.19).
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
 * Adjustments that keep the output identical to the unbundled CLI:
 *  - yargs finds its locales/ and the package.json it takes --version from relative to its own
 *    file (import.meta.url); in the bundle that file is resolved from the real yargs package.
 *  - yargs' help layout measures every cell with string-width (two versions, for yargs and cliui),
 *    which builds an Intl.Segmenter when it is evaluated (~30 ms each). Printable ASCII, and the
 *    three other characters of contxray's help text, are one column each: those strings take a
 *    fast path, and anything else goes to the real string-width, loaded on first use.
 *  - a regular-expression literal that V8 checks at great cost whenever it parses the bundle is
 *    built from a string on first use instead (lazyUnicodeRegexps, scripts/lazy-unicode-regexps.mjs);
 *  - yargs' shim loads node:assert only when an invariant check fails (LAZY_ASSERT), yargs parses
 *    each argument signature once (argsertOnceParsed), wrap-ansi returns a line without escapes as
 *    it is (wrapAnsiFastPath);
 *  - the CommonJS bundle requires the shared project modules (ES modules: require(esm) would start
 *    Node's ES module loader) when one of their exports is first read (sharedModulesOnFirstUse).
 * And one that drops work whose result contxray never reads: the help text yargs lays out after
 * every command's handler starts (noHelpCache).
 *
 * The build's inputs (the same for both bundles) are written to dist/main.bundle.meta.json (not
 * packed), which test/unit/cli-bundle.test.ts reads to check that nothing heavy was bundled. BUNDLE_MINIFY=0 leaves
 * the bundle readable (for node --cpu-prof).
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLoad, fromBundle } from './bundle-load.mjs';
import { lazyUnicodeRegexps } from './lazy-unicode-regexps.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
export const ENTRY = join(SRC, 'cli', 'main.js');
const BIN = join(ROOT, 'bin', 'contxray.js');
export const OUTFILE = join(SRC, 'cli', 'main.bundle.js');
export const CJS_OUTFILE = join(SRC, 'cli', 'main.bundle.cjs');
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
 * (import.meta.url, which in the bundle is the bundle's): use the real package's file instead. It
 * is where require.resolve('yargs/package.json') would find it — the first node_modules/yargs up
 * from the bundle, real path — looked up directly: the resolver, first used here, cost ~9 M
 * instructions (~5 % of --help) to answer that. Anything unusual (no such folder up the tree:
 * NODE_PATH, a global folder) is left to require.resolve.
 */
const YARGS_DIR = `(() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    const yargs = join(dir, 'node_modules', 'yargs');
    if (!dir.endsWith(sep + 'node_modules') && existsSync(join(yargs, 'package.json'))) return realpathSync(yargs);
    if (dirname(dir) === dir) return dirname(createRequire(import.meta.url).resolve('yargs/package.json'));
    dir = dirname(dir);
  }
})()`;

/**
 * yargs checks two invariants with node:assert on every run. Loading node:assert loads its error
 * class, which loads the terminal colour support, which opens process.stderr (a stream, and for a
 * pipe the net module): ~8 M instructions, ~10 % of `node -e 0`, for checks that pass. The same
 * checks (assert's strictEqual is Object.is) load node:assert only to throw its own error.
 */
const LAZY_ASSERT = [
  "import { createRequire as lazyAssertRequire } from 'node:module';",
  "const lazyAssert = () => lazyAssertRequire(import.meta.url)('node:assert');",
  'const strictEqual = (actual, expected, message) => Object.is(actual, expected) || lazyAssert().strictEqual(actual, expected, message);',
  'const notStrictEqual = (actual, expected, message) => !Object.is(actual, expected) || lazyAssert().notStrictEqual(actual, expected, message);',
].join('\n');

const yargsShim = {
  name: 'yargs-shim',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const edits = [
        {
          from: 'const __dirname = fileURLToPath(import.meta.url);',
          to: [
            "import { existsSync, realpathSync } from 'node:fs';",
            "import { sep } from 'node:path';",
            `const __dirname = join(${YARGS_DIR}, 'lib', 'platform-shims', 'esm.mjs');`,
          ].join('\n'),
        },
        { from: "import { notStrictEqual, strictEqual } from 'assert'", to: LAZY_ASSERT },
      ];
      let contents = source;
      for (const { from, to } of edits) {
        if (contents.split(from).length !== 2) throw new Error(`${args.path}: expected "${from}" once (yargs changed: check the bundle)`);
        contents = contents.replace(from, () => to);
      }
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * After a command's handler starts, yargs lays out that command's whole help text and keeps it
 * (usage.cacheHelpMessage), to print should the command fail later — through yargs' own failure
 * output. contxray replaces that output (`.fail()` in src/cli/main.ts throws; main prints one line)
 * and never asks yargs for help after a handler ran (no showHelp/getHelp), so the text is never
 * read: ~16 M instructions (~3 ms) on every command, `analyze --list` included. Checked against the
 * source like the shim edit above.
 */
const noHelpCache = {
  name: 'no-help-cache',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = 'yargs.getInternalMethods().getUsageInstance().cacheHelpMessage();';
      if (source.split(from).length !== 2) throw new Error(`${args.path}: expected "${from}" once (yargs changed: check the bundle)`);
      return { contents: source.replace(from, () => '/* contxray: help text not cached (scripts/bundle-cli.mjs) */'), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * wrap-ansi (cliui lays out every help cell with it) copies each wrapped line again one character
 * at a time, to carry ANSI colour codes and hyperlinks across the line breaks it made: a string
 * concatenation, a Set and a Map look-up per character of the help text, the costliest JavaScript
 * of `--help` (~4 ms of ~30 in a profile). Without an escape character (the two that loop looks
 * for) the copy is the text itself: return that.
 */
const wrapAnsiFastPath = {
  name: 'wrap-ansi-fast-path',
  setup(b) {
    b.onLoad({ filter: /[\\/]wrap-ansi[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = "\tconst preString = rows.join('\\n');\n";
      if (source.split(from).length !== 2 || !source.includes("const ESCAPES = new Set([\n\t'\\u001B',\n\t'\\u009B',\n]);")) {
        throw new Error(`${args.path}: expected "${from.trim()}" once and ESCAPES of \\u001B, \\u009B (wrap-ansi changed: check the bundle)`);
      }
      const to = `${from}\t/* contxray: no escape, nothing to carry over (scripts/bundle-cli.mjs) */\n\tif (!preString.includes('\\u001B') && !preString.includes('\\u009B')) return preString;\n`;
      return { contents: source.replace(from, () => to), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * yargs checks the arguments of each of its own API calls (every .option(), .positional(),
 * .describe() … of the command definitions) against a signature string such as
 * "[boolean|string] [string] [string]", which it parses with its command parser every time: the
 * most frequent work of setting up `analyze`'s options. The parse of a signature is read, never
 * changed, so each signature is parsed once.
 */
const argsertOnceParsed = {
  name: 'argsert-once-parsed',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]argsert\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = 'parseCommand(`cmd ${arg1}`),';
      if (source.split(from).length !== 2) throw new Error(`${args.path}: expected "${from}" once (yargs changed: check the bundle)`);
      const to = '(parsedSignatures.get(arg1) ?? parsedSignatures.set(arg1, parseCommand(`cmd ${arg1}`)).get(arg1)),';
      // declared first: ES module imports are hoisted above it anyway
      const contents = `/* contxray: each signature parsed once (scripts/bundle-cli.mjs) */\nconst parsedSignatures = new Map();\n${source.replace(from, () => to)}`;
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
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

// string-width's \p{…} regexp literals are built from strings when first used (lazyUnicodeRegexps:
// V8 validates every literal at parse, and \p{RGI_Emoji} alone costs ~180 M instructions).
const COMMON = {
  entryPoints: [ENTRY],
  bundle: true,
  platform: 'node',
  minify: process.env.BUNDLE_MINIFY !== '0',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [projectModules, yargsShim, noHelpCache, argsertOnceParsed, wrapAnsiFastPath, asciiStringWidth, lazyUnicodeRegexps()],
};

export async function bundleCli({ outfile = OUTFILE, cjsOutfile = CJS_OUTFILE, metafile = METAFILE } = {}) {
  const esm = await build({ ...COMMON, outfile, format: 'esm' });
  writeFileSync(metafile, JSON.stringify(esm.metafile, null, 1));
  const cjs = await build({
    ...COMMON,
    outfile: cjsOutfile,
    format: 'cjs',
    write: false,
    // import.meta of the file bin/contxray.js compiles
    banner: { js: 'var __bundle_url=require("node:url").pathToFileURL(__filename).href,__bundle_resolve=(s)=>require("node:url").pathToFileURL(require.resolve(s)).href;' },
    define: { 'import.meta.url': '__bundle_url', 'import.meta.resolve': '__bundle_resolve' },
  });
  // the metafile written above (test/unit/cli-bundle.test.ts reads it) describes both bundles
  const inputs = (r) => Object.keys(r.metafile.inputs).sort().join('\n');
  if (inputs(cjs) !== inputs(esm)) throw new Error('the CommonJS and ES module bundles hold different modules');
  const text = sharedModulesOnFirstUse(dynamicImportsThroughBin(cjs));
  const id = createHash('sha256').update(text).digest('hex');
  // wrapped here rather than by bin/contxray.js: a string that size, copied at run time, costs a young-generation GC's worth
  // strict, like the ES modules it is built from (esbuild's own "use strict" follows the banner: no directive there)
  writeFileSync(cjsOutfile, `(function (exports, require, module, __filename, __dirname, __import) {"use strict";${text}\n})\n//# contxray-build ${id}\n`);
  rmSync(cacheFile(cjsOutfile), { force: true });
  makeCodeCache(cjsOutfile);
  return esm.metafile;
}

export const cacheFile = (cjsOutfile) => cjsOutfile.replace(/\.cjs$/, '.cache');

/**
 * The V8 code cache of the CommonJS bundle, made in a child node with no V8 flags (the cache holds
 * a hash of them; NODE_OPTIONS cleared) after a representative run — `analyze --list`, then `--help`
 * — so that it holds the functions those compile lazily too, not only the top level. bin/contxray.js
 * compiles the bundle the same way (its loadBundle), and reads the file only when it opens with the
 * build id that ends the bundle.
 */
function makeCodeCache(cjsOutfile) {
  // CommonJS, like bin/contxray.js: the bin runs main only as the main module
  const child = [
    "const { writeFileSync } = require('node:fs');",
    `const { loadBundle } = require(${JSON.stringify(BIN)});`,
    'const { main, script, id } = loadBundle({ useCache: false });',
    `process.on('exit', () => writeFileSync(${JSON.stringify(cacheFile(cjsOutfile))}, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()])));`,
    "main(['analyze', '--list']).then(() => main(['--help']));",
  ].join('\n');
  const env = { ...process.env, NODE_OPTIONS: '' };
  const r = spawnSync(process.execPath, ['-e', child], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`code cache: the representative run failed (${r.status}): ${r.stderr}`);
}

/**
 * A script compiled by node:vm cannot import() without a flag on Node 20 (or an experimental
 * constant that prints a warning): each import() of a command's run module calls the function
 * bin/contxray.js passes in as `__import`, which imports relative to the bundle.
 */
function dynamicImportsThroughBin(result) {
  const [output] = Object.values(result.metafile.outputs);
  let text = result.outputFiles[0].text;
  for (const { path } of output.imports.filter((i) => i.kind === 'dynamic-import')) {
    const call = `import(${JSON.stringify(path)})`;
    if (!text.includes(call)) throw new Error(`${CJS_OUTFILE}: expected ${call}`);
    text = text.replaceAll(call, () => `__import(${JSON.stringify(path)})`);
  }
  if (/\bimport\(/.test(text.replaceAll('__import(', ''))) throw new Error(`${CJS_OUTFILE}: an import() left that bin/contxray.js would not serve`);
  return text;
}

/**
 * The project modules the bundle shares with the commands (the error classes, see INLINE) are ES
 * modules: requiring one starts Node's ES module loader (require(esm)), ~16 M instructions, a fifth
 * of `node -e 0`. The bundle needs them only to report an error (`.fail()`'s CliError, main's
 * exit codes, a QueryError for an unknown query): each `require` of one returns an object that
 * requires the module when one of its exports is first read. esbuild reads an imported module's
 * bindings as properties of what `require` returned (`errors.CliError`), so a get is all it needs;
 * these modules are imported for their exports only, never for a side effect (projectModules).
 */
function sharedModulesOnFirstUse(text) {
  const requires = [...new Set([...text.matchAll(/\brequire\(("\.\.?\/[^"]*")\)/g)].map((m) => m[1]))];
  if (requires.length === 0) throw new Error(`${CJS_OUTFILE}: expected the shared project modules to be required (the error classes)`);
  for (const path of requires) {
    const call = `require(${path})`;
    const assigned = text.match(new RegExp(`=\\s*${call.replace(/[.()]/g, '\\$&')}`, 'g'))?.length ?? 0;
    if (assigned !== text.split(call).length - 1) throw new Error(`${CJS_OUTFILE}: ${call} not assigned to a variable (esbuild's output changed: check sharedModulesOnFirstUse)`);
    text = text.replaceAll(call, () => `__shared(${path})`);
  }
  return 'var __shared=(s)=>{let m;return new Proxy({},{get:(_,k)=>(m??=require(s))[k]})};' + text;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli();
  // the second bundle, of the capture load (analyze's run path, not start-up): scripts/bundle-load.mjs
  await bundleLoad();
}
