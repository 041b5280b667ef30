/**
 * What identifies a loaded database: for every capture, in the order given, the path as given
 * (it is stored in the `captures` view), device, inode, size, mtime and ctime in nanoseconds; and
 * the versions that shape the database (capture format, contxray, DuckDB, the text of
 * queries/views.sql, the cache layout). Any change gives another key, so an entry is never
 * updated in place, only added and evicted.
 *
 * Stale-data rules (a capture still being written is never served stale):
 * - a capture whose ctime (or mtime) is less than SETTLE_MS old is not stored: file timestamps tick
 *   coarsely (a write in the same tick as our stat would leave them unchanged, git's "racy" files);
 * - the stats are taken again after the load; any difference and the result is not stored;
 * - a load with warnings (no footer: a recording in progress or cut short; damage) is not stored.
 */
import { createHash } from 'node:crypto';
import { statSync, type BigIntStats } from 'node:fs';

export const CACHE_LAYOUT = 1;
/** How old a capture's last change must be before its load is stored. */
export const SETTLE_MS = 2000;

export interface CaptureStamp {
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

export interface KeyParts {
  layout: number;
  contxray: string;
  database: string;
  duckdb: string;
  views: string;
  captures: CaptureStamp[];
}

export function stampOf(path: string, st: BigIntStats): CaptureStamp {
  return { path, dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

/** The captures' stamps now (stat follows links, as the reader's open does). Throws as stat does. */
export function stampCaptures(paths: string[]): CaptureStamp[] {
  return paths.map((p) => stampOf(p, statSync(p, { bigint: true })));
}

export function sameStamps(a: CaptureStamp[], b: CaptureStamp[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The first capture changed too recently to trust its timestamps, or null. */
export function unsettled(stamps: CaptureStamp[], nowMs = Date.now(), settleMs = SETTLE_MS): CaptureStamp | null {
  const now = BigInt(Math.floor(nowMs)) * 1_000_000n;
  const settle = BigInt(Math.max(0, Math.floor(settleMs))) * 1_000_000n;
  for (const s of stamps) {
    const changed = BigInt(s.ctimeNs) > BigInt(s.mtimeNs) ? BigInt(s.ctimeNs) : BigInt(s.mtimeNs);
    // a time in the future (clock stepped back) is as untrustworthy as a recent one
    if (now - changed < settle) return s;
  }
  return null;
}

/** The entry's name: 32 hex digits of SHA-256 over the parts. */
export function keyOf(parts: KeyParts): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
