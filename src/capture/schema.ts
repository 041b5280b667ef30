/**
 * The one declaration of every column in a contxray capture.
 *
 * A capture is a single Arrow IPC file with one flat, wide schema. Every record batch holds events
 * of exactly one kind; the columns that kind does not use are null in that batch (they compress to
 * a few bytes). The Arrow schema (`arrowSchema()`), the DuckDB table (`src/analyze/load.ts`), the
 * native decoder's column list (checked by test/unit/schema.test.ts) and the SQL views in
 * `queries/views.sql` all follow from, or are checked against, this table.
 *
 * Changing a column here is a format change: bump FORMAT_VERSION (minor for additions,
 * major for anything an older reader would misread) and update docs/capture-format.md.
 */

export const FORMAT_MAJOR = 1;
export const FORMAT_MINOR = 1; // 1.1: kind `resource` (cgroup v2 + network samples)
export const FORMAT_VERSION = `${FORMAT_MAJOR}.${FORMAT_MINOR}`;

/** Schema metadata keys. Everything needed offline travels in the file. */
export const META = {
  format: 'contxray.format', // "contxray"
  version: 'contxray.version', // "1.0"
  host: 'contxray.host', // JSON HostInfo
  syscalls: 'contxray.syscalls', // JSON SyscallTable
  options: 'contxray.options', // JSON recording options
  recorder: 'contxray.recorder', // JSON {version, started_at_ns}
} as const;

export const KINDS = [
  'syscall', // in-kernel aggregate: one row per (window, cgroup, pid, tid, program, nr, compat, filtered, denied_errno); a thread's rows before and after an exec carry their own comm
  'exec', // a successful execve/execveat (sched_process_exec)
  'fork', // a new process (not a thread); pid/tid = child, ppid = parent
  'exit', // a process exited (group leader); exit_code = raw wait status
  'open', // open/openat/openat2/creat, with the resulting fd or -errno
  'connect', // TCP client side: connect() result, local = client, remote = server
  'accept', // TCP server side: accept()/accept4() result, local = server, remote = client
  'close', // TCP connection closed, with duration and byte counts
  'container', // container metadata, written when first seen and when it changes / at the end
  'stats', // cumulative counters (events, drops, truncations), written at every flush and at the end
  'resource', // per recorded container and flush: cumulative cgroup v2 and network counters (read by the recorder, not BPF)
] as const;
export type Kind = (typeof KINDS)[number];

/** Logical column types; each maps to one Arrow type and one DuckDB type. */
export type ColumnType =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'i32'
  | 'i64'
  | 'bool'
  | 'timestamp' // ns since the Unix epoch, UTC (wall clock, comparable across hosts)
  | 'dict' // dictionary-encoded UTF-8 (int32 indices): strings that repeat
  | 'utf8' // plain UTF-8
  | 'utf8_list' // list<utf8>
  | 'addr'; // fixed_size_binary(16): IPv6, or IPv4 as ::ffff:a.b.c.d

export interface Column {
  name: string;
  type: ColumnType;
  /** Kinds that fill this column; '*' = every kind. Others leave it null. */
  kinds: readonly Kind[] | '*';
  doc: string;
  /**
   * String columns: the most UTF-8 bytes of one value (for lists: of one row's elements together)
   * the loader keeps; longer values are cut there and counted (docs/capture-format.md, "Limits").
   * Mostly 3 × the recorder's own limit, since each invalid byte it repairs becomes 3-byte U+FFFD.
   */
  maxBytes?: number;
  /** List columns: the most elements of one row the loader keeps (the rest are cut and counted). */
  maxItems?: number;
}

const ALL = '*' as const;

