/**
 * contxray as a library: `import { openCaptures } from 'contxray'`. A deliberate, small API
 * (documented in docs/analysis-api.md, "Using contxray as a library"); everything else in src/ is
 * internal and may change without notice.
 *
 * - openCaptures: load capture files (paths or globs) into DuckDB (or reuse the load cache, opt-in); query them through the views
 *   with `.all(sql, params)` or run a named query with `.named(name, params)`.
 * - readCapture: stream a capture's validated Arrow batches without DuckDB.
 * - generateSeccompProfile: a Docker/OCI seccomp profile for one recorded container.
 * - The error classes: every error a user can act on is one of them, with a string `code`.
 *
 * Nothing here prints or exits; warnings go to callbacks or come back in results.
 */
import type { Analysis } from './analyze/db.js';
import { openWithCache, type CachedOpenOptions } from './analyze/cache/open.js';
import { CaptureReader } from './capture/reader.js';

export { Analysis, type OpenOptions, type Params } from './analyze/db.js';
export type { CacheOptions, CachedOpenOptions } from './analyze/cache/open.js';
export { CaptureReader, type CaptureMeta, type ReadProblem } from './capture/reader.js';
export type { Kind } from './capture/schema.js';
export { generateSeccompProfile, type BaseChoice, type GenerateOptions, type GeneratedProfile } from './seccomp/generate.js';
export { profileJson } from './seccomp/profile.js';
export { spoYaml } from './seccomp/spo.js';
export type { DockerProfile, ProfileRule, DefaultErrno } from './seccomp/types.js';
export { CaptureError, ContxrayError, OutputError, QueryError, RecorderError, SelectionError, UsageError } from './util/errors.js';

/**
 * Loads captures (file paths or globs; `opts.db` keeps the loaded database in a file and reopens it)
 * into an in-process DuckDB. Close the returned Analysis when done. Files holding event data that
 * DuckDB writes (opts.db) follow the process umask: set 0o077 if others share the machine.
 * `opts.cache` (off by default here, on in the CLI): reuse the load cache, see docs/cache.md.
 */
export function openCaptures(paths: string[], opts: CachedOpenOptions = {}): Promise<Analysis> {
  return openWithCache(paths, opts);
}

/**
 * Opens one capture file for streaming: `meta` (host, format version, syscall table, options), then
 * `batches()` yields `{ kind, batch }` (apache-arrow RecordBatches, validated) and closes the file at
 * the end; `warning()` says what was recovered from a damaged or cut file.
 */
export function readCapture(path: string): Promise<CaptureReader> {
  return CaptureReader.open(path);
}
