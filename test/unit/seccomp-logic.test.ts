/** The seccomp logic on plain rows: boundary, profile formats, check, compare, translation, matching. */
import { requireOrSkip } from '../helpers/env.js';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { allowedNames, selectSyscalls } from '../../src/seccomp/boundary.js';
import { RUNC_BASE_V1 } from '../../src/seccomp/base-sets.js';
import { buildProfile } from '../../src/seccomp/profile.js';
import { spoName, spoYaml } from '../../src/seccomp/spo.js';
import { checkProfile, verdictFor } from '../../src/seccomp/check.js';
import { compareWithDefault } from '../../src/seccomp/compare.js';
import { dockerDefault } from '../../src/seccomp/docker-default.js';
import { translateNames } from '../../src/seccomp/translate.js';
import { matchContainers } from '../../src/analyze/select.js';
import { startWarnings } from '../../src/seccomp/start.js';
import { CaptureError, SelectionError } from '../../src/util/errors.js';
import { syscallNumber } from '../../src/syscalls/index.js';
import type { SyscallUse } from '../../src/seccomp/types.js';

const SETUP = ['mount', 'pivot_root', 'sethostname', 'umount2', 'keyctl', 'unshare'];

function use(name: string | null, over: Partial<SyscallUse> = {}): SyscallUse {
  const nr = name === null ? 999 : (syscallNumber('x86_64', name) ?? -1);
  return { name, nr, arch: 'x86_64', compat: false, filtered: true, comm: 'sh', calls: 5n, denied: 0n, denied_errno: 0, pids: 1, ...over };
}

/** A Docker start under the default profile: runc's setup unfiltered, then filtered calls. */
function dockerStart(): SyscallUse[] {
  return [
    ...SETUP.map((n) => use(n, { filtered: false, comm: 'runc:[2:INIT]' })),
    use('openat', { filtered: false, comm: 'runc:[2:INIT]' }),
    use('fstatfs', { comm: 'runc:[2:INIT]' }),
    use('capset', { comm: 'runc:[2:INIT]' }),
    use('execve', { comm: 'runc:[2:INIT]', calls: 1n }),
    use('read'),
    use('write'),
    use('openat'),
    use('wait4'),
    use('clone3', { calls: 0n, denied: 3n, denied_errno: 38 }),
  ];
}

test('boundary: post-filter calls and exit paths in, runc setup out', () => {
  const sel = selectSyscalls(dockerStart());
  const names = allowedNames(sel);
  assert.equal(sel.mode, 'filtered');
  for (const n of ['fstatfs', 'capset', 'execve', 'read', 'write', 'openat', 'wait4']) assert.ok(names.includes(n), n);
  for (const n of ['exit', 'exit_group', 'rt_sigreturn', 'restart_syscall']) assert.ok(names.includes(n), `exit path ${n}`);
  for (const n of SETUP) assert.ok(!names.includes(n), `setup call ${n} must stay out`);
  assert.deepEqual(sel.setupOnly, [...SETUP].sort());
  assert.ok(!names.includes('clone3'), 'a call denied while recording is not allowed');
  assert.deepEqual(sel.deniedAtRecord.map((d) => [d.name, d.errno, d.calls]), [['clone3', 38, 3n]]);
  assert.ok(!names.includes('sigreturn'), 'no compat exit path without compat calls');
  assert.deepEqual(sel.warnings, []);
  assert.deepEqual(names, [...names].sort());
});

test('boundary: unfiltered calls by other processes are left out with a warning', () => {
  const sel = selectSyscalls([...dockerStart(), use('ptrace', { filtered: false, comm: 'gdb' })]);
  assert.ok(!allowedNames(sel).includes('ptrace'));
  assert.equal(sel.unfilteredOther[0]?.name, 'ptrace');
  assert.match(sel.warnings.join('\n'), /ptrace by gdb/);
});

