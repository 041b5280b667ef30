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
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as NodeApi from '@duckdb/node-api';
import type * as NodeBindings from '@duckdb/node-bindings';
import { loadCachedScript, type CachedScript } from '../util/cached-script.js';

const require = createRequire(import.meta.url);

/** dist/src/analyze/duckdb-api.bundle.cjs, next to this module; its code cache ends in .cache. */
export const API_BUNDLE = fileURLToPath(new URL('./duckdb-api.bundle.cjs', import.meta.url));

/**
 * Compiles and runs a bundle of @duckdb/node-api (`file`, with its code cache unless `useCache` is
 * false); null when there is no readable bundle. Its require() resolves from this module's folder,
 * where the package would have resolved @duckdb/node-bindings.
 */
export function loadApiBundle(file = API_BUNDLE, useCache = true): CachedScript<typeof NodeApi> | null {
  return loadCachedScript<typeof NodeApi>(file, 'DuckDB', { requireFrom: fileURLToPath(import.meta.url), useCache });
}

/** The bundle this process runs DuckDB's JavaScript from, or null (the package itself). */
export const apiBundle = loadApiBundle();

/** @duckdb/node-api: the friendly API (instances, connections, appenders, types, values). */
export const api: typeof NodeApi = apiBundle?.exports ?? (require('@duckdb/node-api') as typeof NodeApi);

/** @duckdb/node-bindings: the C API's functions, for copying whole vectors into data chunks. */
export const bindings = require('@duckdb/node-bindings') as typeof NodeBindings;
