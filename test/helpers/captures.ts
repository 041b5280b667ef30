/**
 * Small real captures for tests, built with the same writer the recorder uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';

export const T0 = 1_764_400_000_000_000_000n; // 2025-11-29T07:06:40Z
export const WEB_ID = 'a1'.repeat(32);
export const CLIENT_ID = 'b2'.repeat(32);
export const WEB_CG = 7001n;
export const CLIENT_CG = 7002n;

export function tempDir(prefix = 'contxray-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Two containers (web, client) with every event kind; values chosen to be checked exactly. */
export function scenarioRows(): Row[] {
  const container = (id: string, cg: bigint, name: string, ip: string) => ({
    kind: 'container' as const, ts: T0, cgroup_id: cg, container_id: id, container_name: name, image: `contxray/${name}:test`,
    runtime: 'docker', cgroup_path: `/docker/${id}`, ips: [ip], labels: { role: name }, started_at: T0 - 1_000_000_000n, first_seen: T0, last_seen: T0 + 5_000_000_000n,
  });
  const sys = (cg: bigint, pid: number, comm: string, nr: number, count: bigint, extra: Partial<Row> = {}) => ({
    kind: 'syscall' as const, ts: T0, cgroup_id: cg, pid, tid: pid, comm, syscall_nr: nr, compat: false, filtered: true, count, errors: 0n, denied: 0n, denied_errno: 0, ...extra,
  });
  return [
    container(WEB_ID, WEB_CG, 'web', '172.18.0.2'),
    container(CLIENT_ID, CLIENT_CG, 'client', '172.18.0.3'),
    sys(WEB_CG, 100, 'httpd', 0, 40n),
    sys(WEB_CG, 100, 'httpd', 1, 20n),
    sys(CLIENT_CG, 200, 'sh', 59, 3n),
    sys(CLIENT_CG, 200, 'sh', 83, 0n, { denied: 2n, denied_errno: 1 }),
    sys(CLIENT_CG, 200, 'sh', 5, 1n, { compat: true }),
    sys(CLIENT_CG, 200, 'sh', 999, 7n),
    { kind: 'fork', ts: T0 + 1n, cgroup_id: CLIENT_CG, pid: 201, tid: 201, comm: 'sh', ppid: 200 },
    { kind: 'exec', ts: T0 + 2n, cgroup_id: CLIENT_CG, pid: 201, tid: 201, comm: 'wget', ppid: 200, uid: 0, filename: '/bin/wget', argv: ['wget', '-q', '-O', '-', 'http://web/index.html'], truncated: false },
    { kind: 'exit', ts: T0 + 9n, cgroup_id: CLIENT_CG, pid: 201, tid: 201, comm: 'wget', exit_code: 256 },
    { kind: 'open', ts: T0 + 3n, cgroup_id: CLIENT_CG, pid: 202, tid: 202, comm: 'cat', uid: 0, syscall_nr: 257, path: '/shared/secret.txt', open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 3n, truncated: false },
    { kind: 'open', ts: T0 + 4n, cgroup_id: CLIENT_CG, pid: 202, tid: 202, comm: 'cat', uid: 0, syscall_nr: 257, path: '/proc/sys/kernel/core_pattern', open_flags: 1, fs_type: 'proc', fs_magic: 0x9fa0n, ret: -13n, truncated: false },
    { kind: 'connect', ts: T0 + 5n, cgroup_id: CLIENT_CG, pid: 201, tid: 201, comm: 'wget', uid: 0, ret: 0n, protocol: 6, family: 2, laddr: '172.18.0.3', lport: 41000, raddr: '172.18.0.2', rport: 80, sock_cookie: 11n },
    { kind: 'accept', ts: T0 + 6n, cgroup_id: WEB_CG, pid: 100, tid: 100, comm: 'httpd', uid: 0, ret: 4n, protocol: 6, family: 10, laddr: '::ffff:172.18.0.2', lport: 80, raddr: '::ffff:172.18.0.3', rport: 41000, sock_cookie: 12n },
    { kind: 'close', ts: T0 + 8n, cgroup_id: CLIENT_CG, pid: 201, tid: 201, comm: 'wget', protocol: 6, family: 2, laddr: '172.18.0.3', lport: 41000, raddr: '172.18.0.2', rport: 80, sock_cookie: 11n, duration_ns: 3_000_000n, bytes_sent: 90n, bytes_received: 1234n },
    { kind: 'connect', ts: T0 + 7n, cgroup_id: CLIENT_CG, pid: 203, tid: 203, comm: 'nc', uid: 0, ret: 0n, protocol: 6, family: 10, laddr: 'fd00:c0:ffee::3', lport: 42000, raddr: 'fd00:c0:ffee::2', rport: 8080, sock_cookie: 13n },
    { kind: 'stats', ts: T0 + 10n, stat_name: 'events.exec', stat_value: 1n },
    { kind: 'stats', ts: T0 + 10n, stat_name: 'drops.exec', stat_value: 0n },
    { kind: 'stats', ts: T0 + 10n, stat_name: 'truncated.argv', stat_value: 2n },
  ];
}

export async function writeScenario(path: string, host = 'testhost'): Promise<void> {
  await writeCaptureFromRows(path, { host: { hostname: host }, rows: scenarioRows() });
}

export const BIN = fileURLToPath(new URL('../../../bin/contxray.js', import.meta.url));

let cacheHome: string | undefined;
/** A private XDG_CACHE_HOME per test process: the CLI's load cache never touches the real home. */
export function testCacheHome(): string {
  if (cacheHome) return cacheHome;
  const dir = mkdtempSync(join(tmpdir(), 'contxray-test-cache-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (cacheHome = dir);
}

/** Runs the real CLI; returns exit status and outputs. */
export function cli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: testCacheHome(), ...opts.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

export function hasPyarrow(): boolean {
  return spawnSync('python3', ['-c', 'import pyarrow'], { encoding: 'utf8' }).status === 0;
}
