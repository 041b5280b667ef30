/**
 * Seccomp correctness in every mode, on real fixture captures through the command module: five kinds
 * of workload recorded confined (Docker's default profile) and with seccomp=unconfined, from
 * captures whose syscall rows are split per exec generation and from older ones (one 1-second row
 * named after whoever called first). Each profile must leave runtime setup out (runc's `exe`
 * included), keep every workload call, and pass its own --check. Also: refusing a capture that
 * missed the start, interchangeable calls, expected denials and --check --format json.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { openAnalysis } from '../../src/analyze/db.js';
import { readQuery } from '../../src/analyze/queries.js';
import { FALLBACKS } from '../../src/seccomp/fallbacks.js';
import { CliError } from '../../src/cli/errors.js';
import { syscallNumber } from '../../src/syscalls/index.js';
import { runSeccomp } from '../helpers/seccomp-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'contxray-seccomp-modes-'));
const S = 1_000_000_000n;
const T0 = 1_764_000_000n * S;
const CG = 77;

/** What each workload does: its first calls (made in the second its runc init exec'd it) and the rest. */
const WORKLOADS = {
  nginx: { comm: 'nginx', file: '/usr/sbin/nginx', first: ['rt_sigaction', 'getpid', 'brk'], rest: ['epoll_wait', 'accept4', 'recvfrom', 'writev', 'sendfile', 'pwrite64'] },
  redis: { comm: 'redis-server', file: '/usr/bin/redis-server', first: ['umask', 'brk'], rest: ['epoll_wait', 'read', 'write', 'accept', 'fdatasync', 'rename'] },
  postgres: { comm: 'postgres', file: '/usr/lib/postgresql/15/bin/postgres', first: ['setsid', 'rt_sigprocmask'], rest: ['epoll_wait', 'recvfrom', 'sendto', 'fdatasync', 'kill'] },
  python: { comm: 'python3', file: '/usr/bin/python3', first: ['sysinfo', 'getrandom'], rest: ['accept4', 'recvfrom', 'sendto', 'poll'] },
  node: { comm: 'node', file: '/usr/bin/node', first: ['prlimit64', 'eventfd2'], rest: ['epoll_pwait', 'accept4', 'read', 'writev'] },
} as const;
type Workload = keyof typeof WORKLOADS;
const SETUP = ['mount', 'umount2', 'pivot_root', 'sethostname', 'keyctl', 'unshare'];

function sc(name: string, over: Record<string, unknown>): Row {
  const nr = syscallNumber('x86_64', name);
  assert.ok(nr !== undefined, name);
  return { kind: 'syscall', cgroup_id: CG, syscall_nr: nr, compat: false, count: 3n, errors: 0n, denied: 0n, denied_errno: 0, ...over };
}

/**
 * A Docker start as the recorder sees it. `exe` (pid 90) is runc re-executing /proc/self/exe: it
 * bind-mounts and execveat's its cloned binary, unfiltered in both modes. runc:[2:INIT] (pid 99) sets
 * up the mount namespace, installs the filter (confined), and execs the workload in the second at T0+1.
 */
function rows(w: Workload, confined: boolean, perExec: boolean, id: string): Row[] {
  const spec = WORKLOADS[w];
  const t1 = T0 + S;
  const exe = { pid: 90, tid: 90, comm: 'exe', filtered: false, ts: t1 };
  const init = { pid: 99, tid: 99, comm: 'runc:[2:INIT]', ts: t1 };
  const out: Row[] = [
    {
      kind: 'container', ts: T0 + 2n, cgroup_id: CG, container_id: id, container_name: `${w}-${id.slice(0, 4)}`, image: `contxray-rw/${w}`,
      runtime: 'docker', cgroup_path: `/docker/${id}`, started_at: T0 + 2n, first_seen: T0 + 2n, last_seen: T0 + 5n * S,
    },
    ...['mount', 'umount2', 'execveat', 'openat', 'read'].map((n) => sc(n, exe)),
    ...SETUP.map((n) => sc(n, { ...init, filtered: false })),
    // runc's Go runtime, in the same second as the exec: never the workload's.
    sc('sigaltstack', { ...init, filtered: false }),
    ...['fstatfs', 'capset', 'execve'].map((n) => sc(n, { ...init, filtered: confined })),
    { kind: 'exec', ts: t1 + 5n, cgroup_id: CG, pid: 99, tid: 99, ppid: 80, uid: 0, comm: spec.comm, filename: spec.file, argv: [spec.file], truncated: false },
    // The workload's first calls: under its own comm (per-exec rows), or under runc's (older captures).
    ...spec.first.map((n) => sc(n, { pid: 99, tid: 99, ts: t1, filtered: confined, comm: perExec ? spec.comm : 'runc:[2:INIT]', count: 126n })),
    ...spec.rest.map((n) => sc(n, { pid: 99, tid: 99, ts: t1 + S, filtered: confined, comm: spec.comm })),
    // glibc tries clone3 first: Docker's default answers ENOSYS (denied); unconfined, it runs.
    sc('clone3', { pid: 99, tid: 99, ts: t1 + S, filtered: confined, comm: spec.comm, ...(confined ? { count: 0n, denied: 2n, denied_errno: 38 } : {}) }),
  ];
  // Older recorders: rt_sigreturn restoring an interrupted call's -EINTR showed as a "denied" nr −1.
  if (!perExec) out.push({ ...sc('read', { pid: 99, tid: 99, ts: t1 + S, filtered: confined, comm: spec.comm, count: 0n, denied: 9n, denied_errno: 4 }), syscall_nr: -1 });
  if (perExec) out.push({ kind: 'stats', ts: T0 + 5n * S, stat_name: 'syscall.sigreturn_exit_skipped', stat_value: 0n });
  return out;
}

