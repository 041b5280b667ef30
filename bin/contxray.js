#!/usr/bin/env node
/**
 * The command line's entry. It runs the start-up path that scripts/bundle-cli.mjs bundles into one
 * file (main.js, the command definitions, `analyze --list`, yargs), compiled with the V8 code cache
 * the build made for it after a `--list` and a `--help` (docs/performance.md, "Start-up: code cache"):
 * what V8 would otherwise parse and compile on every start is deserialised instead.
 *
 * This file is CommonJS (bin/package.json says so; the package is "type": "module"): an ES module
 * entry makes Node set up its ES module loader before the first line runs, ~17 M instructions, a
 * fifth of `node -e 0` (docs/performance.md, "Start-up: a CommonJS entry"). `--help` and
 * `analyze --list` never start that loader now: the bundle requires the project's ES modules it
 * shares with the commands (the error classes) only when it first reads one of their exports.
 *
 * The cache is part of the build, next to the bundle, never written at run time: V8 checks only its
 * version, flags, the source's length and the payload's length (no checksum in release builds), so
 * the file is trusted like code. It is used only with the build it was made for (the build id that
 * ends the bundle opens the cache file); a missing, stale or rejected cache means a normal compile.
 * CONTXRAY_DEBUG=1 says so on stderr.
 *
 * The bundle is CommonJS (node:vm caches scripts, not ES modules) and requires the few modules it
 * shares with the commands (the error classes): that needs require(esm), Node ≥ 20.19. Without it,
 * the same start-up path bundled as an ES module is imported instead, without a cache.
 */
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const CLI_DIR = join(__dirname, '..', 'dist', 'src', 'cli');
const BUNDLE = join(CLI_DIR, 'main.bundle.cjs');
const ESM_BUNDLE = join(CLI_DIR, 'main.bundle.js');
const BUILD_ID = '\n//# contxray-build ';
const ID_LENGTH = 64;

const debug = (message) => {
  if (process.env.CONTXRAY_DEBUG === '1') process.stderr.write(`contxray: ${message}\n`);
};

/** The build id that ends the bundle (a hash of the rest, written by scripts/bundle-cli.mjs). */
function buildId(source) {
  const at = source.lastIndexOf(BUILD_ID);
  return at < 0 ? undefined : source.slice(at + BUILD_ID.length, at + BUILD_ID.length + ID_LENGTH);
}

/** The V8 data of the cache file when it opens with this build's id. */
function codeCache(file, id) {
  let data;
  try {
    data = readFileSync(file);
  } catch {
    return debug('code cache missing'), undefined;
  }
  if (id === undefined || data.toString('latin1', 0, ID_LENGTH) !== id) return debug('code cache of another build, not used'), undefined;
  return data.subarray(ID_LENGTH);
}

/**
 * Compiles and runs the CommonJS bundle; returns its main() and the vm.Script (scripts/bundle-cli.mjs
 * makes the cache from it). `import()` in the bundle goes through `__import`: a vm.Script cannot
 * import() on Node 20 without a flag.
 */
function loadBundle({ useCache = true } = {}) {
  const source = readFileSync(BUNDLE, 'latin1'); // esbuild writes ASCII
  const id = buildId(source);
  const cachedData = useCache ? codeCache(BUNDLE.replace(/\.cjs$/, '.cache'), id) : undefined;
  // the file is `(function (exports, require, module, __filename, __dirname, __import) {…})`, wrapped by the build
  const script = new Script(source, { filename: BUNDLE, cachedData });
  if (cachedData && script.cachedDataRejected) debug('code cache rejected by V8 (another Node version, V8 flags or a damaged file)');
  const module = { exports: {} };
  // relative to the bundle; a package resolves the same from here (one package folder)
  const importFromBundle = (specifier) => import(specifier.startsWith('.') ? pathToFileURL(join(CLI_DIR, specifier)).href : specifier);
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, CLI_DIR, importFromBundle);
  return { main: module.exports.main, script, id };
}

module.exports = { loadBundle };

// scripts/bundle-cli.mjs requires this file to make the cache: it runs main itself
if (require.main === module) {
  if (process.features.require_module) loadBundle().main(process.argv.slice(2));
  else {
    debug('no require(esm) in this Node: the ES module bundle, without code cache');
    import(pathToFileURL(ESM_BUNDLE).href).then((bundle) => bundle.main(process.argv.slice(2)));
  }
}
