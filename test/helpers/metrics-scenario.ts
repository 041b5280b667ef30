/**
 * A capture set for the metrics tests: three captures from two hosts over ~20 minutes, with
 * containers talking to each other, to the host and to the outside, execs, opens on several
 * filesystems, syscall errors and seccomp denials, recorder counters that move, a gap between two
 * captures of one host, and a hostile container name (quotes, backslash, newline, 300 characters).
 */
import { join } from 'node:path';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';

export const M_T0 = 1_764_400_000_000_000_000n; // 2025-11-29T07:06:40Z
const S = 1_000_000_000n;
export const HOSTILE_NAME = `evil"\\{x="1"}\n${'z'.repeat(300)}`;

interface Ctr {
  cg: bigint;
  id: string;
  name: string;
  ip: string;
}

const ctr = (cg: bigint, hex: string, name: string, ip: string): Ctr => ({ cg, id: hex.repeat(32).slice(0, 64), name, ip });
const HOST_CG = 1n; // a cgroup of no container: the host's own processes

function containerRow(c: Ctr, ts: bigint): Row {
  return {
    kind: 'container', ts, cgroup_id: c.cg, container_id: c.id, container_name: c.name, image: `contxray/${c.name.slice(0, 10)}:test`, runtime: 'docker',
    cgroup_path: `/docker/${c.id}`, ips: [c.ip], labels: {}, started_at: ts - S, first_seen: ts, last_seen: ts,
  };
}

