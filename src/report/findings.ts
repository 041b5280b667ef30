/**
 * Findings: each is one parameterless query in queries/finding-*.sql (so `contxray analyze
 * --query finding-shells` shows the same evidence), ranked here by severity and spread.
 * A finding query added to queries/ without an entry below still appears, as "info", with its
 * description line as the explanation.
 */
import { listQueries } from '../analyze/queries.js';
import type { Cell, Finding, ReportSource, Row, Table } from './types.js';
import { clean, fmtInt } from './values.js';
import { keyOf } from './gather.js';

interface Meta {
  title: string;
  severity: Finding['severity'];
  explanation: string;
}

const CATALOGUE: Record<string, Meta> = {
  'finding-escape-syscalls': {
    title: 'Escape-related syscalls',
    severity: 'high',
    explanation:
      'Workload processes called syscalls used to break out of containers (mount, namespaces, handles, ptrace, bpf, keyrings, modules); runc’s own setup calls are excluded.',
  },
  'finding-sensitive-paths': {
    title: 'Sensitive host paths opened',
    severity: 'high',
    explanation:
      'Runtime sockets, password hashes, kernel tunables, cgroup release_agent or SSH keys were opened from inside a container; writes and successful opens matter most.',
  },
  'finding-scan': {
    title: 'Connections to many ports or hosts',
    severity: 'medium',
    explanation: 'One container tried 20 or more ports on one host, or 20 or more hosts: typical of a network scan or lateral movement.',
  },
  'finding-shells': {
    title: 'Shells or package managers started',
    severity: 'medium',
    explanation:
      'A shell or package manager ran inside a container: an interactive session (docker exec, a web shell) or software installed at run time. Expected only in entrypoint scripts.',
  },
  'finding-listening-ports': {
    title: 'Ports accepting connections',
    severity: 'low',
    explanation: 'Ports on which containers accepted TCP connections during the recording; compare with the ports the service should expose.',
  },
};

const ORDER: Record<Finding['severity'], number> = { high: 0, medium: 1, low: 2, info: 3 };
/** Columns the evidence table leaves out: keys for filtering, not for reading. */
const HIDDEN = new Set(['container_id', 'host']);

export function findingQueries(): { name: string; description: string }[] {
  return listQueries()
    .filter((q) => q.name.startsWith('finding-'))
    .map((q) => ({ name: q.name, description: q.description.replace(/^finding:\s*/, '') }));
}

/**
 * Runs every finding query, keeps evidence of the containers in scope (null: all), ranks. Each
 * finding also names its first `maxFlagged` containers, which the report then shows in detail.
 */
export async function runFindings(src: ReportSource, scope: Set<string> | null, multiHost: boolean, maxRows: number, maxFlagged: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const q of findingQueries()) {
    const meta = CATALOGUE[q.name] ?? { title: q.name.replace(/^finding-/, '').replace(/-/g, ' '), severity: 'info', explanation: q.description };
    const all = await src.named(q.name, { container: null });
    const rows = scope === null ? all : all.filter((r) => !('container_id' in r) || scope.has(keyOf(r.host, r.container_id)));
    const keys = new Set(rows.map((r) => keyOf(r.host, r.container_id)));
    const ids: string[] = [];
    for (const r of rows) {
      if (ids.length >= maxFlagged) break;
      if (typeof r.container_id === 'string' && !ids.includes(r.container_id)) ids.push(r.container_id);
    }
    out.push({
      query: q.name,
      ...meta,
      hits: rows.length,
      containers: keys.size,
      containerIds: ids,
      table: evidence(rows, multiHost, maxRows),
    });
  }
  return out.sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || b.containers - a.containers || b.hits - a.hits || a.query.localeCompare(b.query));
}

function evidence(rows: Row[], multiHost: boolean, maxRows: number): Table {
  const first = rows[0];
  const cols = first ? Object.keys(first).filter((k) => !HIDDEN.has(k) || (k === 'host' && multiHost)) : [];
  const isNum = (k: string) => rows.some((r) => typeof r[k] === 'number' || typeof r[k] === 'bigint');
  const numeric = new Map(cols.map((k) => [k, isNum(k)]));
  return {
    columns: cols.map((k) => ({ label: k.replace(/_/g, ' '), num: numeric.get(k) })),
    rows: rows.slice(0, maxRows).map((r) => cols.map((k): Cell => cell(r[k], numeric.get(k) ?? false, PLAIN.test(k)))),
    more: Math.max(0, rows.length - maxRows),
    empty: 'nothing found',
  };
}

/** Identifiers, not quantities: no thousands separators. */
const PLAIN = /(^|_)(port|pid|ppid|uid|nr|errno)$/;

function cell(v: unknown, numeric: boolean, plain: boolean): Cell {
  if (numeric && (typeof v === 'number' || typeof v === 'bigint')) return { text: plain ? String(v) : fmtInt(v), num: true };
  const full = Array.isArray(v) ? v.map((x) => clean(x, 2000)).join(' ') : clean(v, 2000);
  const text = clean(full, 160);
  return text === full ? { text } : { text, title: clean(full, 1000) };
}
