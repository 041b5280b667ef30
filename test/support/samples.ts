/**
 * Sample captures for the report's tests and benchmarks, written with the real capture writer
 * (writeCaptureFromRows): a multi-container "service" capture with ordinary traffic, and a hostile
 * one whose every text field carries a payload from fixtures/hostile-strings.json.
 * Both plant one instance of every finding so tests can look for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultHost, writeCaptureFromRows, type Row } from './fixture.js';
import { CaptureWriter } from '../../src/capture/writer.js';
import { batch } from './events.js';
import { syscallTableFor } from '../../src/syscalls/index.js';
import { packagePath } from '../../src/util/package-root.js';

const T0 = 1_795_946_400_000_000_000n; // 2026-11-29 10:00:00 UTC
const S = 1_000_000_000n;

/** Seconds after T0 (fractions allowed) as ns. */
function at(sec: number): bigint {
  return T0 + BigInt(Math.round(sec * 1000)) * 1_000_000n;
}

interface Ctr {
  cg: bigint;
  id: string;
  name: string;
  image: string;
  ip: string;
  comm: string;
  pid: number;
}

/** The payload strings, keyed by what they try. */
export function hostileStrings(): Record<string, string> {
  const file = packagePath('fixtures', 'hostile-strings.json');
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  delete all._comment;
  return all;
}

function containerRow(c: Ctr, labels: Record<string, string> = {}): Row {
  return {
    kind: 'container', ts: T0, cgroup_id: c.cg, container_id: c.id, container_name: c.name, image: c.image,
    runtime: 'docker', cgroup_path: `/docker/${c.id}`, ips: [c.ip], labels, started_at: T0 - S,
    first_seen: T0, last_seen: T0 + 60n * S,
  };
}

function sys(c: Ctr, sec: number, nr: number, count: number, errors = 0, denied = 0): Row {
  return {
    kind: 'syscall', ts: at(sec), cgroup_id: c.cg, pid: c.pid, tid: c.pid, comm: c.comm, syscall_nr: nr,
    compat: false, filtered: true, count: BigInt(count), errors: BigInt(errors), denied: BigInt(denied), denied_errno: denied ? 1 : 0,
  };
}

function exec(c: Ctr, sec: number, pid: number, ppid: number, filename: string, argv: string[], comm?: string): Row[] {
  const ts = at(sec);
  return [
    { kind: 'fork', ts: ts - 1000n, cgroup_id: c.cg, pid, tid: pid, ppid, comm: c.comm },
    { kind: 'exec', ts, cgroup_id: c.cg, pid, tid: pid, ppid, uid: 0, comm: comm ?? filename.split('/').pop(), filename, argv, truncated: false },
  ];
}

function open(c: Ctr, sec: number, path: string, flags: number, ret: number, comm?: string): Row {
  return {
    kind: 'open', ts: at(sec), cgroup_id: c.cg, pid: c.pid, tid: c.pid, comm: comm ?? c.comm, uid: 0,
    syscall_nr: 257, path, open_flags: flags, fs_type: 'ext4', fs_magic: 0xef53n, ret: BigInt(ret), truncated: false,
  };
}

let cookie = 1000n;
/** A connect from `from` and, when `to` is a recorded container, the matching accept and close. */
function tcp(from: Ctr, to: Ctr | string, port: number, sec: number, ret = 0): Row[] {
  const ts = at(sec);
  const lport = 40000 + Number(cookie % 20000n);
  const raddr = typeof to === 'string' ? to : to.ip;
  const ck = cookie++;
  const net = { protocol: 6, family: 2 };
  const rows: Row[] = [
    { kind: 'connect', ts, cgroup_id: from.cg, pid: from.pid, tid: from.pid, comm: from.comm, uid: 0, ret: BigInt(ret), ...net, laddr: from.ip, lport, raddr, rport: port, sock_cookie: ck },
  ];
  if (typeof to !== 'string' && ret === 0) {
    const sk = cookie++;
    rows.push(
      { kind: 'accept', ts: ts + 1000n, cgroup_id: to.cg, pid: to.pid, tid: to.pid, comm: to.comm, uid: 0, ret: 5n, ...net, laddr: to.ip, lport: port, raddr: from.ip, rport: lport, sock_cookie: sk },
      { kind: 'close', ts: ts + S / 10n, cgroup_id: from.cg, pid: from.pid, tid: from.pid, comm: from.comm, ...net, laddr: from.ip, lport, raddr, rport: port, sock_cookie: ck, duration_ns: S / 10n, bytes_sent: 512n, bytes_received: 4096n },
    );
  }
  return rows;
}