const cases: { w: Workload; confined: boolean; perExec: boolean; path: string; id: string }[] = [];

before(async () => {
  let i = 0;
  for (const w of Object.keys(WORKLOADS) as Workload[]) {
    for (const confined of [true, false]) {
      for (const perExec of [true, false]) {
        const id = `${(++i).toString(16).padStart(4, '0')}`.repeat(16);
        const path = join(dir, `${w}-${confined ? 'confined' : 'unconfined'}-${perExec ? 'new' : 'old'}.arrow`);
        await writeCaptureFromRows(path, { rows: rows(w, confined, perExec, id), startedAtNs: T0 });
        cases.push({ w, confined, perExec, path, id });
      }
    }
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

const run = runSeccomp;

function allowed(path: string): Set<string> {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { syscalls: { names: string[]; action: string }[] };
  return new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names));
}

test('five workloads × confined/unconfined × new/old captures: runtime setup out, every workload call in, own --check passes', async () => {
  assert.equal(cases.length, 20);
  for (const c of cases) {
    const label = `${c.w} ${c.confined ? 'confined' : 'unconfined'} ${c.perExec ? 'per-exec rows' : 'old rows'}`;
    const out = join(dir, `${label.replace(/ /g, '-')}.json`);
    const r = await run(['seccomp', c.path, '-c', c.id.slice(0, 12), '-o', out]);
    assert.equal(r.error, undefined, `${label}: ${String(r.error)}`);
    const names = allowed(out);
    const spec = WORKLOADS[c.w];
    for (const n of [...spec.first, ...spec.rest]) assert.ok(names.has(n), `${label}: workload call ${n} must be allowed`);
    for (const n of [...SETUP, 'execveat']) assert.ok(!names.has(n), `${label}: runtime setup call ${n} must stay out`);
    if (c.confined || c.perExec) assert.ok(!names.has('sigaltstack'), `${label}: runc's own pre-filter call stays out`);
    assert.ok(!names.has('clone3') || !c.confined, `${label}: clone3 stays denied (ENOSYS) when it was denied while recording`);
    // Item 13: an ordinary Docker recording needs no action: no warning at all.
    assert.doesNotMatch(r.stderr, /warning/, `${label}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /#-1|real failure/, `${label}: nr −1 is no seccomp denial: ${r.stderr}`);
    const checked = await run(['seccomp', c.path, '-c', c.id.slice(0, 12), '--check', out, '-o', join(dir, 'check.txt'), '--force']);
    assert.equal(checked.error, undefined, `${label}: its own profile must pass --check: ${readFileSync(join(dir, 'check.txt'), 'utf8')}`);
  }
});

test('--check on an unconfined recording judges the workload, not runc: setup calls are no failure, workload calls are', async () => {
  const c = cases.find((x) => x.w === 'nginx' && !x.confined && !x.perExec)!;
  // A profile that allows everything but rt_sigaction (nginx's first calls, recorded under runc's name).
  const p = join(dir, 'no-sigaction.json');
  writeFileSync(p, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['rt_sigaction', 'mount', 'execveat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
  const out = join(dir, 'c.txt');
  const r = await run(['seccomp', c.path, '-c', c.id.slice(0, 12), '--check', p, '-o', out]);
  assert.ok(r.error instanceof CliError && r.error.exitCode === 1, String(r.error));
  const text = readFileSync(out, 'utf8');
  assert.match(text, /would deny 1 recorded syscall\(s\):\n {2}rt_sigaction/);
  assert.doesNotMatch(text, /mount|execveat/);
});

test('a capture that started after the container is refused (exit 1, how to record); --partial makes one anyway', async () => {
  const late = join(dir, 'late.arrow');
  const id = 'ee'.repeat(32);
  await writeCaptureFromRows(late, {
    startedAtNs: T0 + 10n * S,
    rows: [
      { kind: 'container', ts: T0 + 10n * S, cgroup_id: CG, container_id: id, container_name: 'late', runtime: 'docker', cgroup_path: `/docker/${id}`, started_at: T0, first_seen: T0, last_seen: T0 },
      sc('read', { pid: 5, tid: 5, ts: T0 + 11n * S, filtered: true, comm: 'nginx' }),
    ],
  });
  const out = join(dir, 'late.json');
  let r = await run(['seccomp', late, '-c', 'late', '-o', out]);
  assert.ok(r.error instanceof CliError && r.error.exitCode === 1, String(r.error));
  assert.match((r.error as Error).message, /after the container did.*contxray record -o x\.arrow -- docker run.*--partial/);
  r = await run(['seccomp', late, '-c', 'late', '--partial', '-o', out, '--force']);
  assert.equal(r.error, undefined, String(r.error));
  assert.match(r.stderr, /warning: .*after the container did/);
  assert.ok(allowed(out).has('read'));
});

test('interchangeable calls: pwrite64 brings pwritev/pwritev2 (listed in the summary); --exact does not; denied ones stay denied', async () => {
  const c = cases.find((x) => x.w === 'nginx' && x.confined && x.perExec)!;
  const out = join(dir, 'fam.json');
  let r = await run(['seccomp', c.path, '-c', c.id.slice(0, 12), '-o', out]);
  assert.equal(r.error, undefined, String(r.error));
  let names = allowed(out);
  for (const n of ['pwritev', 'pwritev2', 'write', 'epoll_pwait', 'epoll_pwait2', 'accept']) assert.ok(names.has(n), n);
  assert.match(r.stderr, /interchangeable calls added .*pwritev \(pwrite64\)/);
  // Nothing beyond the families: no send/recv message calls, no unlinkat, no clone3.
  for (const n of ['sendmsg', 'recvmsg', 'unlinkat', 'clone3', 'mount']) assert.ok(!names.has(n), n);
  r = await run(['seccomp', c.path, '-c', c.id.slice(0, 12), '--exact', '-o', out, '--force']);
  names = allowed(out);
  assert.ok(!names.has('pwritev') && !names.has('readv') && names.has('pwrite64'));
  assert.doesNotMatch(r.stderr, /interchangeable/);
});

test('expected denials (clone3 → ENOSYS) are marked, not failures; --check --format json', async () => {
  // Unconfined: clone3 was called; Docker's default answers ENOSYS on purpose.
  const c = cases.find((x) => x.w === 'redis' && !x.confined && x.perExec)!;
  const p = join(dir, 'enosys.json');
  writeFileSync(p, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }, { names: ['umask'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
  const out = join(dir, 'check.json');
  const r = await run(['seccomp', c.path, '-c', c.id.slice(0, 12), '--check', p, '-f', 'json', '-o', out]);
  assert.ok(r.error instanceof CliError && r.error.exitCode === 1, 'umask is a real failure');
  const j = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(j.ok, false);
  assert.deepEqual(j.would_deny.map((f: { name: string }) => f.name), ['umask']);
  assert.equal(j.would_deny[0].errno, 'EPERM');
  assert.deepEqual(j.expected_denials.map((f: { name: string; expected: string }) => [f.name, /falls back to clone/.test(f.expected)]), [['clone3', true]]);
  // Confined: clone3 denied while recording is marked expected in --check and in denied-syscalls.
  const conf = cases.find((x) => x.w === 'redis' && x.confined && x.perExec)!;
  const txt = join(dir, 'check2.txt');
  await run(['seccomp', conf.path, '-c', conf.id.slice(0, 12), '--check', p, '-o', txt]);
  assert.match(readFileSync(txt, 'utf8'), /clone3 \(x86_64\) ×2 → ENOSYS, by redis-server — expected/);
  const db = await openAnalysis([conf.path]);
  try {
    const d = await db.named('denied-syscalls', { container: null });
    assert.deepEqual(d.map((x) => [x.syscall, x.expected]), [['clone3', true]]);
  } finally {
    db.close();
  }
  const usage = await run(['seccomp', conf.path, '-c', conf.id.slice(0, 12), '-f', 'json']);
  assert.ok(usage.error instanceof CliError && usage.error.exitCode === 2, '--format json without --check is a usage error');
});

test('queries/denied-syscalls.sql names the same fallbacks as src/seccomp/fallbacks.ts', () => {
  const sql = readQuery('denied-syscalls').sql;
  const listed = [...sql.matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]!).sort();
  assert.deepEqual(listed, Object.keys(FALLBACKS).sort());
});
