/** One container's section of the page model: syscalls, processes, files, network, seccomp. */
import type { ReportContainer, Gathered, PerContainer } from './gather.js';
import { TOP_SYSCALLS } from './gather.js';
import { seccompSummary, type SeccompSummary } from './seccomp.js';
import type { Cell, Row, Table, TreeRow } from './types.js';
import { argvText, clean, errnoName, fmtBytes, fmtClock, fmtInt, fmtTime, num, optNum } from './values.js';

export interface ContainerSection {
  anchor: string;
  name: string;
  id: string;
  image: string;
  runtime: string;
  host: string;
  facts: { label: string; value: string }[];
  tree: TreeRow[];
  treeMore: number;
  files: Table;
  network: Table;
  outside: Table;
  seccomp: SeccompSummary | null;
  seccompCommand: string;
  topMore: number;
}

const t = (text: string, num = false): Cell => ({ text, num });
const MAX_DEPTH = 12; // indentation levels the stylesheet has

export function containerSection(g: Gathered, c: ReportContainer, anchor: string, edges: Row[], captures: string[], maxRows: number): ContainerSection {
  const pc: PerContainer = g.perContainer.get(c.key) ?? { topSyscalls: [], syscallNames: [], syscallsTime: [], resourcesTime: [], execTimeline: [], processes: [], files: [] };
  const s = pc.summary ?? {};
  const totalSys = num(pc.topSyscalls[0]?.total);
  const procTotal = num(pc.processes[0]?.total);
  const capArgs = captures.map(shellQuote).join(' ');
  return {
    anchor,
    name: clean(c.name, 120),
    id: clean(c.id, 80),
    image: clean(c.image, 200),
    runtime: clean(c.runtime, 40),
    host: clean(c.host, 80),
    facts: [
      { label: 'syscall calls', value: `${fmtInt(s.calls)} (${fmtInt(s.distinct_syscalls)} distinct, ${fmtInt(s.errors)} failed, ${fmtInt(s.denied)} denied)` },
      { label: 'execs', value: fmtInt(s.execs) },
      { label: 'host-filesystem opens', value: `${fmtInt(s.opens)} (${fmtInt(s.open_failures)} failed)` },
      { label: 'TCP connections', value: `${fmtInt(s.conns_out)} out, ${fmtInt(s.conns_in)} in` },
      { label: 'addresses', value: clean(c.ips, 200) || '–' },
      { label: 'seen', value: `${fmtTime(c.firstMs)} – ${fmtTime(c.lastMs)}` },
    ],
    tree: processTree(pc.processes, g.spanMs?.[0] ?? null),
    treeMore: Math.max(0, procTotal - pc.processes.length),
    files: filesTable(pc.files, g.spanMs?.[0] ?? null),
    network: withMore(networkTable(edges.filter((e) => e.scope !== 'outside'), maxRows), unfetched(edges, c.id)),
    outside: networkTable(edges.filter((e) => e.scope === 'outside' && e.client_id === c.id), maxRows),
    seccomp: seccompSummary(pc.syscallNames),
    // Shown as text for the reader to copy (escaped like everything else). The id prefix is plain
    // hex and exact, where a captured name may need quoting.
    seccompCommand: `contxray seccomp ${capArgs} --container ${/^[0-9a-f]{12,}$/.test(c.id) ? c.id.slice(0, 12) : shellQuote(clean(c.name, 200))} -o ${shellQuote(`${safeFile(c.name)}.json`)}`,
    topMore: Math.max(0, totalSys - Math.min(totalSys, TOP_SYSCALLS)),
  };
}

/** Edges of this container that the query's per-container cap left out. */
function unfetched(edges: Row[], id: string): number {
  const asClient = edges.find((e) => e.client_id === id);
  const asServer = edges.find((e) => e.server_id === id);
  return Math.max(0, num(asClient?.client_edges) + num(asServer?.server_edges) - edges.length);
}

function withMore(t: Table, extra: number): Table {
  return { ...t, more: t.more + extra };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function safeFile(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^[.-]+/, '').slice(0, 60) || 'container';
}

