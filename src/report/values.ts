/**
 * Turning query values into display values. Every captured string (argv, paths, comm, names,
 * labels) is attacker-controlled: `clean()` makes it safe to *look at* (control characters, bidi
 * overrides and lone surrogates shown as escapes, very long values cut); HTML safety is the
 * template engine's escaping, never this function's job.
 */

import { DEFAULT_MAX_BYTES, visible } from '../util/visible.js';

/** A number from DuckDB: BIGINT/HUGEINT arrive as bigint, DOUBLE as number, NULL as null. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return 0;
}

export function optNum(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export const DEFAULT_LIMIT = DEFAULT_MAX_BYTES;

/**
 * A captured value as readable text by the shared visible-text rule (src/util/visible.ts, the same
 * one the terminal uses): escapes shown, cut at `limit` UTF-8 bytes with "…(N more bytes)".
 */
export function clean(v: unknown, limit = DEFAULT_LIMIT): string {
  return visible(v, limit);
}

/** argv as one line; each element quoted when it has spaces or is empty, so boundaries stay visible. */
export function argvText(argv: unknown, limit = 400): string {
  if (!Array.isArray(argv)) return clean(argv, limit);
  const parts = argv.map((a) => {
    const s = clean(a, limit);
    return s === '' || /[\s'"]/.test(s) ? JSON.stringify(s) : s;
  });
  return clean(parts.join(' '), limit);
}

const NF = new Intl.NumberFormat('en-US');
export function fmtInt(v: unknown): string {
  return NF.format(Math.round(num(v)));
}

export function fmtBytes(v: unknown): string {
  let n = num(v);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** UTC, to the millisecond: captures come from other hosts and time zones. */
export function fmtTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/** Time of day only when `ms` falls on the same UTC day as `day` (tables stay narrow). */
export function fmtClock(ms: number | null, day: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  const full = fmtTime(ms);
  return day !== null && fmtTime(day).slice(0, 10) === full.slice(0, 10) ? full.slice(11, 23) : full;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM',
  13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL',
  23: 'ENFILE', 24: 'EMFILE', 26: 'ETXTBSY', 28: 'ENOSPC', 30: 'EROFS', 36: 'ENAMETOOLONG', 38: 'ENOSYS',
  40: 'ELOOP', 95: 'EOPNOTSUPP', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 101: 'ENETUNREACH',
  104: 'ECONNRESET', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 115: 'EINPROGRESS',
};
export function errnoName(e: unknown): string {
  const n = Math.abs(num(e));
  return ERRNO[n] ?? `errno ${n}`;
}
