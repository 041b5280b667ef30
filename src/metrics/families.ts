/**
 * The one declaration of every contxray metric family: name, type, help and label names.
 *
 * Both exporters follow from this table: the offline OpenMetrics writer (`contxray metrics`,
 * src/metrics/openmetrics.ts) and the live exporter (`record --metrics`, a prom-client registry
 * built by `promClientMetric()` below). Counter names end in `_total` as samples; OpenMetrics
 * declares the family without it (`# TYPE contxray_syscalls counter`), which prom-client does too.
 *
 * Labels are bounded by construction: no argv, path, pid, address or port ever becomes a label.
 * Container names and ids come from the containers themselves (hostile): see labels.ts.
 */
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';

export type FamilyType = 'counter' | 'gauge';

export interface Family {
  /** Sample name as scraped (counters end in `_total`). */
  name: string;
  type: FamilyType;
  help: string;
  labels: readonly string[];
  /** The key the offline SQL (queries/metrics/*.sql) emits this family under. */
  key: string;
  /** Values are kept as integers of 1/divisor of the unit (CPU µs → seconds: 1_000_000). */
  divisor?: number;
}

const C = ['host', 'container_id', 'container'] as const;

export const FAMILIES: readonly Family[] = [
  { key: 'container_info', name: 'contxray_container_info', type: 'gauge', labels: [...C, 'image', 'runtime'], help: 'Recorded container (always 1): its id, name, image and runtime' },
  { key: 'syscalls', name: 'contxray_syscalls_total', type: 'counter', labels: [...C, 'syscall'], help: 'System calls made by the container, by syscall name' },
  { key: 'syscall_errors', name: 'contxray_syscall_errors_total', type: 'counter', labels: [...C, 'syscall'], help: 'System calls that returned an error (negative errno)' },
  { key: 'seccomp_denied', name: 'contxray_seccomp_denied_total', type: 'counter', labels: [...C, 'syscall'], help: 'System calls stopped by a seccomp filter before they ran' },
  { key: 'execs', name: 'contxray_execs_total', type: 'counter', labels: [...C], help: 'Successful execve/execveat calls' },
  { key: 'forks', name: 'contxray_forks_total', type: 'counter', labels: [...C], help: 'New processes (not threads)' },
  { key: 'exits', name: 'contxray_exits_total', type: 'counter', labels: [...C], help: 'Processes that exited' },
  { key: 'file_opens', name: 'contxray_file_opens_total', type: 'counter', labels: [...C, 'fs_type'], help: 'Recorded file opens, by filesystem type of the opened file' },
  { key: 'file_open_failures', name: 'contxray_file_open_failures_total', type: 'counter', labels: [...C], help: 'Recorded file opens that failed' },
  {
    key: 'tcp_connections',
    name: 'contxray_tcp_connections_total',
    type: 'counter',
    labels: [...C, 'direction', 'peer_container'],
    help: 'TCP connections: outbound (connect) or inbound (accept), by peer container name (external or host outside the recorded containers)',
  },
  // resource samples (capture kind `resource`): cgroup v2 and network-namespace counters
  { key: 'cpu_seconds', name: 'contxray_cpu_seconds_total', type: 'counter', labels: [...C, 'mode'], divisor: 1e6, help: 'CPU time used by the container (cgroup cpu.stat), user or system' },
  { key: 'cpu_throttled_seconds', name: 'contxray_cpu_throttled_seconds_total', type: 'counter', labels: [...C], divisor: 1e6, help: 'Time the container was throttled by its CPU limit (cpu.stat throttled_usec)' },
  { key: 'cpu_throttled_periods', name: 'contxray_cpu_throttled_periods_total', type: 'counter', labels: [...C], help: 'CPU periods in which the container was throttled (cpu.stat nr_throttled)' },
  { key: 'memory_usage_bytes', name: 'contxray_memory_usage_bytes', type: 'gauge', labels: [...C], help: 'Memory in use by the container (memory.current)' },
  { key: 'memory_peak_bytes', name: 'contxray_memory_peak_bytes', type: 'gauge', labels: [...C], help: 'Highest memory use of the container so far (memory.peak, kernel 5.19+)' },
  { key: 'memory_stat_bytes', name: 'contxray_memory_stat_bytes', type: 'gauge', labels: [...C, 'type'], help: 'Container memory by type from memory.stat: anon or file (page cache)' },
  { key: 'io_bytes', name: 'contxray_io_bytes_total', type: 'counter', labels: [...C, 'direction'], help: 'Block I/O bytes of the container (io.stat, all devices), read or write' },
  { key: 'io_operations', name: 'contxray_io_operations_total', type: 'counter', labels: [...C, 'direction'], help: 'Block I/O operations of the container (io.stat, all devices), read or write' },
  { key: 'pids', name: 'contxray_pids', type: 'gauge', labels: [...C], help: 'Tasks in the container (pids.current)' },
  { key: 'network_bytes', name: 'contxray_network_bytes_total', type: 'counter', labels: [...C, 'direction'], help: "Bytes through the container's network interfaces except lo, receive or transmit" },
  { key: 'network_packets', name: 'contxray_network_packets_total', type: 'counter', labels: [...C, 'direction'], help: "Packets through the container's network interfaces except lo, receive or transmit" },
  { key: 'recorder_events', name: 'contxray_recorder_events_total', type: 'counter', labels: ['host', 'kind'], help: 'Events the recorder handled, by event kind' },
  { key: 'recorder_drops', name: 'contxray_recorder_drops_total', type: 'counter', labels: ['host', 'reason'], help: 'Events the recorder lost, by reason (ring buffer full, native queue, ...)' },
  { key: 'recorder_truncations', name: 'contxray_recorder_truncations_total', type: 'counter', labels: ['host', 'reason'], help: 'Values the recorder cut at its limits (argv, path, ...)' },
];

