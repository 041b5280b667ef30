/**
 * A CommonJS bundle compiled with the V8 code cache the build made for it: what V8 would parse and
 * compile on every run is deserialised instead. Used for DuckDB's JavaScript
 * (scripts/bundle-duckdb.mjs) and the capture load (scripts/bundle-load.mjs); bin/contxray.js does
 * the same for the start-up bundle, before any module of dist/src can be loaded.
 *
 * A bundle is `(function (exports, require, module, __filename, __dirname) {…})` followed by
 * `//# contxray-build <sha256 of the rest>`; its cache, next to it with `.cache` for `.cjs`, opens
 * with that id. The cache is part of the build, never written at run time: V8 checks only its
 * version, flags, the source's length and the payload's length (no checksum in release builds), so
 * the file is trusted like code and only used with the bundle it was made for. A missing, stale or
 * rejected cache means a plain compile; a missing or id-less bundle, null (the caller loads the
 * modules the bundle was made from). CONTXRAY_DEBUG=1 says which.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

const BUILD_ID = '\n//# contxray-build ';
const ID_LENGTH = 64;

export interface CachedScript<T> {
  exports: T;
  /** The compiled bundle (the build makes the cache from it after a representative run). */
  script: Script;
  /** The build id that ends the bundle. */
  id: string;
  /** Whether V8 took the code cache. */
  cached: boolean;
}

export const debug = (message: string) => {
  if (process.env.CONTXRAY_DEBUG === '1') process.stderr.write(`contxray: ${message}\n`);
};

/** The code cache file of a bundle. */
export const cacheFileOf = (file: string) => file.replace(/\.cjs$/, '.cache');

/**
 * Compiles and runs the bundle `file` (`what` names it in debug lines); null without a readable
 * bundle with a build id. Its require() resolves from `requireFrom` (a file path): where the modules
 * it was made from would have resolved their imports, so a copy of the bundle loads the same.
 */
export function loadCachedScript<T>(file: string, what: string, opts: { requireFrom?: string; useCache?: boolean } = {}): CachedScript<T> | null {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    debug(`no ${what} bundle: loading its modules`);
    return null;
  }
  const at = source.lastIndexOf(BUILD_ID);
  if (at < 0) {
    debug(`${what} bundle without a build id: loading its modules`);
    return null;
  }
  const id = source.slice(at + BUILD_ID.length, at + BUILD_ID.length + ID_LENGTH);
  const cachedData = opts.useCache === false ? undefined : codeCache(cacheFileOf(file), id, what);
  const script = new Script(source, { filename: file, cachedData });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  if (cachedData && !cached) debug(`${what} code cache rejected by V8 (another Node version, V8 flags or a damaged file)`);
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(opts.requireFrom ?? file), module, file, dirname(file));
  return { exports: module.exports, script, id, cached };
}

/** The V8 data of the cache file when it opens with the bundle's build id. */
function codeCache(file: string, id: string, what: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    debug(`${what} code cache missing`);
    return undefined;
  }
  if (data.toString('latin1', 0, ID_LENGTH) !== id) {
    debug(`${what} code cache of another build, not used`);
    return undefined;
  }
  return data.subarray(ID_LENGTH);
}

/** What the build writes for a bundle: `text` wrapped, then its build id (SHA-256 hex of `text`). */
export function wrapBundle(text: string): string {
  const id = createHash('sha256').update(text).digest('hex');
  return `(function (exports, require, module, __filename, __dirname) {${text}\n})${BUILD_ID}${id}\n`;
}

/** What the build writes as a bundle's code cache, after a representative run of `loaded`: its build id, then V8's data. */
export function codeCacheOf(loaded: Pick<CachedScript<unknown>, 'id' | 'script'>): Buffer {
  return Buffer.concat([Buffer.from(loaded.id, 'latin1'), loaded.script.createCachedData()]);
}