function ctr(i: number, name: string, image: string, comm: string): Ctr {
  return { cg: BigInt(7000 + i), id: `${(i + 10).toString(16)}${'ab12cd34'.repeat(8)}`.slice(0, 64), name, image, ip: `172.17.0.${i + 2}`, comm, pid: 1000 * (i + 1) };
}

const NR = { read: 0, write: 1, close: 3, mmap: 9, futex: 202, epoll_wait: 232, accept4: 288, openat: 257, sendto: 44, recvfrom: 45, connect: 42, mount: 165, unshare: 272, setns: 308, ptrace: 101, bpf: 321, keyctl: 250 };

/** Four services talking to each other for a minute; one of them misbehaves (every finding once). */
export function multiContainerRows(): Row[] {
  const web = ctr(0, 'web', 'nginx:1.27', 'nginx');
  const db = ctr(1, 'db', 'postgres:16', 'postgres');
  const cache = ctr(2, 'cache', 'redis:7', 'redis-server');
  const job = ctr(3, 'batch-job', 'python:3.12', 'python3');
  const rows: Row[] = [web, db, cache, job].map((c) => containerRow(c, { app: c.name }));
  for (let s = 0; s < 60; s++) {
    rows.push(sys(web, s, NR.epoll_wait, 800 + s * 3), sys(web, s, NR.accept4, 40), sys(web, s, NR.read, 400, 12), sys(web, s, NR.write, 420));
    rows.push(sys(db, s, NR.read, 300), sys(db, s, NR.write, 200), sys(db, s, NR.futex, 150, 30), sys(db, s, NR.openat, 5, 1));
    rows.push(sys(cache, s, NR.epoll_wait, 500), sys(cache, s, NR.read, 100));
    if (s % 5 === 0) rows.push(sys(job, s, NR.mmap, 90), sys(job, s, NR.openat, 20, 2));
  }
  rows.push(sys(job, 30, NR.mount, 3, 1), sys(job, 31, NR.unshare, 1), sys(job, 31, NR.setns, 2, 0, 2));
  rows.push(...exec(web, 0, 1000, 900, '/usr/sbin/nginx', ['nginx', '-g', 'daemon off;']));
  rows.push(...exec(web, 1, 1001, 1000, '/usr/sbin/nginx', ['nginx: worker process']));
  rows.push(...exec(db, 0, 2000, 900, '/usr/local/bin/docker-entrypoint.sh', ['docker-entrypoint.sh', 'postgres']));
  rows.push(...exec(db, 2, 2001, 2000, '/usr/lib/postgresql/16/bin/postgres', ['postgres', '-D', '/var/lib/postgresql/data']));
  rows.push(...exec(cache, 0, 3000, 900, '/usr/local/bin/redis-server', ['redis-server', '*:6379']));
  rows.push(...exec(job, 0, 4000, 900, '/usr/bin/python3', ['python3', '/app/job.py']));
  rows.push(...exec(job, 20, 4001, 4000, '/bin/sh', ['sh', '-c', 'apt-get install -y nmap']));
  rows.push(...exec(job, 21, 4002, 4001, '/usr/bin/apt-get', ['apt-get', 'install', '-y', 'nmap']));
  rows.push({ kind: 'exit', ts: T0 + 25n * S, cgroup_id: job.cg, pid: 4002, tid: 4002, comm: 'apt-get', exit_code: 100 << 8 });
  rows.push(open(web, 1, '/etc/nginx/nginx.conf', 0, 5), open(web, 2, '/var/log/nginx/access.log', 0x441, 6));
  rows.push(open(db, 2, '/var/lib/postgresql/data/PG_VERSION', 0, 7), open(db, 3, '/etc/ssl/private/key.pem', 0, -13));
  rows.push(open(job, 22, '/etc/shadow', 0, 3, 'python3'), open(job, 23, '/var/run/docker.sock', 2, -13, 'python3'));
  for (let s = 0; s < 60; s += 2) rows.push(...tcp(web, db, 5432, s), ...tcp(web, cache, 6379, s + 1));
  for (let s = 0; s < 30; s++) rows.push(...tcp(job, web, 80, s));
  rows.push(...tcp(web, '93.184.216.34', 443, 10), ...tcp(job, '1.1.1.1', 53, 12));
  for (let p = 1; p <= 30; p++) rows.push(...tcp(job, db, p, 40, -111)); // a port scan, refused
  // resource samples every 5 s: web uses 0.5 core and receives 1 MB/s; db's io.stat is absent (null)
  for (let s = 0; s < 60; s += 5) {
    const t = BigInt(s);
    rows.push({ kind: 'resource', ts: T0 + t * S, cgroup_id: web.cg, cpu_usage_usec: 500_000n * t, cpu_user_usec: 400_000n * t, cpu_system_usec: 100_000n * t, cpu_nr_throttled: 0n, cpu_throttled_usec: 0n, memory_current: 50_000_000n + t * 1000n, memory_anon: 30_000_000n, memory_file: 20_000_000n, memory_peak: 60_000_000n, io_rbytes: 0n, io_wbytes: 4096n * t, io_rios: 0n, io_wios: t, pids_current: 3n, net_rx_bytes: 1_000_000n * t, net_tx_bytes: 200_000n * t, net_rx_packets: 1000n * t, net_tx_packets: 500n * t });
    rows.push({ kind: 'resource', ts: T0 + t * S, cgroup_id: db.cg, cpu_usage_usec: 100_000n * t, cpu_user_usec: 100_000n * t, cpu_system_usec: 0n, cpu_nr_throttled: 0n, cpu_throttled_usec: 0n, memory_current: 200_000_000n, memory_anon: 150_000_000n, memory_file: 50_000_000n, memory_peak: null, io_rbytes: null, io_wbytes: null, io_rios: null, io_wios: null, pids_current: 8n, net_rx_bytes: 10_000n * t, net_tx_bytes: 100_000n * t, net_rx_packets: 10n * t, net_tx_packets: 100n * t });
  }
  rows.push({ kind: 'stats', ts: T0 + 60n * S, stat_name: 'events.exec', stat_value: 8n });
  rows.push({ kind: 'stats', ts: T0 + 60n * S, stat_name: 'drops.ringbuf', stat_value: 17n });
  rows.push({ kind: 'stats', ts: T0 + 60n * S, stat_name: 'truncated.argv', stat_value: 0n });
  return rows;
}