test('boundary: seccomp=unconfined falls back to "not runc\'s processes" plus the base set (a note), warns without a base set', () => {
  const rows = dockerStart().map((r) => ({ ...r, filtered: false }));
  const sel = selectSyscalls(rows, { baseSet: RUNC_BASE_V1 });
  const names = allowedNames(sel);
  assert.equal(sel.mode, 'unconfined');
  for (const n of SETUP) assert.ok(!names.includes(n), n);
  for (const n of ['read', 'write', 'wait4', 'fstatfs', 'capset', 'prctl']) assert.ok(names.includes(n), n);
  assert.deepEqual(sel.warnings, []);
  assert.match(sel.notes[0]!, /seccomp=unconfined/);
  assert.equal(sel.baseSet, 'runc-v1');
  const bare = selectSyscalls(rows);
  assert.match(bare.warnings[0]!, /may not start the container/);
});

test('unknown numbers are reported as numbers, never named', () => {
  const sel = selectSyscalls([...dockerStart(), use(null, { nr: 452, calls: 7n, comm: 'app' })]);
  assert.deepEqual(sel.unknown.map((u) => [u.nr, u.calls, u.comms]), [[452, 7n, ['app']]]);
  const p = buildProfile(sel, { arch: 'x86_64' });
  const all = p.syscalls!.flatMap((r) => r.names);
  assert.ok(all.every((n) => /^[a-z_][a-z0-9_]*$/.test(n)) && !all.some((n) => n.includes('452')));
});

test('compat calls add the 32-bit signal return', () => {
  const sel = selectSyscalls([...dockerStart(), use('execve', { nr: 11, arch: 'i386', compat: true })]);
  assert.ok(sel.compatUsed);
  assert.ok(allowedNames(sel).includes('sigreturn'));
});

test('Docker profile: default errno, arches, sorted allow rule, recorded denials, EPERM ceiling', () => {
  const sel = selectSyscalls(dockerStart());
  const p = buildProfile(sel, { arch: 'x86_64' });
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const [allow, ...rest] = p.syscalls!;
  assert.equal(allow!.action, 'SCMP_ACT_ALLOW');
  assert.deepEqual(allow!.names, allowedNames(sel));
  const clone3 = rest.find((r) => r.names.includes('clone3'));
  assert.equal(clone3?.errnoRet, 38, 'clone3 keeps ENOSYS so glibc falls back to clone');
  const ceiling = rest.at(-1)!;
  assert.equal(ceiling.errnoRet, 1);
  const highest = Math.max(...ceiling.names.map((n) => syscallNumber('x86_64', n)!));
  assert.ok(highest >= 440, `ceiling reaches the end of the table (${highest})`);
  assert.ok(!ceiling.names.some((n) => allow!.names.includes(n)));
  // Round trip through JSON: what Docker reads.
  assert.deepEqual(JSON.parse(JSON.stringify(p)), p);
});

test('Docker profile with ENOSYS spells every other known name out (Docker 20.10 ignores defaultErrnoRet)', () => {
  const sel = selectSyscalls(dockerStart());
  const p = buildProfile(sel, { arch: 'x86_64', defaultErrno: 'ENOSYS' });
  assert.equal(p.defaultErrnoRet, 38);
  const enosys = p.syscalls!.find((r) => r.errnoRet === 38 && r.names.includes('mkdir'));
  assert.ok(enosys, 'mkdir denied with ENOSYS explicitly');
  assert.ok(enosys!.names.includes('mount'));
  assert.ok(!enosys!.names.includes('read'));
});

