#!/usr/bin/env node
/**
 * The command line's entry. It runs the start-up path that scripts/bundle-cli.mjs bundles into one
 * file (main.js, the command definitions, `analyze --list`, yargs), compiled with the V8 code cache
 * the build made for it after a `--list` and a `--help` (docs/performance.md, "Start-up: code cache"):
 * what V8 would otherwise parse and compile on every start is deserialised instead.
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
// not `import … from 'node:fs'`: an ES module import of a built-in evaluates every export, and
// node:fs's lazy ones load the streams and fs/promises (process.getBuiltinModule: Node ≥ 20.16)
const builtin = async (name) => process.getBuiltinModule?.(name) ?? (await import(name));
const { readFileSync } = await builtin('node:fs');
const { createRequire } = await builtin('node:module');
const { dirname } = await builtin('node:path');
const { fileURLToPath } = await builtin('node:url');
const { Script } = await builtin('node:vm');

const BUNDLE_URL = new URL('../dist/src/cli/main.bundle.cjs', import.meta.url);
const ESM_BUNDLE_URL = new URL('../dist/src/cli/main.bundle.js', import.meta.url);
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
export function loadBundle({ useCache = true } = {}) {
  const file = fileURLToPath(BUNDLE_URL);
  const source = readFileSync(file, 'latin1'); // esbuild writes ASCII
  const id = buildId(source);
  const cachedData = useCache ? codeCache(file.replace(/\.cjs$/, '.cache'), id) : undefined;
  // the file is `(function (exports, require, module, __filename, __dirname, __import) {…})`, wrapped by the build
  const script = new Script(source, { filename: file, cachedData });
  if (cachedData && script.cachedDataRejected) debug('code cache rejected by V8 (another Node version, V8 flags or a damaged file)');
  const module = { exports: {} };
  // relative to the bundle; a package resolves the same from here (one package folder)
  const importFromBundle = (specifier) => import(specifier.startsWith('.') ? new URL(specifier, BUNDLE_URL).href : specifier);
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), importFromBundle);
  return { main: module.exports.main, script, id };
}

// scripts/bundle-cli.mjs imports this file to make the cache: it runs main itself
if (!globalThis[Symbol.for('contxray.bin.load-only')]) {
  if (process.features.require_module) loadBundle().main(process.argv.slice(2));
  else {
    debug('no require(esm) in this Node: the ES module bundle, without code cache');
    (await import(ESM_BUNDLE_URL.href)).main(process.argv.slice(2));
  }
}