/** Families only the live exporter has (about the recorder process itself, not the captured events). */
export const LIVE_FAMILIES: readonly Family[] = [
  { key: 'recorder_capture_bytes', name: 'contxray_recorder_capture_bytes_total', type: 'counter', labels: ['host'], help: 'Bytes the recorder wrote to the capture file' },
  { key: 'recorder_flush_duration', name: 'contxray_recorder_flush_duration_seconds', type: 'gauge', labels: ['host'], help: 'How long the last flush took (syscall aggregates, resource samples, counters, fsync)' },
  { key: 'ringbuf_size', name: 'contxray_ringbuf_size_bytes', type: 'gauge', labels: ['host'], help: 'Size of the BPF ring buffer that carries events to the recorder' },
  { key: 'ringbuf_used', name: 'contxray_ringbuf_used_bytes', type: 'gauge', labels: ['host'], help: 'Bytes in the BPF ring buffer not yet read by the recorder, at the last flush' },
  {
    key: 'ringbuf_peak_used',
    name: 'contxray_ringbuf_peak_used_bytes',
    type: 'gauge',
    labels: ['host'],
    help: 'Most bytes the BPF ring buffer held between the last two flushes (sampled before each read, about every 10 ms); events drop when it reaches the size',
  },
  { key: 'metrics_containers', name: 'contxray_metrics_containers', type: 'gauge', labels: ['host'], help: 'Containers that have series on this endpoint now' },
  { key: 'metrics_containers_overflow', name: 'contxray_metrics_containers_overflow_total', type: 'counter', labels: ['host'], help: 'Containers left out of this endpoint because --metrics-max-containers was reached' },
];

export const FAMILY_BY_KEY: ReadonlyMap<string, Family> = new Map(FAMILIES.map((f) => [f.key, f]));

/** An integer sample value in the family's unit, as exact decimal text (µs 1500000 → "1.5"). */
export function valueText(f: Family, v: bigint): string {
  if (!f.divisor) return v.toString();
  const d = BigInt(f.divisor);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = (a % d).toString().padStart(String(f.divisor).length - 1, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / d}${frac ? '.' + frac : ''}`;
}

/** The family name OpenMetrics declares in `# TYPE`/`# HELP`: counters without `_total`. */
export function familyName(f: Family): string {
  return f.type === 'counter' ? f.name.replace(/_total$/, '') : f.name;
}

/** The same family as a prom-client metric in `registry` (for the live exporter). */
export function promClientMetric(f: Family, registry: Registry<RegistryContentType>): Counter<string> | Gauge<string> {
  const config = { name: f.name, help: f.help, labelNames: [...f.labels], registers: [registry] };
  return f.type === 'counter' ? new Counter(config) : new Gauge(config);
}
