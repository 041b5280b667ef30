/**
 * Findings: each is one parameterless query in queries/findings/*.sql (so `contxray analyze
 * --query finding-shells` shows the same evidence), ranked here by severity and spread. Title,
 * severity and explanation come from the query's header; a finding without them appears as
 * "info", with its description line as the explanation.
 */
import { allQueries } from '../analyze/queries.js';
import type { Cell, Finding, ReportSource, Row, Table } from './types.js';
import { clean, fmtInt } from './values.js';
import { keyOf } from './gather.js';

const ORDER: Record<Finding['severity'], number> = { high: 0, medium: 1, low: 2, info: 3 };
/** Columns the evidence table leaves out: keys for filtering, not for reading. */
const HIDDEN = new Set(['container_id', 'host']);

export function findingQueries(): { name: string; description: string; meta: Pick<Finding, 'title' | 'severity' | 'explanation'> }[] {
  return allQueries()
    .filter((q) => q.folder === 'findings')
    .map((q) => {
      const description = q.description.replace(/^finding:\s*/, '');
      const title = q.title ?? q.name.replace(/^finding-/, '').replace(/-/g, ' ');
      return { name: q.name, description, meta: { title, severity: q.severity ?? 'info', explanation: q.explanation ?? description } };
    });
}

/**
 * Runs every finding query, keeps evidence of the containers in scope (null: all), ranks. Each
 * finding also names its first `maxFlagged` containers, which the report then shows in detail.
 */
export async function runFindings(src: ReportSource, scope: Set<string> | null, multiHost: boolean, maxRows: number, maxFlagged: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const q of findingQueries()) {
    const all = await src.named(q.name, { container_ids: null });
    const rows = scope === null ? all : all.filter((r) => !('container_id' in r) || scope.has(keyOf(r.host, r.container_id)));
    const keys = new Set(rows.map((r) => keyOf(r.host, r.container_id)));
    const ids: string[] = [];
    for (const r of rows) {
      if (ids.length >= maxFlagged) break;
      if (typeof r.container_id === 'string' && !ids.includes(r.container_id)) ids.push(r.container_id);
    }
    out.push({
      query: q.name,
      ...q.meta,
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
