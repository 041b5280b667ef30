/**
 * The load cache: the second and later opens of unchanged captures reuse the database the first
 * one built, instead of loading again (see docs/cache.md).
 *
 * An entry is a `--db` database (src/analyze/db.ts builds and checks it), opened READ_ONLY so any
 * number of commands share it. A miss builds into a private `.build-*` dir inside the cache dir,
 * opens the result read-only and renames the dir into place: the rename is atomic, so an entry is
 * whole or absent. Two commands missing at once both load (no lock to wait on or leave behind):
 * the first rename wins, the other command answers from its own build and removes it on close.
 * Anything wrong with the cache (a damaged entry, an unusable or full directory) costs a load,
 * never the command: a damaged entry is removed and rebuilt, an unusable directory gives one
 * warning and a temporary database.
 */
import { closeSync, lstatSync, openSync, readFileSync, renameSync, statSync, writeSync, constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { api } from '../duckdb.js';
import { Analysis, type OpenOptions } from '../db.js';
import { expandCapturePaths } from '../paths.js';
import { readQuery } from '../queries.js';
import { FORMAT_VERSION } from '../../capture/schema.js';
import { CaptureError, OutputError, errorMessage } from '../../util/errors.js';
import { PRIVATE_FILE, privateTempDir, releaseTempDir, removeTempDir } from '../../util/outfile.js';
import { packagePath } from '../../util/package-root.js';
import { cacheDirPath, ensureCacheDir, maxBytes } from './dir.js';
import { BUILD_PREFIX, DB_FILE, ENTRY_FILE, entryDir, evict, readEntry, removeDir, touchEntry, type EntryInfo } from './entries.js';
import { CACHE_LAYOUT, SETTLE_MS, hashText, keyOf, sameStamps, stampCaptures, unsettled, type CaptureStamp } from './key.js';

export interface CacheOptions {
  /** The cache directory (default `$XDG_CACHE_HOME/contxray` or `~/.cache/contxray`). */
  dir?: string;
  /** Bound of the whole cache in bytes (default `CONTXRAY_CACHE_MAX` or 4 GiB); 0 turns the cache off. */
  maxBytes?: number;
  /** How old a capture's last change must be for its load to be stored (default 2000 ms). */
  settleMs?: number;
}

export interface CachedOpenOptions extends OpenOptions {
  /** Reuse and keep loaded databases in the load cache (default off for the library, on for the CLI). */
  cache?: boolean | CacheOptions;
}

/** Cache warnings (unusable directory, bad CONTXRAY_CACHE_MAX) are said once per process. */
const warned = new Set<string>();

function warnOnce(opts: OpenOptions, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  opts.onWarning?.(message);
}

/** Analysis.open with the load cache (when `opts.cache` is on and the input is capture files). */
export async function openWithCache(patterns: string[], opts: CachedOpenOptions = {}): Promise<Analysis> {
  const { cache, ...plain } = opts;
  const direct = () => Analysis.open(patterns, plain);
  // --db keeps its own database; a directory is a Parquet lake, read where it lies, never loaded.
  if (!cache || opts.db !== undefined || patterns.length === 0 || patterns.some(isDirectory)) return direct();
  const settings = cacheSettings(cache, plain);
  if (settings.maxBytes <= 0) return direct();
  let paths: string[];
  let before: CaptureStamp[];
  let stampedAtMs: number;
  try {
    paths = expandCapturePaths(patterns);
    if (paths.length === 0 || paths.length > 65535) return direct();
    stampedAtMs = Date.now();
    before = stampCaptures(paths);
  } catch {
    return direct(); // the uncached open says what is wrong with the arguments
  }
  const ensured = ensureCacheDir(settings.dir);
  if ('error' in ensured) {
    warnOnce(plain, `${ensured.error}; using a temporary database`);
    return Analysis.open(paths, plain);
  }
  const dir = ensured.dir;
  const key = keyOf({ layout: CACHE_LAYOUT, contxray: contxrayVersion(), database: FORMAT_VERSION, duckdb: api.version(), views: hashText(readQuery('views').sql), captures: before });
  const hit = await openEntry(dir, key);
  if (hit) return hit;
  return build(dir, key, paths, { stamps: before, atMs: stampedAtMs }, settings, plain);
}

function cacheSettings(cache: true | CacheOptions, opts: OpenOptions): { dir: string; maxBytes: number; settleMs: number } {
  const given = cache === true ? {} : cache;
  let bytes = given.maxBytes;
  if (bytes === undefined) {
    const fromEnv = maxBytes();
    if (fromEnv.warning) warnOnce(opts, fromEnv.warning);
    bytes = fromEnv.bytes;
  }
  // CONTXRAY_CACHE_SETTLE_MS: for tests, which query captures they have just written.
  const settleEnv = Number(process.env.CONTXRAY_CACHE_SETTLE_MS);
  const settleMs = given.settleMs ?? (process.env.CONTXRAY_CACHE_SETTLE_MS && settleEnv >= 0 ? settleEnv : SETTLE_MS);
  return { dir: given.dir ?? cacheDirPath(), maxBytes: bytes, settleMs };
}

/** The entry for `key` opened read-only, or null (missing; damaged entries are removed). */
async function openEntry(dir: string, key: string): Promise<Analysis | null> {
  const entry = readEntry(dir, key);
  if (!entry) {
    if (exists(entryDir(dir, key))) removeDir(dir, entryDir(dir, key));
    return null;
  }
  const file = join(entry.dir, DB_FILE);
  let analysis: Analysis | null = null;
  try {
    const st = lstatSync(file);
    // A truncated or grown database file is damaged; DuckDB's block checksums catch the rest.
    if (st.isFile() && st.size === entry.dbBytes) analysis = await Analysis.openExisting(file, { readOnly: true });
  } catch {
    analysis = null;
  }
  if (!analysis) {
    removeDir(dir, entry.dir);
    return null;
  }
  touchEntry(entry);
  return analysis;
}

async function build(dir: string, key: string, paths: string[], stamped: { stamps: CaptureStamp[]; atMs: number }, settings: { maxBytes: number; settleMs: number }, opts: OpenOptions): Promise<Analysis> {
  let tmp: string;
  try {
    tmp = privateTempDir(BUILD_PREFIX, dir);
  } catch (err) {
    warnOnce(opts, `cannot write the cache directory ${dir} (${errorMessage(err)}); using a temporary database`);
    return Analysis.open(paths, opts);
  }
  const file = join(tmp, DB_FILE);
  // Warnings are held until the build succeeds: a fallback load says them again.
  const warnings: string[] = [];
  let rows = 0;
  try {
    const built = await Analysis.open(paths, { ...opts, db: file, onWarning: (m) => warnings.push(m) });
    rows = built.load?.rows ?? 0;
    built.close(); // checkpointed: one file, no .wal, no write lock
  } catch (err) {
    removeTempDir(tmp);
    // Errors of the captures are the user's; a database that could not be written (disk full in
    // the cache dir) is the cache's: load again without it.
    if (!(err instanceof OutputError || (err instanceof CaptureError && err.code === 'load-failed'))) throw err;
    warnOnce(opts, `cannot build a cached database in ${dir} (${errorMessage(err)}); using a temporary database`);
    return Analysis.open(paths, opts);
  }
  for (const w of warnings) opts.onWarning?.(w);
  let analysis: Analysis;
  try {
    analysis = await Analysis.openExisting(file, { readOnly: true });
  } catch (err) {
    removeTempDir(tmp);
    warnOnce(opts, `cannot reopen the cached database (${errorMessage(err)}); using a temporary database`);
    return Analysis.open(paths, opts);
  }
  const dbBytes = statSync(file).size;
  // Settled is judged at the time of the stat: a write in the same timestamp tick is what it rules out.
  const before = stamped.stamps;
  const storable = warnings.length === 0 && dbBytes < settings.maxBytes && stillSame(paths, before) && unsettled(before, stamped.atMs, settings.settleMs) === null;
  if (storable && place(dir, key, tmp, { key, created: new Date().toISOString(), events: rows, dbBytes, captures: before, absolute: paths.map((p) => resolve(p)) })) {
    evict(dir, settings.maxBytes, key);
  } else {
    analysis.whenClosed(() => removeTempDir(tmp));
  }
  return analysis;
}

function stillSame(paths: string[], before: CaptureStamp[]): boolean {
  try {
    return sameStamps(stampCaptures(paths), before);
  } catch {
    return false;
  }
}

/** Writes entry.json and renames the build dir into place; false when another command got there first. */
function place(dir: string, key: string, tmp: string, info: EntryInfo): boolean {
  try {
    const fd = openSync(join(tmp, ENTRY_FILE), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, PRIVATE_FILE);
    try {
      writeSync(fd, JSON.stringify(info));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, entryDir(dir, key));
  } catch {
    return false;
  }
  releaseTempDir(tmp);
  return true;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

let version: string | undefined;
function contxrayVersion(): string {
  return (version ??= String((JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: unknown }).version));
}