/** Rows of one capture: `minutes` of activity from `start` (ns). */
function activity(start: bigint, minutes: number, ctrs: Ctr[], peers: { web: Ctr; client: Ctr; db?: Ctr }): Row[] {
  const rows: Row[] = ctrs.map((c) => containerRow(c, start));
  const end = start + BigInt(minutes * 60) * S;
  let cookie = Number(start % 100_000n) * 10;
  const tcp = (from: { cg: bigint; ip: string }, to: { cg: bigint; ip: string } | null, toIp: string, ts: bigint, port: number, recordAccept = true) => {
    const lport = 30000 + (cookie % 30000);
    cookie++;
    rows.push({ kind: 'connect', ts, cgroup_id: from.cg, pid: 300, tid: 300, comm: 'curl', uid: 0, ret: -115n, protocol: 6, family: 2, laddr: from.ip, lport, raddr: toIp, rport: port, sock_cookie: BigInt(cookie) });
    if (to && recordAccept)
      rows.push({ kind: 'accept', ts: ts + 1000n, cgroup_id: to.cg, pid: 100, tid: 100, comm: 'srv', uid: 0, ret: 5n, protocol: 6, family: 2, laddr: toIp, lport: port, raddr: from.ip, rport: lport, sock_cookie: BigInt(cookie + 500_000) });
  };
  let stat = 0n;
  for (let t = start, i = 0; t < end; t += 10n * S, i++) {
    for (const [k, c] of ctrs.entries()) {
      rows.push({ kind: 'syscall', ts: t, cgroup_id: c.cg, pid: 100 + k, tid: 100 + k, comm: 'app', syscall_nr: 0, compat: false, filtered: true, count: BigInt(10 + ((i * 7 + k) % 13)), errors: BigInt(i % 3), denied: 0n, denied_errno: 0 });
      rows.push({ kind: 'syscall', ts: t, cgroup_id: c.cg, pid: 100 + k, tid: 100 + k, comm: 'app', syscall_nr: 1, compat: false, filtered: true, count: BigInt(5 + k), errors: 0n, denied: 0n, denied_errno: 0 });
    }
    for (const [k, c] of ctrs.entries()) {
      // Kernel counters continue across captures of one container (they depend on the time, not the
      // capture); memory and pids go up and down; the second container's io.stat is absent (null).
      const sec = (t - M_T0) / S;
      const io = k === 1 ? null : sec * 8192n;
      rows.push({
        kind: 'resource', ts: t, cgroup_id: c.cg, cpu_usage_usec: sec * 30_001n * BigInt(k + 1), cpu_user_usec: sec * 20_001n * BigInt(k + 1),
        cpu_system_usec: sec * 10_000n * BigInt(k + 1), cpu_nr_throttled: sec / 10n, cpu_throttled_usec: sec * 1_500n, memory_current: 10_000_000n + BigInt(i % 5) * 4096n,
        memory_anon: 6_000_000n + BigInt(i % 5) * 4096n, memory_file: 4_000_000n, memory_peak: 12_000_000n, io_rbytes: io, io_wbytes: io, io_rios: io === null ? null : sec,
        io_wios: io === null ? null : sec * 2n, pids_current: BigInt(2 + (i % 3)), net_rx_bytes: sec * 1_000n, net_tx_bytes: sec * 700n, net_rx_packets: sec * 10n, net_tx_packets: sec * 7n,
      });
    }
    rows.push({ kind: 'syscall', ts: t, cgroup_id: HOST_CG, pid: 1, tid: 1, comm: 'systemd', syscall_nr: 232, compat: false, filtered: false, count: 3n, errors: 0n, denied: 0n, denied_errno: 0 });
    rows.push({ kind: 'syscall', ts: t, cgroup_id: peers.client.cg, pid: 200, tid: 200, comm: 'sh', syscall_nr: 83, compat: false, filtered: true, count: 0n, errors: 0n, denied: BigInt(1 + (i % 2)), denied_errno: 1 });
    if (i % 3 === 0) {
      rows.push({ kind: 'fork', ts: t + 1n, cgroup_id: peers.client.cg, pid: 400 + i, tid: 400 + i, comm: 'sh', ppid: 200 });
      rows.push({ kind: 'exec', ts: t + 2n, cgroup_id: peers.client.cg, pid: 400 + i, tid: 400 + i, comm: 'curl', ppid: 200, uid: 0, filename: '/usr/bin/curl', argv: ['curl', `http://web/${i}`], truncated: false });
      rows.push({ kind: 'exit', ts: t + 3n * S, cgroup_id: peers.client.cg, pid: 400 + i, tid: 400 + i, comm: 'curl', exit_code: 0 });
    }
    if (i % 2 === 0) {
      rows.push({ kind: 'open', ts: t + 4n, cgroup_id: peers.web.cg, pid: 100, tid: 100, comm: 'srv', uid: 0, syscall_nr: 257, path: '/srv/index.html', open_flags: 0, fs_type: 'overlay', fs_magic: 0x794c7630n, ret: 3n, truncated: false });
      rows.push({ kind: 'open', ts: t + 5n, cgroup_id: peers.client.cg, pid: 200, tid: 200, comm: 'cat', uid: 0, syscall_nr: 257, path: '/proc/sys/kernel/core_pattern', open_flags: 1, fs_type: 'proc', fs_magic: 0x9fa0n, ret: i % 4 === 0 ? -13n : 3n, truncated: false });
    }
    if (i % 5 === 0) rows.push({ kind: 'open', ts: t + 6n, cgroup_id: peers.web.cg, pid: 100, tid: 100, comm: 'srv', uid: 0, syscall_nr: 257, path: '/data/shared.txt', open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 4n, truncated: false });
    // TCP: client → web every step, web → db (accept recorded) every 4th, client → db with the
    // accept not recorded (peer found by IP) every 6th, host → web every 5th, client → outside every 6th.
    tcp(peers.client, peers.web, peers.web.ip, t + 7n, 80);
    if (peers.db && i % 4 === 0) tcp(peers.web, peers.db, peers.db.ip, t + 8n, 5432);
    if (peers.db && i % 6 === 1) tcp(peers.client, peers.db, peers.db.ip, t + 9n, 5432, false);
    if (i % 5 === 2) tcp({ cg: HOST_CG, ip: '172.18.0.1' }, peers.web, peers.web.ip, t + 10n, 80);
    if (i % 6 === 3) tcp(peers.client, null, '93.184.216.34', t + 11n, 443);
    if (i % 3 === 2) {
      stat += 40n;
      rows.push({ kind: 'stats', ts: t + 12n, stat_name: 'events.syscall', stat_value: stat * 10n });
      rows.push({ kind: 'stats', ts: t + 12n, stat_name: 'events.exec', stat_value: stat / 10n });
      rows.push({ kind: 'stats', ts: t + 12n, stat_name: 'drops.ringbuf', stat_value: BigInt(i) });
      rows.push({ kind: 'stats', ts: t + 12n, stat_name: 'truncated.argv', stat_value: BigInt(Math.floor(i / 4)) });
    }
  }
  return rows;
}

/** Writes alpha-1.arrow (10 min), alpha-2.arrow (5 min, after a 5 min gap), beta.arrow (8 min). */
export async function writeMetricsScenario(dir: string): Promise<string[]> {
  const web = ctr(7001n, 'a1', 'web', '172.18.0.2');
  const client = ctr(7002n, 'b2', 'client', '172.18.0.3');
  const db = ctr(7003n, 'c3', 'db', '172.18.0.4');
  const bweb = ctr(8001n, 'd4', 'web', '10.0.0.2');
  const evil = ctr(8002n, 'e5', HOSTILE_NAME, '10.0.0.3');
  const paths = ['alpha-1.arrow', 'alpha-2.arrow', 'beta.arrow'].map((f) => join(dir, f));
  await writeCaptureFromRows(paths[0]!, { host: { hostname: 'alpha' }, rows: activity(M_T0, 10, [web, client, db], { web, client, db }) });
  await writeCaptureFromRows(paths[1]!, { host: { hostname: 'alpha' }, rows: activity(M_T0 + 900n * S, 5, [web, client, db], { web, client, db }) });
  await writeCaptureFromRows(paths[2]!, { host: { hostname: 'beta' }, rows: activity(M_T0 + 120n * S, 8, [bweb, evil], { web: bweb, client: evil }) });
  return paths;
}