/** Parent/child order with depth; pids are reused, so a child attaches to the latest process with its ppid. */
function processTree(rows: Row[], day: number | null): TreeRow[] {
  interface Node { row: Row; children: Node[] }
  const latest = new Map<number, Node>();
  const roots: Node[] = [];
  for (const row of rows) {
    const node: Node = { row, children: [] };
    const parent = latest.get(num(row.ppid));
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
    latest.set(num(row.pid), node);
  }
  const out: TreeRow[] = [];
  // iterative depth-first walk: a long fork chain must not overflow the stack
  const stack: [Node, number][] = roots.reverse().map((n) => [n, 0]);
  while (stack.length > 0) {
    const [n, depth] = stack.pop()!;
    const r = n.row;
    const argv = Array.isArray(r.argv) && r.argv.length > 0 ? argvText(r.argv) : clean(r.comm, 40);
    const file = r.filename ? clean(r.filename, 200) : '';
    const detail = [
      file && (!Array.isArray(r.argv) || clean(r.argv[0], 200) !== file) ? file : '',
      fmtClock(optNum(r.start_ms), day),
      exitText(r.exit_code),
    ].filter(Boolean).join(' · ');
    out.push({ depth: Math.min(depth, MAX_DEPTH), pid: String(num(r.pid)), text: argv, detail });
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i]!, depth + 1]);
  }
  return out;
}

function exitText(code: unknown): string {
  if (code === null || code === undefined) return '';
  const status = num(code);
  const sig = status & 0x7f;
  return sig ? `killed by signal ${sig}` : `exit ${(status >> 8) & 0xff}`;
}

function filesTable(rows: Row[], day: number | null): Table {
  const total = num(rows[0]?.total);
  return {
    columns: [
      { label: 'path' }, { label: 'fs' }, { label: 'opens', num: true }, { label: 'modes' },
      { label: 'failures', num: true }, { label: 'errors' }, { label: 'processes' }, { label: 'first' },
    ],
    rows: rows.map((r) => {
      const path = clean(r.path, 4000);
      const modes = [
        num(r.reads) ? `read ${fmtInt(r.reads)}` : '',
        num(r.writes) ? `write ${fmtInt(r.writes)}` : '',
        num(r.creates) ? `create ${fmtInt(r.creates)}` : '',
        num(r.truncates) ? `truncate ${fmtInt(r.truncates)}` : '',
      ].filter(Boolean).join(', ');
      const errnos = Array.isArray(r.errnos) ? r.errnos.map(errnoName).join(', ') : '';
      const comms = Array.isArray(r.comms) ? r.comms.map((x) => clean(x, 20)).join(', ') + (num(r.n_comms) > r.comms.length ? ', …' : '') : '';
      return [
        path.length > 160 ? { text: clean(path, 160), title: path } : t(path + (r.truncated ? ' (cut by recorder)' : '')),
        t(clean(r.fs_type, 30)),
        t(fmtInt(r.opens), true),
        { text: modes, flag: num(r.writes) > 0 },
        { text: fmtInt(r.failures), num: true, flag: num(r.failures) > 0 },
        t(errnos),
        t(comms),
        { text: fmtClock(optNum(r.first_ms), day), nowrap: true },
      ];
    }),
    more: Math.max(0, total - rows.length),
    empty: 'no opens on host-shared filesystems were recorded',
  };
}

function networkTable(rows: Row[], maxRows: number): Table {
  const shown = rows.slice(0, maxRows);
  return {
    columns: [
      { label: 'client' }, { label: 'server' }, { label: 'port', num: true }, { label: 'scope' },
      { label: 'connections', num: true }, { label: 'failed', num: true }, { label: 'sent', num: true },
      { label: 'received', num: true }, { label: 'client processes' },
    ],
    rows: shown.map((r) => [
      t(clean(r.client, 80)),
      t(clean(r.server, 80)),
      t(String(num(r.port)), true),
      t(clean(r.scope, 20)),
      t(fmtInt(r.connections), true),
      { text: fmtInt(r.failures), num: true, flag: num(r.failures) > 0 },
      t(fmtBytes(r.bytes_sent), true),
      t(fmtBytes(r.bytes_received), true),
      t(Array.isArray(r.comms) ? r.comms.map((x) => clean(x, 20)).join(', ') : ''),
    ]),
    more: rows.length - shown.length,
    empty: 'none recorded',
  };
}