test('aarch64 profile names arm64 syscalls and arches', () => {
  const sel = selectSyscalls(dockerStart());
  const t = translateNames(allowedNames(sel), 'x86_64', 'aarch64');
  const p = buildProfile(sel, { arch: 'aarch64', names: t.names });
  assert.deepEqual(p.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(p.syscalls![0]!.names.includes('openat'));
});

test('SPO YAML: required fields, quoted scalars, hostile names cannot break the document', () => {
  const sel = selectSyscalls(dockerStart());
  const p = buildProfile(sel, { arch: 'x86_64' });
  const y = spoYaml(p, { name: 'web', annotations: { 'contxray.io/container': 'we"b\nkind: Evil' } });
  assert.match(y, /^apiVersion: security-profiles-operator\.x-k8s\.io\/v1beta1\nkind: SeccompProfile\nmetadata:\n {2}name: "web"\n/);
  assert.match(y, /\nspec:\n {2}defaultAction: "SCMP_ACT_ERRNO"\n {2}architectures:\n {2}- "SCMP_ARCH_X86_64"\n/);
  assert.match(y, /\n {2}syscalls:\n {2}- action: "SCMP_ACT_ALLOW"\n {4}names:\n {4}- "capset"\n/);
  assert.match(y, /errnoRet: "38"/);
  assert.ok(!/^kind: Evil/m.test(y), 'a newline in a captured string stays inside its quoted scalar');
  assert.equal(y.split('\n').filter((l) => l.startsWith('kind:')).length, 1);
  assert.equal(spoName('My_App/1'), 'my-app-1');
  assert.equal(spoName('///'), 'contxray-profile');
});

test('check: what a profile would deny, by whom; conditional and bad-arch verdicts', () => {
  const rows = [...dockerStart(), use('mkdir', { comm: 'mkdir', calls: 2n, pids: 2 })];
  const sel = selectSyscalls(dockerStart());
  const p = buildProfile(sel, { arch: 'x86_64' });
  const r = checkProfile(p, rows, 'x86_64');
  assert.deepEqual(r.wouldDeny.map((f) => [f.name, f.calls, f.comms]), [['mkdir', 2n, ['mkdir']]]);
  assert.equal(r.wouldDeny[0]!.verdict.kind === 'deny' && r.wouldDeny[0]!.verdict.errno, 1);
  assert.deepEqual(r.deniedAtRecord.map((d) => [d.name, d.errno]), [['clone3', 38]]);
  // Setup calls are outside the boundary: a profile need not allow them.
  assert.ok(!r.wouldDeny.some((f) => SETUP.includes(f.name!)));
  assert.equal(checkProfile(p, dockerStart(), 'x86_64').wouldDeny.length, 0);
  const withArgs = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] }] };
  assert.equal(verdictFor(withArgs, 'personality', 'x86_64', 'x86_64').kind, 'conditional');
  const onlyNative = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'] };
  assert.equal(verdictFor(onlyNative, 'execve', 'i386', 'x86_64').kind, 'deny');
  const denyList = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
  const v = verdictFor(denyList, 'mkdir', 'x86_64', 'x86_64');
  assert.ok(v.kind === 'deny' && v.errno === 13);
  // Docker-format conditions: CAP_SYS_ADMIN is not a default capability.
  const capped = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } }] };
  assert.equal(verdictFor(capped, 'mount', 'x86_64', 'x86_64').kind, 'deny');
});

test("compare: Docker's default from the generated data, dangerous ones highlighted", () => {
  const d = dockerDefault('x86_64')!;
  assert.ok(d.allowed.length > 250 && d.allowed.length < d.syscalls_on_arch, `${d.allowed.length}`);
  assert.ok(!d.allowed.includes('mount') && !d.allowed.includes('open_by_handle_at'));
  assert.ok(d.allowed.includes('ptrace') && d.allowed.includes('io_uring_setup'));
  const sel = selectSyscalls(dockerStart());
  const c = compareWithDefault(allowedNames(sel), 'x86_64')!;
  assert.equal(c.defaultCount, d.allowed.length);
  assert.ok(c.removedRisky.some((r) => r.name === 'ptrace'));
  assert.ok(c.removedRisky.some((r) => r.name === 'io_uring_setup'));
  assert.ok(!c.removed.includes('read'));
  assert.deepEqual(c.beyondDefault, []);
  const wide = compareWithDefault([...allowedNames(sel), 'mount'], 'x86_64')!;
  assert.deepEqual(wide.beyondDefault, ['mount']);
});

test('translate: x86_64 legacy calls become their arm64 replacements, and back', () => {
  const t = translateNames(['open', 'stat', 'read', 'arch_prctl', 'epoll_wait', 'fork'], 'x86_64', 'aarch64');
  assert.deepEqual(t.names, ['clone', 'epoll_pwait', 'newfstatat', 'openat', 'read']);
  assert.deepEqual(t.dropped, ['arch_prctl']);
  assert.deepEqual(t.mapped.open, ['openat']);
  const back = translateNames(['openat', 'read'], 'aarch64', 'x86_64');
  assert.ok(back.names.includes('openat') && back.names.includes('open') && back.names.includes('creat'));
  assert.deepEqual(translateNames(['open'], 'x86_64', 'x86_64').names, ['open']);
});

