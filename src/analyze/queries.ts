/**
 * Named queries live in queries/<name>.sql. The first line is `-- <one-line description>`;
 * an optional `-- params: a, b` line names the parameters ($a, $b) the query takes. A query is
 * selected by name from a fixed directory listing, never by a path the user gives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from '../util/errors.js';

export const QUERY_DIR = fileURLToPath(new URL('../../../queries/', import.meta.url));

export interface NamedQuery {
  name: string;
  description: string;
  params: string[];
  sql: string;
}

/** Infrastructure (views) and the building blocks of report/seccomp are not listed (still runnable). */
const isHidden = (n: string) => n === 'views' || n.startsWith('report-') || n.startsWith('seccomp');
const HIDDEN = { has: isHidden };

export function listQueries(): NamedQuery[] {
  return readdirSync(QUERY_DIR)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -4))
    .filter((n) => !HIDDEN.has(n))
    .sort()
    .map(readQuery);
}

export function readQuery(name: string): NamedQuery {
  const known = readdirSync(QUERY_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4));
  if (!known.includes(name)) {
    throw new CliError(`unknown query '${name}'; --list shows them (${known.filter((n) => !HIDDEN.has(n)).slice(0, 8).join(', ')}, …)`, EXIT.usage);
  }
  const sql = readFileSync(`${QUERY_DIR}${name}.sql`, 'utf8');
  const lines = sql.split('\n');
  const description = (lines[0] ?? '').replace(/^--\s*/, '').trim();
  const paramLine = lines.find((l) => /^--\s*params:/.test(l));
  const params = paramLine ? paramLine.replace(/^--\s*params:/, '').split(',').map((s) => s.trim()).filter(Boolean) : [];
  return { name, description, params, sql };
}
