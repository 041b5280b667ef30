/**
 * A realistic synthetic capture of any size, for benchmarks and fuzzing: mostly in-kernel syscall
 * aggregates (one row per window × container × thread × syscall), with exec, fork/exit, open and
 * TCP events from a handful of containers. Deterministic for a given seed. Writes typed columns
 * straight into CaptureWriter, the same path the recorder takes.
 */
import { CaptureWriter } from '../../src/capture/writer.js';
import { batch } from './events.js';
import { defaultHost } from './fixture.js';
import { syscallTableFor } from '../../src/syscalls/index.js';
import { parseAddress } from '../../src/capture/addr.js';

export interface SyntheticOptions {
  events: number;
  containers?: number;
  seed?: number;
  hostname?: string;
  startNs?: bigint;
  force?: boolean;
}

/** Share of each event kind; the rest are syscall aggregates. */
const MIX = { exec: 0.004, fork: 0.004, exit: 0.004, open: 0.012, connect: 0.002, accept: 0.002, close: 0.002 };
const COMMON = [0, 1, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 20, 21, 23, 28, 39, 41, 42, 43, 44, 45, 46, 47, 49, 50, 51, 54, 55, 56, 59, 60, 61, 62, 72, 79, 89, 96, 102, 158, 202, 218, 228, 230, 231, 232, 233, 257, 262, 270, 273, 281, 288, 291, 302, 318, 334];
const COMMS = ['nginx', 'node', 'python3', 'sh', 'busybox', 'postgres', 'redis-server', 'java', 'httpd', 'wget'];
const PATHS = ['/etc/hosts', '/etc/resolv.conf', '/proc/self/status', '/sys/fs/cgroup/memory.max', '/data/shared/config.yml', '/dev/null', '/var/run/docker.sock', '/proc/sys/kernel/hostname'];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export async function writeSyntheticCapture(path: string, opts: SyntheticOptions): Promise<{ events: number; bytes: number }> {
  const random = rng(opts.seed ?? 42);
  const nContainers = opts.containers ?? 8;
  const start = opts.startNs ?? 1_764_000_000_000_000_000n;
  const host = defaultHost({ hostname: opts.hostname ?? 'synthetic-host' });
  const writer = await CaptureWriter.create(
    path,
    { host, syscalls: syscallTableFor('x86_64'), options: { source: 'synthetic', events: opts.events }, recorder: { version: 'synthetic', started_at_ns: String(start) } },
    { force: opts.force ?? true },
  );
  const cgroups = Array.from({ length: nContainers }, (_, i) => BigInt(5000 + i));
  const ids = cgroups.map((_, i) => (i.toString(16).padStart(2, '0') + 'c0ffee').repeat(8).slice(0, 64));
  writer.writeBatch('container', nContainers, batch('container', nContainers, {
    ts: cgroups.map(() => start),
    cgroup_id: cgroups,
    container_id: ids,
    container_name: cgroups.map((_, i) => `svc-${i}`),
    image: cgroups.map((_, i) => `registry.local/app${i % 3}:1.${i}`),
    runtime: cgroups.map(() => 'docker'),
    cgroup_path: ids.map((id) => `/docker/${id}`),
    ips: cgroups.map((_, i) => [`172.17.0.${i + 2}`]),
    labels: cgroups.map((_, i) => JSON.stringify({ app: `app${i % 3}` })),
    started_at: cgroups.map(() => start - 1_000_000_000n),
    first_seen: cgroups.map(() => start),
    last_seen: cgroups.map(() => start),
  }));
  let written = nContainers;
  const rare = Math.floor(opts.events * Object.values(MIX).reduce((a, b) => a + b, 0));
  const nSyscall = Math.max(0, opts.events - rare - nContainers - 1);
  // Syscall aggregates in batches of one window each.
  const perWindow = Math.min(nSyscall, 200_000);
  for (let done = 0, w = 0; done < nSyscall; w++) {
    const n = Math.min(perWindow, nSyscall - done);
    const ts = new BigInt64Array(n).fill(start + BigInt(w) * 1_000_000_000n);
    const cg = new BigUint64Array(n);
    const pid = new Uint32Array(n);
    const tid = new Uint32Array(n);
    const nr = new Int32Array(n);
    const count = new BigUint64Array(n);
    const errors = new BigUint64Array(n);
    const zeros64 = new BigUint64Array(n);
    const comm: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(random() * nContainers);
      cg[i] = cgroups[c]!;
      pid[i] = 1000 + c * 100 + Math.floor(random() * 20);
      tid[i] = pid[i]! + Math.floor(random() * 4);
      nr[i] = COMMON[Math.floor(random() * random() * COMMON.length)]!;
      const calls = 1 + Math.floor(random() * random() * 5000);
      count[i] = BigInt(calls);
      errors[i] = random() < 0.1 ? BigInt(Math.floor(calls * random())) : 0n;
      comm[i] = COMMS[c % COMMS.length]!;
    }
    writer.writeBatch('syscall', n, batch('syscall', n, {
      ts, cgroup_id: cg, pid, tid, comm, syscall_nr: nr, compat: new Uint8Array(n), filtered: new Uint8Array(n).fill(1),
      count, errors, denied: zeros64, denied_errno: new Int32Array(n),
    }));
    done += n;
    written += n;
  }
  written += writeRare(writer, random, opts.events, cgroups, start);
  writer.writeBatch('stats', 1, batch('stats', 1, { ts: [start + 1n], stat_name: ['drops.exec'], stat_value: [0n] }));
  written += 1;
  writer.close();
  return { events: written, bytes: writer.bytesWritten };
}

