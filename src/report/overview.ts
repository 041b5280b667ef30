/** The overview part of the page model: recordings, data-quality warnings, event counts, containers. */
import type { ReportContainer, Gathered } from './gather.js';
import type { Cell, Table } from './types.js';
import { clean, fmtClock, fmtDuration, fmtInt, fmtTime, num, optNum } from './values.js';

export interface Warning {
  text: string;
}

/** Counters whose non-zero value means data was lost or cut. */
const LOSS = /^(drops?|lost|truncated|unknown|errors?|overflow|missed)[._]|[._](drops?|lost|truncated|unknown|invalid_utf8|overflow)$/i;

/** capture_files.truncated_strings: counted by the loader, shown beside the recorder's counters. */
const TRUNCATED_STRINGS = "truncated strings (cut at load to their column's cap)";

export function warnings(g: Gathered): Warning[] {
  const out: Warning[] = [];
  for (const c of g.captures) {
    if (c.warning) out.push({ text: `${clean(c.capture, 120)}: ${clean(c.warning, 400)}` });
    // without a stats record an empty counters table would read as "nothing lost"
    if (c.no_counters) out.push({ text: `counters unknown for ${clean(c.capture, 120)} (no stats record: drops and truncations can't be ruled out)` });
    if (num(c.truncated_strings) > 0) {
      out.push({ text: `${TRUNCATED_STRINGS} = ${fmtInt(c.truncated_strings)} (capture ${clean(c.capture, 120)}, host ${clean(c.host, 80)})` });
    }
  }
  for (const s of g.stats) {
    if (LOSS.test(String(s.name)) && num(s.value) > 0) {
      out.push({ text: `${clean(s.name, 80)} = ${fmtInt(s.value)} (capture ${clean(s.capture, 120)}, host ${clean(s.host, 80)})` });
    }
  }
  for (const q of g.quality) {
    if (num(q.value) > 0) out.push({ text: `${clean(q.name, 80)}: ${fmtInt(q.value)}` });
  }
  return out;
}

const t = (text: string, num = false): Cell => ({ text, num });

export function capturesTable(g: Gathered): Table {
  return {
    columns: ['capture', 'host', 'kernel / arch', 'format', 'started', 'ended', 'length', 'recording options'].map((label) => ({ label })),
    rows: g.captures.map((c) => {
      const s = optNum(c.started_ms);
      const e = optNum(c.ended_ms);
      const opts = clean(c.options, 4000);
      return [
        t(clean(c.capture, 120)),
        t(clean(c.host, 80)),
        t(`${clean(c.kernel, 60)} / ${clean(c.arch, 20)}`),
        t(clean(c.format_version, 20)),
        { text: fmtTime(s), nowrap: true },
        { text: fmtTime(e), nowrap: true },
        t(s !== null && e !== null ? fmtDuration(e - s) : ''),
        opts.length > 200 ? { text: clean(opts, 200), title: opts } : t(opts),
      ];
    }),
    more: 0,
    empty: 'no captures',
  };
}

export function countsTable(g: Gathered): Table {
  return {
    columns: [{ label: 'events' }, { label: 'count', num: true }],
    rows: g.eventCounts.map((r) => [t(clean(r.kind, 80)), t(fmtInt(r.events), true)]),
    more: 0,
    empty: 'no events',
  };
}

export function statsTable(g: Gathered, maxRows: number): Table {
  const cut = g.captures.filter((c) => num(c.truncated_strings) > 0);
  const multi = new Set([...g.stats, ...cut].map((s) => `${s.host}\u0000${s.capture}`)).size > 1;
  // zero counters say "nothing lost there": counted in one line instead of a long list of zeros
  const rows = g.stats.filter((s) => num(s.value) !== 0).map((s) => {
    const loss = LOSS.test(String(s.name)) && num(s.value) > 0;
    const cells: Cell[] = [t(clean(s.name, 80)), { text: fmtInt(s.value), num: true, flag: loss }];
    return multi ? [t(`${clean(s.host, 60)} / ${clean(s.capture, 80)}`), ...cells] : cells;
  });
  for (const c of cut) {
    const cells: Cell[] = [t(TRUNCATED_STRINGS), { text: fmtInt(c.truncated_strings), num: true, flag: true }];
    rows.push(multi ? [t(`${clean(c.host, 60)} / ${clean(c.capture, 80)}`), ...cells] : cells);
  }
  return {
    columns: [...(multi ? [{ label: 'host / capture' }] : []), { label: 'recorder counter' }, { label: 'value', num: true }],
    rows: rows.slice(0, maxRows * 2),
    more: Math.max(0, rows.length - maxRows * 2),
    empty: 'the capture carries no counters',
  };
}

export function zeroCounters(g: Gathered): number {
  return g.stats.filter((s) => num(s.value) === 0).length;
}

export interface ContainerLink {
  anchor: string;
  name: string;
}

/**
 * The busiest containers in scope (findings first), linked to their sections; the containers
 * without a section follow in the same order, and the rest of a large capture is counted.
 */
export function containersTable(g: Gathered, anchors: Map<string, string>, maxRows: number): Table {
  const multiHost = g.hosts > 1;
  const shown = g.ranked.slice(0, Math.max(maxRows, g.selected.length));
  const rows = shown.map((c: ReportContainer) => {
    const s = c.activity;
    return [
      { text: clean(c.name, 80), anchor: anchors.get(c.key), flag: c.flagged },
      { text: clean(c.id.slice(0, 12), 12), nowrap: true },
      t(clean(c.image, 80)),
      t(clean(c.runtime, 20)),
      ...(multiHost ? [t(clean(c.host, 60))] : []),
      t(clean(c.ips, 80)),
      { text: fmtClock(c.firstMs, g.spanMs?.[0] ?? null), nowrap: true },
      { text: fmtClock(c.lastMs, g.spanMs?.[0] ?? null), nowrap: true },
      t(fmtInt(s.calls), true),
      t(fmtInt(s.execs), true),
      t(fmtInt(s.opens), true),
      t(fmtInt(num(s.conns_out) + num(s.conns_in)), true),
    ];
  });
  const labels = ['name', 'id', 'image', 'runtime', ...(multiHost ? ['host'] : []), 'addresses', 'first seen', 'last seen'];
  return {
    columns: [...labels.map((label) => ({ label })), ...['syscalls', 'execs', 'opens', 'connections'].map((label) => ({ label, num: true }))],
    rows,
    more: Math.max(0, g.inScope - rows.length),
    empty: 'no containers were seen in the capture',
  };
}
