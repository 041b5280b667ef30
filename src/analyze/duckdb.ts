/**
 * DuckDB's two packages, loaded with require(). Every module of contxray that needs one of their
 * values takes it from here; types still come from the packages (`import type`, erased at build).
 *
 * Why not `import`: both packages are CommonJS. When an ES module imports a CommonJS one, Node
 * first runs its CommonJS export lexer over the module and over every module it re-exports, and
 * @duckdb/node-api's index re-exports each of its ~40 files: ~90 ms of every command that opens
 * DuckDB, a quarter of a small capture's `analyze` (docs/performance.md, "Small captures").
 * require() reads each file once and skips the lexer.
 */
import { createRequire } from 'node:module';
import type * as NodeApi from '@duckdb/node-api';
import type * as NodeBindings from '@duckdb/node-bindings';

const require = createRequire(import.meta.url);

/** @duckdb/node-api: the friendly API (instances, connections, appenders, types, values). */
export const api = require('@duckdb/node-api') as typeof NodeApi;

/** @duckdb/node-bindings: the C API's functions, for copying whole vectors into data chunks. */
export const bindings = require('@duckdb/node-bindings') as typeof NodeBindings;