/** Every text field carries payloads; also plants every finding (shell, sensitive path, mount, accept, scan). */
export function hostileRows(): { rows: Row[]; syscalls: ReturnType<typeof syscallTableFor> } {
  const h = hostileStrings();
  const v = Object.values(h);
  const long = `${h.script_close}${'A'.repeat(60_000)}${h.img_onerror}`;
  const evil = ctr(0, h.script_close!, h.img_onerror!, h.attr_break!.slice(0, 15));
  const evil2 = ctr(1, `${h.svg_onload}${h.control}${h.bidi}`, h.js_url!, 'x');
  const rows: Row[] = [
    containerRow(evil, Object.fromEntries(Object.entries(h).map(([k, s]) => [s, k]))),
    containerRow(evil2, { [h.json_break!]: h.comment_open! }),
  ];
  const table = syscallTableFor('x86_64');
  // the syscall name table travels in the capture: a forged one is hostile too
  const syscalls = { ...table, names: { ...table.names, '460': h.img_onerror!, '461': h.template! } };
  for (let s = 0; s < 20; s++) rows.push(sys(evil, s, NR.read, 100 + s), sys(evil, s, 460, 5), sys(evil2, s, 461, 7, 1));
  rows.push(sys(evil, 5, NR.mount, 2), sys(evil, 5, NR.bpf, 1, 1));
  rows.push(...exec(evil, 1, 1000, 900, '/bin/sh', ['sh', '-c', ...v]));
  v.forEach((s, i) => rows.push(...exec(evil, 2 + i * 0.1, 1001 + i, 1000, `/tmp/${s}`, [s, long, h.separators!], s.slice(0, 15))));
  rows.push(...exec(evil2, 3, 2000, 900, long, [long]));
  rows.push({ kind: 'exit', ts: T0 + 9n * S, cgroup_id: evil.cg, pid: 1001, tid: 1001, comm: 'x', exit_code: 9 });
  v.forEach((s, i) => rows.push(open(evil, 4 + i * 0.1, `/data/${s}`, i % 2 ? 0x241 : 0, i % 3 ? 3 : -2, s.slice(0, 15))));
  rows.push(open(evil, 6, '/etc/shadow', 0, 3), open(evil, 6, `/proc/sys/kernel/${h.script_close}`, 1, -13), open(evil2, 7, long, 0, 3));
  rows.push(...tcp(evil2, evil, 8080, 8));
  for (let p = 1; p <= 25; p++) rows.push(...tcp(evil2, '10.9.8.7', p, 9, -111));
  rows.push({ kind: 'stats', ts: T0 + 20n * S, stat_name: `drops.${h.script_close}`, stat_value: 3n });
  rows.push({ kind: 'stats', ts: T0 + 20n * S, stat_name: 'drops.ringbuf', stat_value: 2n });
  return { rows, syscalls };
}