/** The resource columns, in order: where each comes from (src/record/resources.ts reads them). */
export const RESOURCE_FIELDS = [
  { name: 'cpu_usage_usec', doc: 'cpu.stat usage_usec (cumulative)' },
  { name: 'cpu_user_usec', doc: 'cpu.stat user_usec (cumulative)' },
  { name: 'cpu_system_usec', doc: 'cpu.stat system_usec (cumulative)' },
  { name: 'cpu_nr_throttled', doc: 'cpu.stat nr_throttled: periods throttled (cumulative)' },
  { name: 'cpu_throttled_usec', doc: 'cpu.stat throttled_usec (cumulative)' },
  { name: 'memory_current', doc: 'memory.current: bytes in use now' },
  { name: 'memory_anon', doc: 'memory.stat anon: anonymous bytes now' },
  { name: 'memory_file', doc: 'memory.stat file: page cache bytes now' },
  { name: 'memory_peak', doc: 'memory.peak: highest memory.current (kernel ≥ 5.19)' },
  { name: 'io_rbytes', doc: 'io.stat rbytes summed over devices (cumulative)' },
  { name: 'io_wbytes', doc: 'io.stat wbytes summed over devices (cumulative)' },
  { name: 'io_rios', doc: 'io.stat rios summed over devices (cumulative)' },
  { name: 'io_wios', doc: 'io.stat wios summed over devices (cumulative)' },
  { name: 'pids_current', doc: 'pids.current: tasks now' },
  { name: 'net_rx_bytes', doc: '/proc/PID/net/dev receive bytes, every interface but lo (cumulative)' },
  { name: 'net_tx_bytes', doc: '/proc/PID/net/dev transmit bytes, every interface but lo (cumulative)' },
  { name: 'net_rx_packets', doc: '/proc/PID/net/dev receive packets, every interface but lo (cumulative)' },
  { name: 'net_tx_packets', doc: '/proc/PID/net/dev transmit packets, every interface but lo (cumulative)' },
] as const;
export type ResourceField = (typeof RESOURCE_FIELDS)[number]['name'];
const KiB = 1024;
const PROC: readonly Kind[] = ['syscall', 'exec', 'fork', 'exit', 'open', 'connect', 'accept', 'close'];
const NET: readonly Kind[] = ['connect', 'accept', 'close'];

