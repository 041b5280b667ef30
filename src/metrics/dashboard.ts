/**
 * The Grafana dashboard for the metric families, built with @grafana/grafana-foundation-sdk's typed
 * builders. Every panel and target points at the `datasource` template variable (never a fixed uid,
 * never a `${DS_…}` import input, which file provisioning leaves unresolved); `host` and `container`
 * narrow every query. Layout is ours: the SDK places nothing and validates nothing.
 */
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';

export const DASHBOARD_UID = 'contxray-containers';
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Container-scoped selector: every container panel filters by both variables. */
const SEL = 'host=~"$host", container=~"$container"';

interface Target {
  expr: string;
  legend: string;
  /** Instant query (tables, top-N bars) rather than a range. */
  instant?: boolean;
}

interface PanelSpec {
  title: string;
  description: string;
  viz: 'timeseries' | 'bargauge' | 'table';
  unit: string;
  targets: Target[];
}

export const PANELS: readonly PanelSpec[] = [
  {
    title: 'Syscall rate per container',
    description: 'System calls per second, per container (contxray_syscalls_total)',
    viz: 'timeseries',
    unit: 'ops',
    targets: [{ expr: `sum by (host, container) (rate(contxray_syscalls_total{${SEL}}[$__rate_interval]))`, legend: '{{container}} @ {{host}}' }],
  },
  {
    title: 'Top syscalls',
    description: 'The 15 most frequent syscalls over the dashboard time range',
    viz: 'bargauge',
    unit: 'short',
    targets: [{ expr: `topk(15, sum by (syscall) (increase(contxray_syscalls_total{${SEL}}[$__range])))`, legend: '{{syscall}}', instant: true }],
  },
  {
    title: 'Syscall errors and seccomp denials',
    description: 'Calls returning an error, and calls a seccomp filter stopped, per second',
    viz: 'timeseries',
    unit: 'ops',
    targets: [
      { expr: `sum by (container, syscall) (rate(contxray_syscall_errors_total{${SEL}}[$__rate_interval]))`, legend: 'error {{container}} {{syscall}}' },
      { expr: `sum by (container, syscall) (rate(contxray_seccomp_denied_total{${SEL}}[$__rate_interval]))`, legend: 'denied {{container}} {{syscall}}' },
    ],
  },
  {
    title: 'Process executions',
    description: 'execve calls (and forks, exits) per interval, per container',
    viz: 'timeseries',
    unit: 'short',
    targets: [
      { expr: `sum by (container) (increase(contxray_execs_total{${SEL}}[$__rate_interval]))`, legend: 'exec {{container}}' },
      { expr: `sum by (container) (increase(contxray_forks_total{${SEL}}[$__rate_interval]))`, legend: 'fork {{container}}' },
      { expr: `sum by (container) (increase(contxray_exits_total{${SEL}}[$__rate_interval]))`, legend: 'exit {{container}}' },
    ],
  },
  {
    title: 'File opens by filesystem',
    description: 'Recorded file opens per second by filesystem type, and failed opens',
    viz: 'timeseries',
    unit: 'ops',
    targets: [
      { expr: `sum by (container, fs_type) (rate(contxray_file_opens_total{${SEL}}[$__rate_interval]))`, legend: '{{container}} {{fs_type}}' },
      { expr: `sum by (container) (rate(contxray_file_open_failures_total{${SEL}}[$__rate_interval]))`, legend: 'failed {{container}}' },
    ],
  },
  {
    title: 'Connections between containers',
    description: 'Outbound TCP connections over the time range: container → peer container ("external", "host" outside the recorded ones)',
    viz: 'table',
    unit: 'short',
    targets: [{ expr: `sum by (container, peer_container) (increase(contxray_tcp_connections_total{${SEL}, direction="outbound"}[$__range]))`, legend: '{{container}} → {{peer_container}}', instant: true }],
  },
  {
    title: 'TCP connection rate',
    description: 'Connections per second by direction and peer',
    viz: 'timeseries',
    unit: 'ops',
    targets: [{ expr: `sum by (container, direction, peer_container) (rate(contxray_tcp_connections_total{${SEL}}[$__rate_interval]))`, legend: '{{container}} {{direction}} {{peer_container}}' }],
  },
  {
    title: 'CPU',
    description: 'CPU cores used per container (user + system, from cgroup cpu.stat), and time throttled by a CPU limit',
    viz: 'timeseries',
    unit: 'short',
    targets: [
      { expr: `sum by (container) (rate(contxray_cpu_seconds_total{${SEL}}[$__rate_interval]))`, legend: '{{container}}' },
      { expr: `sum by (container) (rate(contxray_cpu_throttled_seconds_total{${SEL}}[$__rate_interval]))`, legend: 'throttled {{container}}' },
    ],
  },
  {
    title: 'Memory',
    description: 'Memory in use per container (memory.current) and its anonymous part',
    viz: 'timeseries',
    unit: 'bytes',
    targets: [
      { expr: `sum by (container) (contxray_memory_usage_bytes{${SEL}})`, legend: '{{container}}' },
      { expr: `sum by (container) (contxray_memory_stat_bytes{${SEL}, type="anon"})`, legend: 'anon {{container}}' },
    ],
  },
  {
    title: 'Network',
    description: "Bytes per second through each container's interfaces (except lo), receive and transmit",
    viz: 'timeseries',
    unit: 'Bps',
    targets: [{ expr: `sum by (container, direction) (rate(contxray_network_bytes_total{${SEL}}[$__rate_interval]))`, legend: '{{container}} {{direction}}' }],
  },
  {
    title: 'Disk I/O and tasks',
    description: 'Block I/O bytes per second (io.stat) and tasks (pids.current) per container',
    viz: 'timeseries',
    unit: 'short',
    targets: [
      { expr: `sum by (container, direction) (rate(contxray_io_bytes_total{${SEL}}[$__rate_interval]))`, legend: 'io {{direction}} {{container}}' },
      { expr: `sum by (container) (contxray_pids{${SEL}})`, legend: 'tasks {{container}}' },
    ],
  },
  {
    title: 'Recorder drops and truncations',
    description: 'Events the recorder lost and values it cut, per interval (should stay at 0)',
    viz: 'timeseries',
    unit: 'short',
    targets: [
      { expr: 'sum by (host, reason) (increase(contxray_recorder_drops_total{host=~"$host"}[$__rate_interval]))', legend: 'drop {{reason}} @ {{host}}' },
      { expr: 'sum by (host, reason) (increase(contxray_recorder_truncations_total{host=~"$host"}[$__rate_interval]))', legend: 'truncated {{reason}} @ {{host}}' },
    ],
  },
  {
    title: 'Recorded events by kind',
    description: 'Events the recorder handled per second, by kind',
    viz: 'timeseries',
    unit: 'ops',
    targets: [{ expr: 'sum by (host, kind) (rate(contxray_recorder_events_total{host=~"$host"}[$__rate_interval]))', legend: '{{kind}} @ {{host}}' }],
  },
  {
    title: 'Containers',
    description: 'Recorded containers: id, name, image, runtime',
    viz: 'table',
    unit: 'none',
    targets: [{ expr: `max by (host, container_id, container, image, runtime) (last_over_time(contxray_container_info{${SEL}}[$__range]))`, legend: '{{container}}', instant: true }],
  },
];

