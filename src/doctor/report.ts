/**
 * Doctor's output: a table with one line per check (the status coloured on a terminal), or JSON
 * `{ ready, checks: [{ id, status, found, fix }] }` for programs.
 */
import { formatTable } from '../util/format.js';
import type { Check, Status } from './checks.js';
import { ready } from './run.js';

export interface DoctorJson {
  ready: boolean;
  checks: Check[];
}

export function doctorJson(checks: Check[]): DoctorJson {
  return { ready: ready(checks), checks };
}

const COLOR: Record<Status, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };

/** The checks as a table; `color` paints each status word (the caller decides: a TTY, no NO_COLOR). */
export function doctorTable(checks: Check[], color: boolean): string {
  const rows = checks.map((c) => [c.status, c.id, c.found, c.fix ?? '']);
  // paths and messages may hold anything: format.ts escapes control characters in the cells
  const text = formatTable({ columns: ['status', 'check', 'what is there', 'what to do'], rows }, 'table', { maxWidth: 400 });
  if (!color) return text;
  const lines = text.split('\n');
  // line 0 is the header, line 1 the rule; each row starts with its status word
  return lines.map((l, i) => (i >= 2 && i - 2 < checks.length ? l.replace(/^(ok|warn|fail)/, (s) => `${COLOR[s as Status]}${s}\x1b[0m`) : l)).join('\n');
}

/** One closing line: will recording work, and what is in the way. */
export function verdict(checks: Check[]): string {
  const failed = checks.filter((c) => c.status === 'fail').map((c) => c.id);
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (failed.length > 0) return `recording will not work here: ${failed.join(', ')} failed`;
  return `recording will work${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`;
}