export async function writeMultiContainerCapture(path: string): Promise<void> {
  await writeCaptureFromRows(path, { host: { hostname: 'svc-host', arch: 'x86_64' }, rows: multiContainerRows(), options: { duration: '60s', source: 'fixture' } });
}

export async function writeHostileCapture(path: string): Promise<void> {
  const h = hostileStrings();
  const { rows, syscalls } = hostileRows();
  await writeCaptureFromRows(path, {
    host: { hostname: h.script_close!, kernel: h.img_onerror!, arch: 'x86_64' },
    syscalls,
    rows,
    options: Object.fromEntries(Object.entries(h).map(([k, s]) => [k, s])),
  });
}

/** Raw bytes as one Arrow utf8 column (the writer's input for text straight from the kernel). */
function bytesColumn(values: number[][]): { offsets: Int32Array; data: Uint8Array } {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((v, i) => (offsets[i + 1] = offsets[i]! + v.length));
  return { offsets, data: Uint8Array.from(values.flat()) };
}

/**
 * A second hostile capture with invalid UTF-8 *bytes* (as a container can put in argv, paths and
 * names), written through CaptureWriter's byte-column path like the recorder does: the writer
 * replaces them and counts recorder.invalid_utf8; the report must show the result as text.
 */
export async function writeInvalidUtf8Capture(path: string): Promise<void> {
  const enc = (x: string) => [...new TextEncoder().encode(x)];
  const bad = [0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80];
  const name = [...enc('bytes-'), ...bad, ...enc('<script>window.__pwned=1</script>')];
  const cg = 7900n;
  const id = 'ee'.repeat(32);
  const writer = await CaptureWriter.create(
    path,
    {
      host: defaultHost({ hostname: 'bytes-host', arch: 'x86_64' }),
      syscalls: syscallTableFor('x86_64'),
      options: { source: 'fixture', note: 'invalid UTF-8' },
      recorder: { version: 'fixture', started_at_ns: String(T0) },
    },
    { force: true },
  );
  try {
    writer.writeBatch('container', 1, batch('container', 1, {
      ts: [T0], cgroup_id: [cg], container_id: [id], container_name: bytesColumn([name]), image: bytesColumn([[...enc('img:'), ...bad]]),
      runtime: ['docker'], cgroup_path: [`/docker/${id}`], ips: [['172.17.0.99']], labels: bytesColumn([[...enc('{"k":"'), ...bad, ...enc('"}')]]),
      started_at: [T0 - S], first_seen: [T0], last_seen: [T0 + 10n * S],
    }));
    const paths = [[...enc('/data/'), ...bad], [...enc('/etc/'), ...bad, ...enc('</script><img src=x onerror=window.__pwned=1>')]];
    writer.writeBatch('open', 2, batch('open', 2, {
      ts: [at(1), at(2)], cgroup_id: [cg, cg], pid: [5, 5], tid: [5, 5], comm: bytesColumn([[...enc('c'), ...bad], enc('cat')]),
      syscall_nr: [257, 257], uid: [0, 0], path: bytesColumn(paths), open_flags: [0, 1], fs_type: ['ext4', 'ext4'],
      fs_magic: [0xef53n, 0xef53n], ret: [3n, -13n], truncated: [false, false],
    }));
    writer.writeBatch('syscall', 1, batch('syscall', 1, {
      ts: [at(1)], cgroup_id: [cg], pid: [5], tid: [5], comm: bytesColumn([[...enc('c'), ...bad]]), syscall_nr: [0], compat: [false],
      filtered: [false], count: [10n], errors: [0n], denied: [0n], denied_errno: [0],
    }));
  } finally {
    writer.close();
  }
}
