/**
 * DuckDB's two packages, loaded once for all of contxray. Every module that needs one of their
 * values takes it from here; types still come from the packages (`import type`, erased at build).
 *
 * @duckdb/node-api's JavaScript (~40 CommonJS modules) is loaded from the bundle the build makes
 * of it (scripts/bundle-duckdb.mjs), compiled with the V8 code cache made at build time: one
 * script, deserialised instead of forty files resolved, read and compiled on every command that
 * opens DuckDB (docs/performance.md, "Small captures: DuckDB's JavaScript bundled"). The cache is
 * part of the build, never written at run time, and only used with the bundle whose build id opens
 * it; a missing, stale or rejected cache means a plain compile, a missing or unreadable bundle the
 * package itself (`CONTXRAY_DEBUG=1` says which).
 *
 * Never `import`: both packages are CommonJS, and for an ES import of CommonJS Node first runs its
 * export lexer over every module the package re-exports (~90 ms for node-api's index).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type * as NodeApi from '@duckdb/node-api';
import type * as NodeBindings from '@duckdb/node-bindings';

const require = createRequire(import.meta.url);

/** dist/src/analyze/duckdb-api.bundle.cjs, next to this module; its code cache ends in .cache. */
export const API_BUNDLE = fileURLToPath(new URL('./duckdb-api.bundle.cjs', import.meta.url));

const BUILD_ID = '\n//# contxray-build ';
const ID_LENGTH = 64;

export interface ApiBundle {
  api: typeof NodeApi;
  /** The compiled bundle (scripts/bundle-duckdb.mjs makes the cache from it). */
  script: Script;
  /** The build id that ends the bundle (a hash of the rest). */
  id: string;
  /** Whether V8 took the code cache. */
  cached: boolean;
}

const debug = (message: string) => {
  if (process.env.CONTXRAY_DEBUG === '1') process.stderr.write(`contxray: ${message}\n`);
};

/**
 * Compiles and runs a bundle of @duckdb/node-api (`file`, with its code cache unless `useCache` is
 * false); null when there is no readable bundle. Its require() resolves from this module's folder,
 * where the package would have resolved @duckdb/node-bindings.
 */
export function loadApiBundle(file = API_BUNDLE, useCache = true): ApiBundle | null {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    debug('no DuckDB bundle: requiring @duckdb/node-api');
    return null;
  }
  const at = source.lastIndexOf(BUILD_ID);
  if (at < 0) {
    debug('DuckDB bundle without a build id: requiring @duckdb/node-api');
    return null;
  }
  const id = source.slice(at + BUILD_ID.length, at + BUILD_ID.length + ID_LENGTH);
  const cachedData = useCache ? codeCache(file.replace(/\.cjs$/, '.cache'), id) : undefined;
  const script = new Script(source, { filename: file, cachedData });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  if (cachedData && !cached) debug('DuckDB code cache rejected by V8 (another Node version, V8 flags or a damaged file)');
  const module = { exports: {} as typeof NodeApi };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dirname(file));
  return { api: module.exports, script, id, cached };
}

/** The V8 data of the cache file when it opens with the bundle's build id. */
function codeCache(file: string, id: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    debug('DuckDB code cache missing');
    return undefined;
  }
  if (data.toString('latin1', 0, ID_LENGTH) !== id) {
    debug('DuckDB code cache of another build, not used');
    return undefined;
  }
  return data.subarray(ID_LENGTH);
}

/** The bundle this process runs DuckDB's JavaScript from, or null (the package itself). */
export const apiBundle = loadApiBundle();

/** @duckdb/node-api: the friendly API (instances, connections, appenders, types, values). */
export const api: typeof NodeApi = apiBundle?.api ?? (require('@duckdb/node-api') as typeof NodeApi);

/** @duckdb/node-bindings: the C API's functions, for copying whole vectors into data chunks. */
export const bindings = require('@duckdb/node-bindings') as typeof NodeBindings;