const WIDTH = 12;
const HEIGHT = 8;

function query(t: Target, i: number) {
  const q = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + i))
    .expr(t.expr)
    .legendFormat(t.legend);
  if (t.instant) q.instant().format(PromQueryFormat.Table);
  else q.range();
  return q;
}

function panel(spec: PanelSpec, index: number) {
  const b = spec.viz === 'timeseries' ? new TimeseriesPanel() : spec.viz === 'bargauge' ? new BarGaugePanel() : new TablePanel();
  b.id(index + 1)
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .gridPos({ x: (index % 2) * WIDTH, y: Math.floor(index / 2) * HEIGHT, w: WIDTH, h: HEIGHT });
  if (b instanceof BarGaugePanel) b.reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  spec.targets.forEach((t, i) => b.withTarget(query(t, i)));
  return b;
}

export function buildDashboard(): Dashboard {
  const d = new DashboardBuilder('contxray: containers')
    .uid(DASHBOARD_UID)
    .tags(['contxray', 'containers', 'ebpf'])
    .time({ from: 'now-6h', to: 'now' })
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('host')
        .label('Host')
        .datasource(DATASOURCE)
        .query('label_values(contxray_container_info, host)')
        .definition('label_values(contxray_container_info, host)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(
      new QueryVariableBuilder('container')
        .label('Container')
        .datasource(DATASOURCE)
        .query('label_values(contxray_container_info{host=~"$host"}, container)')
        .definition('label_values(contxray_container_info{host=~"$host"}, container)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    );
  PANELS.forEach((spec, i) => d.withPanel(panel(spec, i)));
  return d.build();
}
