/**
 * Vega-lite specs built from query rows. Data is inlined (no loaders, no network), strings are
 * cleaned and cut for labels, and every chart stays readable in greyscale: bars carry their
 * numbers, line series differ in dash pattern as well as colour.
 */
import type { Row } from './types.js';
import { clean, num } from './values.js';
import { EXEC_SERIES } from './gather.js';

type Spec = Record<string, unknown>;

const WIDTH = 620;
const LABEL = 60; // characters kept in an axis/legend label

const CONFIG = {
  // aria labels repeat every datum as text in the SVG; the HTML around each chart describes it instead
  aria: false,
  font: 'system-ui, -apple-system, "Segoe UI", sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, labelLimit: 260, grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 260, orient: 'bottom', columns: 4 },
  background: 'white',
};

const TIME_X = { field: 't', type: 'temporal', title: 'time (UTC)', scale: { type: 'utc' }, axis: { format: '%H:%M:%S', labelOverlap: true } };

function base(description: string, extra: Spec): Spec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', description, width: WIDTH, config: CONFIG, ...extra };
}

/** Top syscalls as horizontal bars: calls that succeeded, failed, or were denied, with the totals written out. */
export function topSyscallsSpec(rows: Row[]): Spec {
  const data = rows.flatMap((r) => {
    const s = clean(r.syscall, LABEL);
    const calls = num(r.calls);
    const errors = num(r.errors);
    const denied = num(r.denied);
    const label = `${calls.toLocaleString('en-US')}${errors ? ` (${errors.toLocaleString('en-US')} err)` : ''}${denied ? ` (${denied.toLocaleString('en-US')} denied)` : ''}`;
    return [
      { s, o: '1 ok', n: Math.max(0, calls - errors), total: calls, label },
      { s, o: '2 error returned', n: errors, total: calls, label },
      { s, o: '3 denied by seccomp', n: denied, total: calls, label },
    ].filter((d) => d.n > 0 || d.o === '1 ok');
  });
  const y = { field: 's', type: 'nominal', title: null, sort: { field: 'total', op: 'max', order: 'descending' } };
  return base('Most frequent syscalls', {
    height: { step: 16 },
    data: { values: data },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y,
          x: { field: 'n', type: 'quantitative', aggregate: 'sum', stack: 'zero', title: 'calls' },
          color: {
            field: 'o',
            type: 'nominal',
            title: null,
            // dark / light / mid: tell apart without colour too
            scale: { domain: ['1 ok', '2 error returned', '3 denied by seccomp'], range: ['#3b6a98', '#f2b45a', '#b0413e'] },
            legend: { labelExpr: 'slice(datum.label, 2)' },
          },
          order: { field: 'o' },
          tooltip: [{ field: 's', title: 'syscall' }, { field: 'label', title: 'calls' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
        transform: [{ filter: "datum.o == '1 ok'" }],
        encoding: { y, x: { field: 'total', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  });
}

/** Calls per time bucket for the busiest syscalls (plus "(other)"). */
export function syscallsOverTimeSpec(rows: Row[], bucketMs: number): Spec {
  const data = rows.map((r) => ({ t: num(r.t_ms), s: clean(r.syscall, LABEL), n: num(r.calls) }));
  const enc = { field: 's', type: 'nominal', title: null };
  return base(`Syscall calls per ${bucketMs / 1000} s`, {
    height: 200,
    data: { values: data },
    mark: { type: 'line', point: data.length < 40 },
    encoding: {
      x: TIME_X,
      // buckets without calls are zero, not a line drawn across the gap
      y: { field: 'n', type: 'quantitative', title: `calls per ${bucketMs / 1000} s`, impute: { value: 0 } },
      color: enc,
      strokeDash: enc,
      tooltip: [{ field: 's', title: 'syscall' }, { field: 'n', title: 'calls', format: ',' }, { field: 't', type: 'temporal', title: 'from', format: '%H:%M:%S', scale: { type: 'utc' } }],
    },
  });
}

/** CPU, memory and network of one container from its resource samples: one row per measure, own y scale. */
export function resourcesSpec(rows: Row[], bucketMs: number): Spec {
  const data = rows.map((r) => ({ t: num(r.t_ms), m: clean(r.metric, LABEL), v: Number(r.value) }));
  return base(`CPU, memory and network per ${bucketMs / 1000} s`, {
    data: { values: data },
    facet: { row: { field: 'm', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: WIDTH,
      height: 90,
      mark: { type: 'line', point: data.length < 40 },
      encoding: {
        x: TIME_X,
        y: { field: 'v', type: 'quantitative', title: null },
        tooltip: [{ field: 'm', title: 'measure' }, { field: 'v', title: 'value', format: ',.3~f' }, { field: 't', type: 'temporal', title: 'from', format: '%H:%M:%S', scale: { type: 'utc' } }],
      },
    },
  });
}

/** When each program was executed: one row per program, dot size = execs in the bucket. */
export function execTimelineSpec(rows: Row[], bucketMs: number): Spec {
  const data = rows.map((r) => ({ t: num(r.t_ms), p: clean(r.program, LABEL), n: num(r.execs) }));
  return base(`Program executions per ${bucketMs / 1000} s (busiest ${EXEC_SERIES} programs, the rest as other)`, {
    height: { step: 18 },
    data: { values: data },
    mark: { type: 'circle', opacity: 0.8, color: '#3b6a98' },
    encoding: {
      x: TIME_X,
      y: { field: 'p', type: 'nominal', title: null, sort: { field: 't', op: 'min' } },
      // a size legend only means something when some bucket holds more than one exec
      size: { field: 'n', type: 'quantitative', title: 'execs', scale: { range: [40, 400] }, legend: data.some((d) => d.n > 1) ? { format: 'd', tickMinStep: 1 } : null },
      tooltip: [{ field: 'p', title: 'program' }, { field: 'n', title: 'execs' }, { field: 't', type: 'temporal', title: 'from', format: '%H:%M:%S', scale: { type: 'utc' } }],
    },
  });
}

/** Who talked to whom: clients down the side, servers across, the ports used written in each cell. */
export function networkMapSpec(edges: Row[], focus: string): Spec {
  const cells = new Map<string, { c: string; s: string; n: number; f: number; ports: Set<number> }>();
  for (const e of edges) {
    const c = clean(e.client, 40);
    const s = clean(e.server, 40);
    const k = `${c}\u0000${s}`;
    const cell = cells.get(k) ?? { c, s, n: 0, f: 0, ports: new Set<number>() };
    cell.n += num(e.connections);
    cell.f += num(e.failures);
    cell.ports.add(num(e.port));
    cells.set(k, cell);
  }
  const data = [...cells.values()].slice(0, 400).map((x) => ({ c: x.c, s: x.s, n: x.n, f: x.f, p: portsLabel([...x.ports]) }));
  return base(`TCP connections to and from ${focus}; cells list the server ports`, {
    height: { step: 24 },
    width: { step: 96 },
    data: { values: data },
    encoding: {
      x: { field: 's', type: 'nominal', title: 'server', axis: { labelLimit: 160, labelAngle: -30, grid: false } },
      y: { field: 'c', type: 'nominal', title: 'client', axis: { labelLimit: 200, grid: false } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#666', strokeWidth: 0.5 },
        encoding: {
          color: { field: 'n', type: 'quantitative', title: 'connections', scale: { type: 'log', range: ['#eef3f8', '#7aa3c8'] }, legend: null },
          tooltip: [{ field: 'c', title: 'client' }, { field: 's', title: 'server' }, { field: 'p', title: 'ports' }, { field: 'n', title: 'connections' }, { field: 'f', title: 'failed' }],
        },
      },
      { mark: { type: 'text', fontSize: 10, limit: 92 }, encoding: { text: { field: 'p' } } },
    ],
  });
}

function portsLabel(ports: number[]): string {
  ports.sort((a, b) => a - b);
  if (ports.length <= 3) return ports.map((p) => `:${p}`).join(' ');
  return `:${ports[0]}…${ports[ports.length - 1]} (${ports.length})`;
}

/** Overview: syscall calls per container, to see at a glance which one was busiest. */
export function containersActivitySpec(rows: { name: string; calls: number }[]): Spec {
  const data = rows.map((r) => ({ c: clean(r.name, LABEL), n: r.calls }));
  return base('Syscall calls per container', {
    height: { step: 16 },
    data: { values: data },
    layer: [
      { mark: { type: 'bar', color: '#3b6a98' }, encoding: { y: { field: 'c', type: 'nominal', title: null, sort: { field: 'n', op: 'max', order: 'descending' } }, x: { field: 'n', type: 'quantitative', title: 'syscall calls' } } },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
        encoding: { y: { field: 'c', type: 'nominal', sort: { field: 'n', op: 'max', order: 'descending' } }, x: { field: 'n', type: 'quantitative' }, text: { field: 'n', type: 'quantitative', format: ',' } },
      },
    ],
  });
}