test('container matching: name (merged across hosts), full id, unique prefix; errors list candidates', () => {
  const a = 'a'.repeat(8) + '1'.repeat(56);
  const b = 'a'.repeat(8) + '2'.repeat(56);
  const c = 'c'.repeat(64);
  const all = [
    { host: 'h1', container_id: a, name: 'web', image: 'i', runtime: 'docker' },
    { host: 'h2', container_id: c, name: 'web', image: 'i', runtime: 'docker' },
    { host: 'h1', container_id: b, name: 'db', image: 'i', runtime: 'docker' },
  ];
  assert.deepEqual(matchContainers(all, 'web').map((x) => x.host), ['h1', 'h2']);
  assert.equal(matchContainers(all, b)[0]!.name, 'db');
  assert.equal(matchContainers(all, 'aaaaaaaa2')[0]!.name, 'db');
  assert.equal(matchContainers(all, 'ccc')[0]!.name, 'web');
  assert.throws(() => matchContainers(all, 'aaaa'), (e: unknown) => e instanceof SelectionError && e.code === 'ambiguous-container' && /web aaaaaaaa1111/.test(e.message) && /db aaaaaaaa2222/.test(e.message));
  assert.throws(() => matchContainers(all, 'nginx'), (e: unknown) => e instanceof SelectionError && e.code === 'unknown-container' && /db/.test(e.message));
  assert.throws(() => matchContainers([], 'web'), (e: unknown) => e instanceof CaptureError && e.code === 'no-containers');
});

test('start warnings: capture started after the container, or nothing of its start seen', () => {
  const base = { host: 'h', capture: 'x.arrow', arch: 'x86_64', runtime: 'docker', execs: 1n, runtime_rows: 5n };
  assert.deepEqual(startWarnings([{ ...base, capture_started_at: 1n, container_started_at: 2n }], 'web'), []);
  const late = startWarnings([{ ...base, capture_started_at: 5_000_000n, container_started_at: 2n }], 'web');
  assert.match(late[0]!, /after the container did/);
  assert.match(late[0]!, /contxray record -o x\.arrow -- docker run/);
  const blind = startWarnings([{ ...base, execs: 0n, runtime_rows: 0n, capture_started_at: null, container_started_at: null }], 'web');
  assert.match(blind[0]!, /no exec/);
  // Merged: one capture that saw the start is enough.
  assert.deepEqual(startWarnings([{ ...base, capture_started_at: 5n, container_started_at: 2n }, { ...base, capture_started_at: 1n, container_started_at: 2n }], 'web'), []);
});

/** An independent YAML parser (PyYAML), where present, reads the SPO document as the CRD expects. */
function pyYaml(): boolean {
  try {
    execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('SPO YAML parses with PyYAML into the CRD shape', (t) => {
  if (!requireOrSkip(t, pyYaml(), 'python3 with PyYAML (scripts/setup.sh installs it)')) return;
  const p = buildProfile(selectSyscalls(dockerStart()), { arch: 'x86_64' });
  const y = spoYaml(p, { name: 'Web: "x"', annotations: { 'contxray.io/container': 'a\nb: c' } });
  const parsed = JSON.parse(execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: y, encoding: 'utf8' }));
  assert.equal(parsed.apiVersion, 'security-profiles-operator.x-k8s.io/v1beta1');
  assert.equal(parsed.kind, 'SeccompProfile');
  assert.match(parsed.metadata.name, /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
  assert.equal(parsed.metadata.annotations['contxray.io/container'], 'a\nb: c');
  assert.equal(parsed.spec.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(parsed.spec.architectures, p.architectures);
  assert.deepEqual(parsed.spec.syscalls[0], { action: 'SCMP_ACT_ALLOW', names: p.syscalls![0]!.names });
  for (const r of parsed.spec.syscalls) {
    assert.ok(Array.isArray(r.names) && r.names.length > 0 && typeof r.action === 'string');
    if ('errnoRet' in r) assert.equal(typeof r.errnoRet, 'string');
  }
});
