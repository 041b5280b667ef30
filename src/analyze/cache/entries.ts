/**
 * The entries of the load cache: `<cache dir>/<key>/analysis.duckdb` (a database built like
 * `--db`, see src/analyze/db.ts) and `entry.json` (what it holds, for `cache list` and the size
 * check); the mtime of entry.json is the entry's last use. Entries only ever appear whole (a
 * build directory renamed into place) and disappear by being renamed aside first, so a reader
 * finds a complete entry or none. Only node:fs here (no DuckDB): `contxray cache` imports it.
 */
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, constants as fsc } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CaptureStamp } from './key.js';

export const DB_FILE = 'analysis.duckdb';
export const ENTRY_FILE = 'entry.json';
export const BUILD_PREFIX = '.build-';
const TRASH_PREFIX = '.trash-';
const KEY_NAME = /^[0-9a-f]{32}$/;
/** A build directory untouched this long belongs to a process that died. */
const STALE_BUILD_MS = 6 * 3600 * 1000;
const ENTRY_JSON_MAX = 64 * 1024 * 1024;

export interface EntryInfo {
  key: string;
  created: string;
  /** Events loaded. */
  events: number;
  /** Size of analysis.duckdb when it was stored: a shorter file is a damaged entry. */
  dbBytes: number;
  captures: CaptureStamp[];
  /** The captures' absolute paths when stored (the stamps keep the paths as given). */
  absolute?: string[];
}

export interface Entry extends EntryInfo {
  dir: string;
  /** Bytes on disk (every file of the entry). */
  bytes: number;
  lastUsedMs: number;
}

export function entryDir(cacheDir: string, key: string): string {
  return join(cacheDir, key);
}

/** Reads an entry's description, or null when it is missing, not ours in shape, or damaged. */
export function readEntry(cacheDir: string, key: string): Entry | null {
  const dir = entryDir(cacheDir, key);
  let fd: number;
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return null;
    fd = openSync(join(dir, ENTRY_FILE), fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > ENTRY_JSON_MAX) return null;
    const info = JSON.parse(readFileSync(fd, 'utf8')) as EntryInfo;
    if (info.key !== key || !Array.isArray(info.captures) || typeof info.dbBytes !== 'number') return null;
    let bytes = st.size;
    for (const name of readdirSync(dir)) if (name !== ENTRY_FILE) bytes += sizeOf(join(dir, name));
    return { ...info, dir, bytes, lastUsedMs: st.mtimeMs };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) return readdirSync(path).reduce((n, name) => n + sizeOf(join(path, name)), 0);
    return st.size;
  } catch {
    return 0;
  }
}

/** Every complete entry, most recently used first; entries without a readable entry.json are left to clear(). */
export function listEntries(cacheDir: string): Entry[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  const entries = names.filter((n) => KEY_NAME.test(n)).map((n) => readEntry(cacheDir, n)).filter((e): e is Entry => e !== null);
  return entries.sort((a, b) => b.lastUsedMs - a.lastUsedMs);
}

/** Marks an entry used now (its place in the least-recently-used order). */
export function touchEntry(entry: { dir: string }): void {
  try {
    const now = new Date();
    utimesSync(join(entry.dir, ENTRY_FILE), now, now);
  } catch {
    /* evicted meanwhile: nothing to mark */
  }
}

/**
 * Removes an entry (or any directory of the cache): renamed aside first, atomically, so no
 * reader ever opens half of it; a reader that already has the database open keeps its file.
 */
export function removeDir(cacheDir: string, dir: string): void {
  const aside = join(cacheDir, `${TRASH_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    renameSync(dir, aside);
  } catch {
    return; // already gone (another process evicted it)
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Leftovers of dead processes: trash never removed, builds untouched for hours, unreadable entries. */
function leftovers(cacheDir: string, nowMs: number, includeDamaged: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const path = join(cacheDir, name);
    if (name.startsWith(TRASH_PREFIX)) out.push(path);
    else if (name.startsWith(BUILD_PREFIX) && nowMs - newestMtime(path) > STALE_BUILD_MS) out.push(path);
    else if (includeDamaged && KEY_NAME.test(name) && readEntry(cacheDir, name) === null) out.push(path);
  }
  return out;
}

function newestMtime(path: string): number {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return st.mtimeMs;
    return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), st.mtimeMs);
  } catch {
    return Date.now();
  }
}

/**
 * Keeps the cache within `maxBytes`: least recently used entries go first. `keep` (the entry just
 * stored or used) goes last. Returns the removed entries.
 */
export function evict(cacheDir: string, maxBytes: number, keep?: string, nowMs = Date.now()): Entry[] {
  for (const path of leftovers(cacheDir, nowMs, false)) rmSync(path, { recursive: true, force: true });
  const entries = listEntries(cacheDir);
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const order = [...entries].reverse().sort((a, b) => Number(a.key === keep) - Number(b.key === keep));
  const removed: Entry[] = [];
  for (const e of order) {
    if (total <= maxBytes) break;
    removeDir(cacheDir, e.dir);
    total -= e.bytes;
    removed.push(e);
  }
  return removed;
}

/** Removes every entry and leftover (builds in flight of running commands stay). */
export function clearCache(cacheDir: string): { entries: number; bytes: number } {
  const entries = listEntries(cacheDir);
  for (const e of entries) removeDir(cacheDir, e.dir);
  for (const path of leftovers(cacheDir, Date.now(), true)) rmSync(path, { recursive: true, force: true });
  return { entries: entries.length, bytes: entries.reduce((n, e) => n + e.bytes, 0) };
}