export const COLUMNS: readonly Column[] = [
  { name: 'kind', type: 'dict', kinds: ALL, maxBytes: 64, doc: 'event kind, one of KINDS' },
  { name: 'ts', type: 'timestamp', kinds: ALL, doc: 'event time; for syscall aggregates the window start' },
  { name: 'cgroup_id', type: 'u64', kinds: [...PROC, 'container', 'resource'], doc: 'cgroup v2 id (inode of the cgroup directory)' },
  { name: 'pid', type: 'u32', kinds: PROC, doc: 'process id (tgid) in the host pid namespace' },
  { name: 'tid', type: 'u32', kinds: PROC, doc: 'thread id in the host pid namespace' },
  { name: 'comm', type: 'dict', kinds: PROC, maxBytes: 48, doc: 'task comm (16 bytes max, from the kernel)' },
  // syscall aggregates
  { name: 'syscall_nr', type: 'i32', kinds: ['syscall', 'open'], doc: 'syscall number of the recorded arch (or compat arch)' },
  { name: 'compat', type: 'bool', kinds: ['syscall'], doc: 'true for a compat (ia32 on x86_64, aarch32 on arm64) syscall' },
  { name: 'filtered', type: 'bool', kinds: ['syscall'], doc: 'the task was under a seccomp filter when it made the call' },
  { name: 'count', type: 'u64', kinds: ['syscall'], doc: 'calls that entered the syscall in this window' },
  { name: 'errors', type: 'u64', kinds: ['syscall'], doc: 'of those, calls that returned a negative errno' },
  { name: 'denied', type: 'u64', kinds: ['syscall'], doc: 'calls stopped before entry (seccomp): seen at sys_exit only' },
  { name: 'denied_errno', type: 'i32', kinds: ['syscall'], doc: 'errno returned to the denied calls (0 if none)' },
  // processes
  { name: 'ppid', type: 'u32', kinds: ['exec', 'fork'], doc: 'parent process id' },
  { name: 'uid', type: 'u32', kinds: ['exec', 'open', 'connect', 'accept'], doc: 'real uid' },
  { name: 'filename', type: 'dict', kinds: ['exec'], maxBytes: 2 * KiB, doc: 'the executed file as passed to exec' },
  { name: 'argv', type: 'utf8_list', kinds: ['exec'], maxBytes: 48 * KiB, maxItems: 16384, doc: 'full argument vector (see truncated)' },
  { name: 'exit_code', type: 'i32', kinds: ['exit'], doc: 'raw wait status: exit code << 8 | signal' },
  // files
  { name: 'path', type: 'dict', kinds: ['open'], maxBytes: 12 * KiB, doc: 'path as the process saw it, absolute when resolvable' },
  { name: 'open_flags', type: 'u32', kinds: ['open'], doc: 'O_* flags' },
  { name: 'fs_type', type: 'dict', kinds: ['open'], maxBytes: 256, doc: 'filesystem type of the opened file (s_type->name)' },
  { name: 'fs_magic', type: 'u64', kinds: ['open'], doc: 'superblock magic of the opened file' },
  { name: 'ret', type: 'i64', kinds: ['open', 'connect', 'accept'], doc: 'result: fd or 0, or -errno' },
  { name: 'truncated', type: 'bool', kinds: ['exec', 'open'], doc: 'argv or path was cut at the recorder limit' },
  // network
  { name: 'protocol', type: 'u8', kinds: NET, doc: 'IP protocol (6 = TCP)' },
  { name: 'family', type: 'u16', kinds: NET, doc: 'socket family: 2 = AF_INET, 10 = AF_INET6' },
  { name: 'laddr', type: 'addr', kinds: NET, doc: 'local address (IPv4 as ::ffff:a.b.c.d)' },
  { name: 'lport', type: 'u16', kinds: NET, doc: 'local port' },
  { name: 'raddr', type: 'addr', kinds: NET, doc: 'remote address' },
  { name: 'rport', type: 'u16', kinds: NET, doc: 'remote port' },
  { name: 'sock_cookie', type: 'u64', kinds: NET, doc: 'socket cookie: joins connect/accept/close of one socket' },
  { name: 'duration_ns', type: 'u64', kinds: ['close'], doc: 'time from establishment to close' },
  { name: 'bytes_sent', type: 'u64', kinds: ['close'], doc: 'bytes acked by the peer' },
  { name: 'bytes_received', type: 'u64', kinds: ['close'], doc: 'bytes received' },
  // containers
  { name: 'container_id', type: 'dict', kinds: ['container'], maxBytes: 256, doc: 'full container id' },
  { name: 'container_name', type: 'dict', kinds: ['container'], maxBytes: 4 * KiB, doc: 'name given by the runtime' },
  { name: 'image', type: 'dict', kinds: ['container'], maxBytes: 4 * KiB, doc: 'image name' },
  { name: 'runtime', type: 'dict', kinds: ['container'], maxBytes: 256, doc: 'docker, containerd, cri-o, podman, kubernetes, …' },
  { name: 'cgroup_path', type: 'dict', kinds: ['container'], maxBytes: 12 * KiB, doc: 'cgroup v2 path' },
  { name: 'ips', type: 'utf8_list', kinds: ['container'], maxBytes: 4 * KiB, maxItems: 256, doc: 'container IP addresses' },
  { name: 'labels', type: 'utf8', kinds: ['container'], maxBytes: 64 * KiB, doc: 'labels as a JSON object' },
  { name: 'started_at', type: 'timestamp', kinds: ['container'], doc: 'when the runtime started the container' },
  { name: 'first_seen', type: 'timestamp', kinds: ['container'], doc: 'first event seen from it in this capture' },
  { name: 'last_seen', type: 'timestamp', kinds: ['container'], doc: 'last event seen from it so far' },
  // counters
  { name: 'stat_name', type: 'dict', kinds: ['stats'], maxBytes: 256, doc: 'counter name, e.g. events.exec, drops.ringbuf' },
  { name: 'stat_value', type: 'u64', kinds: ['stats'], doc: 'cumulative value at ts' },
  // resource samples: cumulative or current values as the kernel reports them; null = file or field absent
  ...RESOURCE_FIELDS.map((f): Column => ({ name: f.name, type: 'u64', kinds: ['resource'], doc: f.doc })),
];

export function columnsOf(kind: Kind): Column[] {
  return COLUMNS.filter((c) => c.kinds === '*' || c.kinds.includes(kind));
}

/** What the recording host was. */
export interface HostInfo {
  hostname: string;
  kernel: string;
  arch: string; // uname -m: x86_64, aarch64
  boot_time_ns: string; // decimal ns since epoch
  machine_id?: string;
}

export type { SyscallTable } from '../syscalls/index.js';
