/**
 * `contxray seccomp` on real fixture captures (writeCaptureFromRows → DuckDB → profile), through the
 * command module itself: names from the capture's own table (compat included), the filtered
 * boundary, unknown numbers, merged captures, ambiguity errors, formats, --check and --compare-default.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { openAnalysis } from '../../src/analyze/db.js';
import { loadContainerUse } from '../../src/seccomp/load.js';
import { CliError } from '../../src/cli/errors.js';
import { SelectionError } from '../../src/util/errors.js';
import { syscallNumber } from '../../src/syscalls/index.js';
import { runSeccomp } from '../helpers/seccomp-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'contxray-seccomp-'));
const T0 = 1_764_000_000_000_000_000n; // ns
const WEB = 'ab12'.repeat(16);
const OTHER = 'ab13'.repeat(16);
const CG = 4242;

function container(id: string, name: string, cgroup: number, startedAt: bigint): Row {
  return {
    kind: 'container', ts: startedAt, cgroup_id: cgroup, container_id: id, container_name: name, image: 'contxray/busybox:test',
    runtime: 'docker', cgroup_path: `/docker/${id}`, started_at: startedAt, first_seen: startedAt, last_seen: startedAt + 1_000_000n,
  };
}

function sc(name: string, over: Record<string, unknown> = {}): Row {
  const nr = syscallNumber('x86_64', name);
  assert.ok(nr !== undefined, name);
  return {
    kind: 'syscall', ts: T0 + 10n, cgroup_id: CG, pid: 100, tid: 100, comm: 'httpd', syscall_nr: nr, compat: false,
    filtered: true, count: 3n, errors: 0n, denied: 0n, denied_errno: 0, ...over,
  };
}

function webRows(): Row[] {
  const init = { comm: 'runc:[2:INIT]', pid: 99, tid: 99 };
  return [
    container(WEB, 'web', CG, T0 + 1n),
    container(OTHER, 'web-old', CG + 1, T0 + 1n),
    ...['mount', 'pivot_root', 'sethostname', 'umount2', 'keyctl', 'unshare'].map((n) => sc(n, { ...init, filtered: false })),
    sc('fstatfs', init),
    sc('capset', init),
    sc('execve', { ...init, count: 1n }),
    { kind: 'exec', ts: T0 + 5n, cgroup_id: CG, pid: 99, tid: 99, ppid: 1, uid: 0, comm: 'httpd', filename: '/bin/httpd', argv: ['httpd', '-f'], truncated: false },
    sc('accept4'),
    sc('read'),
    sc('write'),
    sc('clone3', { count: 0n, denied: 4n, denied_errno: 38 }),
    // ia32 compat execve is number 11 — munmap on x86_64: it must be named from the compat table.
    sc('munmap', { compat: true, comm: 'legacy32' }),
    // A number this table does not know (a newer kernel's syscall).
    { ...sc('read'), syscall_nr: 470, comm: 'newapp' },
    sc('read', { cgroup_id: CG + 1, comm: 'other' }),
  ];
}

let capture = '';
let capture2 = '';
let late = '';

before(async () => {
  capture = join(dir, 'web.arrow');
  await writeCaptureFromRows(capture, { rows: webRows(), startedAtNs: T0, host: { hostname: 'host1' } });
  // The same container name recorded on another host, doing one more thing.
  capture2 = join(dir, 'web2.arrow');
  const id2 = 'cd34'.repeat(16);
  await writeCaptureFromRows(capture2, {
    startedAtNs: T0,
    host: { hostname: 'host2' },
    rows: [container(id2, 'web', 7, T0 + 1n), sc('fstatfs', { cgroup_id: 7, comm: 'runc:[2:INIT]' }), sc('sendfile', { cgroup_id: 7 })],
  });
  // A capture that started after the container did.
  late = join(dir, 'late.arrow');
  await writeCaptureFromRows(late, { startedAtNs: T0 + 1_000_000_000n, rows: [container(WEB, 'web', CG, T0), sc('read', { ts: T0 + 2_000_000_000n })] });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const run = runSeccomp;

test('rows come from DuckDB named with the capture table, compat and unknown numbers right', async () => {
  const db = await openAnalysis([capture]);
  try {
    const u = await loadContainerUse(db, 'web');
    assert.equal(u.arch, 'x86_64');
    assert.deepEqual(u.containers.map((c) => c.container_id), [WEB]);
    const compat = u.rows.find((r) => r.compat)!;
    assert.equal(compat.name, 'execve');
    assert.equal(compat.arch, 'i386');
    const unknown = u.rows.find((r) => r.nr === 470)!;
    assert.equal(unknown.name, null);
    assert.ok(!u.rows.some((r) => r.comm === 'other'), 'another container’s calls are not mixed in');
  } finally {
    db.close();
  }
});

test('generates a Docker profile with the boundary applied and a summary on stderr', async () => {
  const out = join(dir, 'web.json');
  const r = await run(['seccomp', capture, '--container', 'web', '-o', out, '--compare-default']);
  assert.equal(r.error, undefined, String(r.error));
  const p = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const allow: string[] = p.syscalls[0].names;
  for (const n of ['fstatfs', 'capset', 'execve', 'accept4', 'read', 'write', 'exit_group', 'rt_sigreturn', 'sigreturn']) assert.ok(allow.includes(n), n);
  for (const n of ['mount', 'pivot_root', 'sethostname', 'umount2', 'keyctl', 'unshare', 'clone3']) assert.ok(!allow.includes(n), n);
  assert.deepEqual(allow, [...allow].sort());
  assert.ok(p.syscalls.some((s: { names: string[]; errnoRet?: number }) => s.names.includes('clone3') && s.errnoRet === 38));
  assert.match(r.stderr, /allowed: \d+ syscalls; Docker's default allows \d+/);
  assert.match(r.stderr, /left out, runtime setup before the filter: keyctl, mount, pivot_root, sethostname, umount2, unshare/);
  assert.match(r.stderr, /#470 \(x86_64\) ×3 by newapp/);
  assert.match(r.stderr, /clone3 ×4 \(ENOSYS\)/);
  assert.match(r.stderr, /dangerous ones removed:\n(.*\n)*\s+ptrace:/);
  assert.doesNotMatch(r.stderr, /warning/);
});

test('--format spo and --default-errno ENOSYS', async () => {
  const out = join(dir, 'web.yaml');
  const r = await run(['seccomp', capture, '-c', 'web', '-f', 'spo', '--default-errno', 'ENOSYS', '-o', out]);
  assert.equal(r.error, undefined, String(r.error));
  const y = readFileSync(out, 'utf8');
  assert.match(y, /^apiVersion: security-profiles-operator.x-k8s.io\/v1beta1\nkind: SeccompProfile\nmetadata:\n {2}name: "web"/);
  assert.match(y, /defaultAction: "SCMP_ACT_ERRNO"/);
  assert.match(y, /errnoRet: "38"\n {4}names:\n(.*\n)*? {4}- "mkdir"/);
});

test('--arch aarch64 translates names', async () => {
  const out = join(dir, 'web-arm64.json');
  const r = await run(['seccomp', capture, '-c', 'web', '--arch', 'arm64', '-o', out]);
  assert.equal(r.error, undefined, String(r.error));
  const p = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(p.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(p.syscalls[0].names.every((n: string) => syscallNumber('aarch64', n) !== undefined || syscallNumber('arm', n) !== undefined));
  assert.match(r.stderr, /translated from x86_64/);
});

test('several captures of the same container name are merged', async () => {
  const out = join(dir, 'merged.json');
  const r = await run(['seccomp', capture, capture2, '-c', 'web', '-o', out]);
  assert.equal(r.error, undefined, String(r.error));
  const allow: string[] = JSON.parse(readFileSync(out, 'utf8')).syscalls[0].names;
  assert.ok(allow.includes('sendfile') && allow.includes('accept4'));
});

test('ambiguous and unknown containers are errors listing the candidates', async () => {
  let r = await run(['seccomp', capture, '-c', 'ab1', '-o', join(dir, 'x.json')]);
  assert.ok(r.error instanceof SelectionError && r.error.code === 'ambiguous-container' && /web-old/.test(r.error.message), String(r.error));
  r = await run(['seccomp', capture, '-c', 'nginx', '-o', join(dir, 'x.json')]);
  assert.ok(r.error instanceof SelectionError && r.error.code === 'unknown-container', String(r.error));
  r = await run(['seccomp', capture, '-c', 'ab12ab', '-o', join(dir, 'x.json')]);
  assert.equal(r.error, undefined, 'a unique id prefix matches');
});

test('a capture that started after the container is refused with how to record; --partial warns instead', async () => {
  let r = await run(['seccomp', late, '-c', 'web', '-o', join(dir, 'late.json')]);
  assert.ok(r.error instanceof CliError && r.error.exitCode === 1, String(r.error));
  assert.match((r.error as Error).message, /after the container did.*kill it at start.*contxray record -o x\.arrow -- docker run/);
  r = await run(['seccomp', late, '-c', 'web', '--partial', '-o', join(dir, 'late.json')]);
  assert.equal(r.error, undefined, String(r.error));
  assert.match(r.stderr, /warning: .*after the container did.*contxray record -o x\.arrow -- docker run/);
});

test('--check: exit 1 with what would be denied; 0 when the generated profile is checked', async () => {
  const strict = join(dir, 'strict.json');
  writeFileSync(strict, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] }));
  const report = join(dir, 'check.txt');
  let r = await run(['seccomp', capture, '-c', 'web', '--check', strict, '-o', report]);
  assert.ok(r.error instanceof CliError && r.error.exitCode === 1, String(r.error));
  const text = readFileSync(report, 'utf8');
  assert.match(text, /would deny \d+ recorded syscall/);
  // runc's cut-off: above the highest named number (write = 1) the answer is ENOSYS, not EPERM.
  assert.match(text, /accept4 \(x86_64\) ×3 by httpd \(1 process\(es\)\): ENOSYS, above the highest syscall the profile names \(1\)/);
  assert.match(text, /fstatfs \(x86_64\) ×3 by runc:\[2:INIT\]/, "runc's post-filter call: the classic start failure");
  assert.match(text, /execve \(i386\) ×3 by legacy32/);
  assert.match(text, /#470 \(x86_64\)/);
  assert.match(text, /denied by seccomp while recording:\n {2}clone3 \(x86_64\) ×4 → ENOSYS, by httpd/);
  assert.doesNotMatch(text, /mount/, 'setup calls are outside what a profile governs');
  const own = join(dir, 'own.json');
  assert.equal((await run(['seccomp', capture, '-c', 'web', '-o', own])).error, undefined);
  r = await run(['seccomp', capture, '-c', 'web', '--check', own, '-o', report, '--force']);
  // The unknown number (#470) can never be allowed by name: still reported, still exit 1.
  assert.ok(r.error instanceof CliError && /1 recorded syscall/.test(r.error.message), String(r.error));
  assert.match(readFileSync(report, 'utf8'), /#470/);
  r = await run(['seccomp', capture, '-c', 'web', '--check', join(dir, 'missing.json')]);
  assert.ok(r.error instanceof CliError && r.error.exitCode === 3);
});
