/**
 * Result tables → table | csv | json | ndjson. Timestamps print as ISO-8601 with nanoseconds.
 * In `table` form every control character from a capture is shown escaped (\x1b…): captured
 * strings are hostile, and a terminal obeys escape sequences. CSV and JSON keep data exact
 * (JSON escapes controls itself; CSV quotes per RFC 4180).
 */
import { isoNs } from './time.js';

export const FORMATS = ['table', 'csv', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

export interface ResultTable {
  columns: string[];
  types?: string[];
  rows: unknown[][];
}

function plain(v: unknown, type?: string): unknown {
  if (typeof v === 'bigint' && type?.startsWith('TIMESTAMP')) return isoNs(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map((x) => plain(x));
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

export function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' && /[\s"]/.test(x) ? JSON.stringify(x) : String(x))).join(' ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function csvCell(v: unknown): string {
  const s = Array.isArray(v) || (v !== null && typeof v === 'object') ? JSON.stringify(v) : cellText(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatTable(t: ResultTable, format: Format, opts: { maxWidth?: number } = {}): string {
  const rows = t.rows.map((r) => r.map((v, i) => plain(v, t.types?.[i])));
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null]))), null, 2)}\n`;
    case 'ndjson':
      return rows.map((r) => JSON.stringify(Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null])))).join('\n') + (rows.length ? '\n' : '');
    case 'csv':
      return [t.columns.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
    case 'table':
      return textTable(t.columns, rows.map((r) => r.map((v) => escapeControls(cellText(v)))), opts.maxWidth ?? 60);
  }
}

function textTable(columns: string[], cells: string[][], maxWidth: number): string {
  const cut = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const body = cells.map((r) => r.map(cut));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const numeric = columns.map((_, i) => body.length > 0 && body.every((r) => r[i] === '' || /^-?\d+(\.\d+)?$/.test(r[i]!)));
  const line = (r: string[]) => r.map((s, i) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(columns), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  if (cells.length === 0) out.push('(no rows)');
  return `${out.join('\n')}\n`;
}