function writeRare(writer: CaptureWriter, random: () => number, total: number, cgroups: bigint[], start: bigint): number {
  let written = 0;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  for (const [kind, share] of Object.entries(MIX)) {
    const n = Math.floor(total * share);
    if (n === 0) continue;
    const rows = Array.from({ length: n }, (_, i) => ({ i, cg: pick(cgroups), ts: start + BigInt(Math.floor(random() * 60e9)) }));
    const common = {
      ts: rows.map((r) => r.ts),
      cgroup_id: rows.map((r) => r.cg),
      pid: rows.map((r) => 2000 + r.i),
      tid: rows.map((r) => 2000 + r.i),
      comm: rows.map(() => pick(COMMS)),
    };
    if (kind === 'exec')
      writer.writeBatch('exec', n, batch('exec', n, { ...common, ppid: rows.map(() => 1), uid: rows.map(() => 0), filename: rows.map(() => pick(['/bin/sh', '/usr/bin/curl', '/usr/sbin/nginx'])), argv: rows.map((r) => ['sh', '-c', `echo ${r.i}`]), truncated: rows.map(() => false) }));
    else if (kind === 'fork') writer.writeBatch('fork', n, batch('fork', n, { ...common, ppid: rows.map(() => 1) }));
    else if (kind === 'exit') writer.writeBatch('exit', n, batch('exit', n, { ...common, exit_code: rows.map(() => 0) }));
    else if (kind === 'open')
      writer.writeBatch('open', n, batch('open', n, { ...common, uid: rows.map(() => 0), syscall_nr: rows.map(() => 257), path: rows.map(() => pick(PATHS)), open_flags: rows.map(() => 0), fs_type: rows.map(() => pick(['ext4', 'proc', 'sysfs', 'tmpfs'])), fs_magic: rows.map(() => 0xef53n), ret: rows.map(() => (random() < 0.1 ? -2n : 3n)), truncated: rows.map(() => false) }));
    else {
      const addr = new Uint8Array(n * 16);
      for (let i = 0; i < n; i++) addr.set(parseAddress(`172.17.0.${2 + (i % 8)}`), i * 16);
      writer.writeBatch(kind as 'connect', n, batch(kind as 'connect', n, {
        ...common, ...(kind === 'close' ? {} : { uid: rows.map(() => 0), ret: rows.map(() => 0n) }), protocol: rows.map(() => 6), family: rows.map(() => 2),
        laddr: addr, lport: rows.map((r) => 30000 + (r.i % 30000)), raddr: addr, rport: rows.map(() => 80), sock_cookie: rows.map((r) => BigInt(r.i)),
        ...(kind === 'close' ? { duration_ns: rows.map(() => 1_000_000n), bytes_sent: rows.map(() => 100n), bytes_received: rows.map(() => 1000n) } : {}),
      }));
    }
    written += n;
  }
  return written;
}
