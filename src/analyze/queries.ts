/**
 * Named queries live in queries/<folder>/<file>.sql, one folder per use (see FOLDERS). Each file
 * opens with a header of `-- key: value` lines, its contract:
 *   -- description: one line, shown by `analyze --list`
 *   -- params: a, b                      the parameters ($a, $b) it takes (optional)
 *   -- returns: name VARCHAR, n BIGINT   the row type, checked by DESCRIBE in test/unit/queries.test.ts
 *   -- executes: what it creates         instead of returns, for statements that return no rows
 *   -- title: / severity: / explanation: findings only (the report's catalogue is these headers)
 * A key may repeat to continue a long value. Other comment lines are free text. A query is selected
 * by name from a fixed directory listing, never by a path the user gives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryError } from '../util/errors.js';
import { packagePath } from '../util/package-root.js';

export const QUERY_DIR = packagePath('queries');

/** Folder → prefix of the query names in it (so queries/findings/shells.sql is `finding-shells`). */
export const FOLDERS = {
  analyze: '',
  findings: 'finding-',
  summary: 'summary-',
  report: 'report-',
  seccomp: 'seccomp-',
  export: 'export-',
  select: 'select-',
} as const;
export type Folder = keyof typeof FOLDERS;

/** Folders `analyze --list` shows; the others are building blocks of report/seccomp/export (still runnable). */
const LISTED: readonly Folder[] = ['analyze', 'findings', 'summary'];

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Column {
  name: string;
  type: string;
}

export interface NamedQuery {
  name: string;
  /** null for queries/views.sql */
  folder: Folder | null;
  description: string;
  params: string[];
  /** The declared row type; null for a statement that executes (`-- executes:`). */
  returns: Column[] | null;
  /** Findings only. */
  title?: string;
  severity?: Severity;
  explanation?: string;
  sql: string;
}

let listing: Map<string, { folder: Folder | null; file: string }> | undefined;

/** name → file under QUERY_DIR, from the fixed folder listing (read once: `--list` reads every query). */
function index(): Map<string, { folder: Folder | null; file: string }> {
  return (listing ??= readIndex());
}

function readIndex(): Map<string, { folder: Folder | null; file: string }> {
  const out = new Map<string, { folder: Folder | null; file: string }>([['views', { folder: null, file: 'views.sql' }]]);
  for (const [folder, prefix] of Object.entries(FOLDERS) as [Folder, string][]) {
    for (const f of readdirSync(join(QUERY_DIR, folder)).sort()) {
      if (f.endsWith('.sql')) out.set(prefix + f.slice(0, -4), { folder, file: join(folder, f) });
    }
  }
  return out;
}

/** Every query file, views first. */
export function allQueries(): NamedQuery[] {
  return [...index().keys()].map(readQuery);
}

export function listQueries(): NamedQuery[] {
  // reads the listed folders' files only (14 of ~40: `analyze --list` starts faster)
  return [...index()]
    .filter(([, { folder }]) => folder !== null && LISTED.includes(folder))
    .map(([name]) => readQuery(name))
    // code-unit order: the same as localeCompare for these names (a-z, 0-9, -) without building an Intl.Collator (~10 ms)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function readQuery(name: string): NamedQuery {
  const entry = index().get(name);
  if (!entry) {
    const listed = listQueries().map((q) => q.name);
    throw new QueryError('unknown-query', `unknown query '${name}'; --list shows them (${listed.slice(0, 8).join(', ')}, …)`);
  }
  const sql = readFileSync(join(QUERY_DIR, entry.file), 'utf8');
  return { name, folder: entry.folder, ...parseHeader(sql, entry.file), sql };
}

const KEYS = ['description', 'params', 'returns', 'executes', 'title', 'severity', 'explanation'] as const;

/** The `-- key: value` lines at the top of a query file; throws on a header that breaks the contract. */
export function parseHeader(sql: string, file: string): Omit<NamedQuery, 'name' | 'folder' | 'sql'> {
  const values = new Map<string, string[]>();
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    const m = /^--\s*([a-z]+):\s*(.*)$/.exec(line);
    if (!m || !(KEYS as readonly string[]).includes(m[1]!)) continue;
    values.set(m[1]!, [...(values.get(m[1]!) ?? []), m[2]!.trim()]);
  }
  const text = (k: string, sep = ' ') => values.get(k)?.join(sep);
  const bad = (why: string) => new Error(`queries/${file}: ${why}`);
  const description = text('description');
  if (!description) throw bad('no `-- description:` line');
  const returns = text('returns', ', ');
  if ((returns === undefined) === !values.has('executes')) throw bad('needs exactly one of `-- returns:` and `-- executes:`');
  const severity = text('severity');
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) throw bad(`severity ${severity} is not one of ${SEVERITIES.join(', ')}`);
  return {
    description,
    params: (text('params', ',') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    returns: returns === undefined ? null : parseColumns(returns, bad),
    title: text('title'),
    severity: severity as Severity | undefined,
    explanation: text('explanation'),
  };
}

/** `a VARCHAR, b DECIMAL(18,1), c STRUCT(x INTEGER, y VARCHAR)[]`: split on top-level commas. */
function parseColumns(spec: string, bad: (why: string) => Error): Column[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of spec) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*?)\s*$/.exec(p);
    if (!m) throw bad(`cannot read column '${p.trim()}' in -- returns: (want 'name TYPE')`);
    return { name: m[1]!, type: m[2]! };
  });
}
