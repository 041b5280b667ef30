/**
 * Result tables → table | csv | json | ndjson. Timestamps print as ISO-8601 with nanoseconds.
 * In `table` form every control character from a capture is shown escaped (\x1b…): captured
 * strings are hostile, and a terminal obeys escape sequences (src/util/visible.ts has the rule). CSV and JSON keep data exact
 * (JSON escapes controls itself; CSV quotes per RFC 4180).
 */
import { isoNs } from './time.js';
import { visible } from './visible.js';

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

/** Longest cell text kept before the display cut (a 10 MB value costs no more than a short one). */
const CELL_MAX_BYTES = 4096;

/** Table cells: the shared visible-text rule (src/util/visible.ts). */
export function escapeControls(s: string): string {
  return visible(s, CELL_MAX_BYTES);
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

/** The whole result as one string (see tableChunks for row-by-row output). */
export function formatTable(t: ResultTable, format: Format, opts: { maxWidth?: number } = {}): string {
  const parts: string[] = [];
  for (const chunk of tableChunks(t, format, opts)) parts.push(chunk);
  return parts.join('');
}

/**
 * The result in pieces of about a row each, so output can be written as it is produced and no
 * step spreads or copies all rows at once (a million rows once overflowed `Math.max(...widths)`).
 */
export function* tableChunks(t: ResultTable, format: Format, opts: { maxWidth?: number } = {}): Generator<string> {
  const row = (r: unknown[]) => r.map((v, i) => plain(v, t.types?.[i]));
  const obj = (r: unknown[]) => {
    const p = row(r);
    return Object.fromEntries(t.columns.map((c, i) => [c, p[i] ?? null]));
  };
  switch (format) {
    case 'json':
      if (t.rows.length === 0) {
        yield '[]\n';
        return;
      }
      // the same text JSON.stringify(rows, null, 2) gives, one row at a time
      for (let i = 0; i < t.rows.length; i++) {
        const text = JSON.stringify(obj(t.rows[i]!), null, 2).replace(/\n/g, '\n  ');
        yield `${i === 0 ? '[\n  ' : ',\n  '}${text}`;
      }
      yield '\n]\n';
      return;
    case 'ndjson':
      for (const r of t.rows) yield `${JSON.stringify(obj(r))}\n`;
      return;
    case 'csv':
      yield `${t.columns.map(csvCell).join(',')}\n`;
      for (const r of t.rows) yield `${row(r).map(csvCell).join(',')}\n`;
      return;
    case 'table':
      yield* textTable(t.columns, t.rows, (r) => row(r).map((v) => escapeControls(cellText(v))), opts.maxWidth ?? 60);
  }
}

/** Cut to `maxWidth` characters (code points, so a surrogate pair is never split). */
function cut(s: string, maxWidth: number): string {
  if (s.length <= maxWidth) return s;
  const cps = Array.from(s);
  return cps.length > maxWidth ? `${cps.slice(0, maxWidth - 1).join('')}…` : s;
}

/**
 * Two passes over the rows without holding their text: the first measures column widths and
 * which columns are numeric, the second writes each line. Cells are rendered twice instead of
 * kept, so memory stays that of the rows the caller already holds.
 */
function* textTable(names: string[], rows: unknown[][], cells: (r: unknown[]) => string[], maxWidth: number): Generator<string> {
  const columns = names.map((c) => visible(c, 200)); // user SQL may alias a column with anything
  const widths = columns.map((c) => c.length);
  const numeric = columns.map(() => rows.length > 0);
  for (const r of rows) {
    const c = cells(r);
    for (let i = 0; i < columns.length; i++) {
      const s = cut(c[i] ?? '', maxWidth);
      if (s.length > widths[i]!) widths[i] = s.length;
      if (numeric[i] && s !== '' && !/^-?\d+(\.\d+)?$/.test(s)) numeric[i] = false;
    }
  }
  const line = (r: string[]) => `${r.map((s, i) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd()}\n`;
  yield line(columns);
  yield `${widths.map((w) => '─'.repeat(w)).join('  ')}\n`;
  for (const r of rows) yield line(cells(r).map((s) => cut(s, maxWidth)));
  if (rows.length === 0) yield '(no rows)\n';
}
