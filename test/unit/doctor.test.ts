/**
 * `contxray doctor` on fake host trees: each check's ok/warn/fail, the JSON shape, the table, the exit
 * code mapping, record's pointer to doctor, and the tracepoint list against the BPF sources.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  HostView,
  checkAddon,
  checkBtf,
  checkCapabilities,
  checkCgroup,
  checkKernel,
  checkMemlock,
  checkRoot,
  checkRuntimes,
  checkSeccomp,
  checkTracefs,
  checkTracepoint,
  checkUnprivilegedBpf,
  memlockLimit,
  type Check,
} from '../../src/doctor/checks.js';
import { diagnose } from '../../src/doctor/run.js';
import { doctorJson, doctorTable, verdict } from '../../src/doctor/report.js';
import { BPF_SECTIONS, parseSection, tracepoints } from '../../src/doctor/tracepoints.js';
import { doctorExit } from '../../src/cli/doctor.js';
import { EXIT, userMessage } from '../../src/cli/errors.js';
import { CaptureError, RecorderError } from '../../src/util/errors.js';
import { packageRoot } from '../../src/util/package-root.js';
import type { AddonInfo } from '../../src/record/addon.js';
import { tempDir } from '../helpers/captures.js';

const work = tempDir('cxdoc-');
after(() => work.cleanup());
let trees = 0;

const ALL_CAPS = '000001ffffffffff';
const HYBRID = [
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const UNIFIED = '30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw';
const ADDON_OK: AddonInfo = { found: true, kind: 'prebuilt', path: '/pkg/prebuilds/linux-x64/contxray.node', error: null };

interface Tree {
  uid?: number;
  capEff?: string;
  seccomp?: string | null;
  release?: string;
  /** Names in the BTF string table; null: no /sys/kernel/btf/vmlinux. */
  btf?: string[] | null;
  /** Where tracefs is mounted under /sys, or null. */
  tracefs?: string | null;
  events?: string[];
  mountinfo?: string;
  memlock?: string;
  unprivileged?: string;
  /** Files and directories (trailing /) under the host root. */
  host?: string[];
  path?: string;
}

const BTF_NAMES = ['bpf_rdonly_cast', ...tracepoints().filter((t) => t.via === 'btf').map((t) => `btf_trace_${t.name}`)];

/** A fake /proc, /sys and host root; every field defaults to a host where recording works. */
function fakeHost(t: Tree = {}): HostView {
  const root = join(work.dir, `tree${trees++}`);
  const file = (path: string, text: string | Buffer) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  const proc = join(root, 'proc');
  const sys = join(root, 'sys');
  const host = join(root, 'host');
  const uid = t.uid ?? 0;
  const seccomp = t.seccomp === undefined ? 'Seccomp:\t0\nSeccomp_filters:\t0\n' : t.seccomp === null ? '' : t.seccomp;
  file(join(proc, 'self/status'), `Name:\tnode\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nCapEff:\t${t.capEff ?? ALL_CAPS}\n${seccomp}`);
  file(join(proc, 'sys/kernel/osrelease'), `${t.release ?? '6.18.44-fc'}\n`);
  file(join(proc, 'self/mountinfo'), `${t.mountinfo ?? UNIFIED}\n`);
  file(join(proc, 'self/limits'), `Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         ${t.memlock ?? '8388608              8388608'}              bytes\n`);
  file(join(proc, 'sys/kernel/unprivileged_bpf_disabled'), `${t.unprivileged ?? '2'}\n`);
  const btf = t.btf === undefined ? BTF_NAMES : t.btf;
  if (btf) file(join(sys, 'kernel/btf/vmlinux'), Buffer.concat([Buffer.from([0x9f, 0xeb, 1, 0]), Buffer.from(`\0${btf.join('\0')}\0`)]));
  const tracefs = t.tracefs === undefined ? 'kernel/tracing' : t.tracefs;
  if (tracefs) {
    mkdirSync(join(sys, tracefs, 'events'), { recursive: true });
    for (const e of t.events ?? ['sock/inet_sock_set_state']) mkdirSync(join(sys, tracefs, 'events', e), { recursive: true });
  }
  for (const p of t.host ?? ['/var/lib/docker/containers/']) {
    if (p.endsWith('/')) mkdirSync(join(host, p), { recursive: true });
    else file(join(host, p), '');
  }
  mkdirSync(host, { recursive: true });
  return new HostView({ proc, sys, host, path: t.path ?? '' });
}

test('a healthy host: every check ok, ready, exit 0', async () => {
  const h = fakeHost();
  const checks = await diagnose({ roots: h.roots, addon: () => ADDON_OK, load: false });
  assert.deepEqual(
    checks.filter((c) => c.status !== 'ok'),
    [],
  );
  assert.deepEqual(
    checks.map((c) => c.id),
    [
      'root',
      'capabilities',
      'kernel',
      'btf',
      'tracefs',
      ...tracepoints().map((t) => `tracepoint ${t.name}`),
      'cgroup',
      'runtimes',
      'memlock',
      'unprivileged-bpf',
      'seccomp',
      'addon',
    ],
  );
  assert.equal(doctorExit(checks), EXIT.ok);
  assert.equal(verdict(checks), 'recording will work');
});

test('root: uid 0 ok, any other uid fails with what to do', () => {
  assert.equal(checkRoot(fakeHost()).status, 'ok');
  const c = checkRoot(fakeHost({ uid: 1000 }));
  assert.equal(c.status, 'fail');
  assert.match(c.found, /uid 1000/);
  assert.match(c.fix!, /sudo/);
});

test('capabilities: CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN suffice; neither fails', () => {
  const bit = (n: number) => (1n << BigInt(n)).toString(16);
  const bpfPerfmon = ((1n << 39n) | (1n << 38n)).toString(16);
  assert.equal(checkCapabilities(fakeHost({ capEff: bpfPerfmon })).status, 'ok');
  assert.equal(checkCapabilities(fakeHost({ capEff: bit(21) })).status, 'ok');
  const onlyBpf = checkCapabilities(fakeHost({ capEff: bit(39) }));
  assert.equal(onlyBpf.status, 'fail');
  assert.match(onlyBpf.found, /CAP_BPF/);
  const none = checkCapabilities(fakeHost({ capEff: '0000000000000000' }));
  assert.equal(none.status, 'fail');
  assert.match(none.fix!, /CAP_PERFMON/);
  // this test VM: everything but CAP_SYS_RESOURCE
  assert.equal(checkCapabilities(fakeHost({ capEff: '000001fffeffffff' })).status, 'ok');
});

test('kernel: ≥ 6.2 ok; older with the 6.2 kfunc in BTF warns (a backport); older without fails', () => {
  assert.equal(checkKernel(fakeHost({ release: '6.2.0-39-generic' })).status, 'ok');
  assert.equal(checkKernel(fakeHost({ release: '5.14.0-427.el9.x86_64' })).status, 'warn');
  const old = checkKernel(fakeHost({ release: '5.15.0-91-generic', btf: ['btf_trace_sys_enter'] }));
  assert.equal(old.status, 'fail');
  assert.match(old.fix!, /6\.2/);
});

test('btf: present ok, missing fails, and the BTF-typed tracepoints cannot be checked without it', () => {
  assert.equal(checkBtf(fakeHost()).status, 'ok');
  const h = fakeHost({ btf: null });
  const c = checkBtf(h);
  assert.equal(c.status, 'fail');
  assert.match(c.fix!, /CONFIG_DEBUG_INFO_BTF/);
  assert.equal(checkTracepoint(h, parseSection('tp_btf/sys_enter')!).status, 'fail');
});

test('tracefs: /sys/kernel/tracing or the debugfs place ok; not mounted warns (record mounts it)', () => {
  assert.equal(checkTracefs(fakeHost()).status, 'ok');
  const debug = fakeHost({ tracefs: 'kernel/debug/tracing' });
  assert.match(checkTracefs(debug).found, /debug\/tracing/);
  assert.equal(checkTracepoint(debug, parseSection('tp/sock/inet_sock_set_state')!).status, 'ok');
  const none = fakeHost({ tracefs: null });
  assert.equal(checkTracefs(none).status, 'warn');
  assert.equal(checkTracepoint(none, parseSection('tp/sock/inet_sock_set_state')!).status, 'warn');
});

test('tracepoints: a missing BTF typedef or tracefs event fails, naming it', () => {
  const noExec = fakeHost({ btf: BTF_NAMES.filter((n) => n !== 'btf_trace_sched_process_exec') });
  const exec = checkTracepoint(noExec, parseSection('tp_btf/sched_process_exec')!);
  assert.equal(exec.status, 'fail');
  assert.match(exec.found, /btf_trace_sched_process_exec/);
  assert.equal(checkTracepoint(noExec, parseSection('tp_btf/sys_enter')!).status, 'ok');
  const noSock = checkTracepoint(fakeHost({ events: [] }), parseSection('tp/sock/inet_sock_set_state')!);
  assert.equal(noSock.status, 'fail');
  assert.match(noSock.fix!, /sock:inet_sock_set_state/);
});

test('cgroup: unified and hybrid ok, v1 only fails, a hostile mount point is escaped in the table', () => {
  assert.match(checkCgroup(fakeHost()).found, /unified\) at \/sys\/fs\/cgroup$/);
  const hybrid = checkCgroup(fakeHost({ mountinfo: HYBRID }));
  assert.equal(hybrid.status, 'ok');
  assert.match(hybrid.found, /hybrid: cgroup v2 at \/sys\/fs\/cgroup\/unified/);
  const v1 = checkCgroup(fakeHost({ mountinfo: HYBRID.split('\n').slice(0, 2).join('\n') }));
  assert.equal(v1.status, 'fail');
  assert.match(v1.fix!, /unified_cgroup_hierarchy/);
  const hostile = checkCgroup(fakeHost({ mountinfo: '40 30 0:37 / /sys/fs/\\033[2Jx rw - cgroup2 cgroup2 rw' }));
  const table = doctorTable([hostile], false);
  assert.ok(!table.includes('\x1b'), table);
  assert.match(table, /\\x1b\[2Jx/);
});

test('runtimes: the state dirs src/containers reads; none warns; dockerd without state or CLI warns', () => {
  assert.match(checkRuntimes(fakeHost()).found, /^Docker \(\/var\/lib\/docker\/containers\); not found: containerd, CRI-O\/podman$/);
  const all = checkRuntimes(
    fakeHost({ host: ['/var/lib/docker/containers/', '/run/containerd/io.containerd.runtime.v2.task/', '/var/lib/containers/storage/overlay-containers/containers.json'] }),
  );
  assert.equal(all.status, 'ok');
  assert.match(all.found, /Docker .*containerd \(\/run\/containerd\/io\.containerd\.runtime\.v2\.task\), CRI-O\/podman \(\/var\/lib\/containers\/storage\)$/);
  const none = checkRuntimes(fakeHost({ host: [] }));
  assert.equal(none.status, 'warn');
  assert.match(none.fix!, /without names/);
  const viaCli = checkRuntimes(fakeHost({ host: ['/run/docker.sock', '/usr/bin/docker'], path: '/usr/local/bin:/usr/bin' }));
  assert.equal(viaCli.status, 'ok');
  assert.match(viaCli.found, /docker inspect/);
  const blind = checkRuntimes(fakeHost({ host: ['/run/docker.sock'], path: '/usr/bin' }));
  assert.equal(blind.status, 'warn');
  assert.match(blind.fix!, /docker CLI/);
});

test('memlock: irrelevant from 5.11; before, enough RLIMIT_MEMLOCK or CAP_SYS_RESOURCE, else fail', () => {
  assert.equal(memlockLimit('Max locked memory         unlimited            unlimited            bytes'), Infinity);
  assert.equal(memlockLimit('Max locked memory         65536                65536                bytes'), 65536);
  assert.equal(checkMemlock(fakeHost()).status, 'ok');
  const noResource = '000001fffeffffff';
  const old = checkMemlock(fakeHost({ release: '5.10.0-28-amd64', capEff: noResource }));
  assert.equal(old.status, 'fail');
  assert.match(old.fix!, /ulimit -l unlimited/);
  assert.equal(checkMemlock(fakeHost({ release: '5.10.0-28-amd64' })).status, 'ok');
  assert.equal(checkMemlock(fakeHost({ release: '5.10.0-28-amd64', capEff: noResource, memlock: 'unlimited unlimited' })).status, 'ok');
});

test('unprivileged BPF: shown, never a problem for a root recorder', () => {
  const c = checkUnprivilegedBpf(fakeHost({ unprivileged: '0' }));
  assert.equal(c.status, 'ok');
  assert.match(c.found, /=0: unprivileged BPF allowed/);
});

test('seccomp: none ok; a filter warns until a load proves bpf() passes; strict mode fails', () => {
  assert.equal(checkSeccomp(fakeHost()).status, 'ok');
  const filtered = fakeHost({ seccomp: 'Seccomp:\t2\nSeccomp_filters:\t1\n' });
  const c = checkSeccomp(filtered);
  assert.equal(c.status, 'warn');
  assert.match(c.fix!, /seccomp=unconfined/);
  assert.equal(checkSeccomp(filtered, true).status, 'ok');
  assert.match(checkSeccomp(filtered, false).found, /loading failed/);
  assert.equal(checkSeccomp(fakeHost({ seccomp: 'Seccomp:\t1\n' })).status, 'fail');
});

test('addon: prebuilt or built ok; missing or not loading fails with how to get one', () => {
  assert.match(checkAddon(ADDON_OK).found, /^prebuilt, loads/);
  assert.match(checkAddon({ ...ADDON_OK, kind: 'source' }).found, /^built from source/);
  const missing = checkAddon({ found: false, kind: null, path: null, error: null });
  assert.equal(missing.status, 'fail');
  assert.match(missing.fix!, /npm run build:native/);
  const broken = checkAddon({ ...ADDON_OK, error: 'libbpf.so.1: cannot open shared object file' });
  assert.equal(broken.status, 'fail');
  assert.match(broken.found, /does not load: libbpf\.so\.1/);
});

test('the live load is not tried when what it needs failed: a warning, not a second failure', async () => {
  const h = fakeHost({ uid: 1000, capEff: '0' });
  const checks = await diagnose({ roots: h.roots, addon: () => ADDON_OK, load: true });
  const load = checks.find((c) => c.id === 'bpf-load')!;
  assert.equal(load.status, 'warn');
  assert.match(load.found, /^not tried: root, capabilities not ok/);
  assert.equal(checks.find((c) => c.id === 'seccomp')!.status, 'ok');
});

test('the live load decides the seccomp line: a filter that let the programs load is ok, one that did not is named', async () => {
  const h = fakeHost({ seccomp: 'Seccomp:\t2\nSeccomp_filters:\t1\n' });
  const loaded = await diagnose({ roots: h.roots, addon: () => ADDON_OK, load: true, trial: async () => ({ id: 'bpf-load', status: 'ok', found: 'loaded', fix: null }) });
  assert.deepEqual(loaded.filter((c) => c.status !== 'ok'), []);
  assert.equal(loaded.at(-1)!.id, 'bpf-load');
  const refused = await diagnose({
    roots: h.roots,
    addon: () => ADDON_OK,
    load: true,
    trial: async () => ({ id: 'bpf-load', status: 'fail', found: 'eBPF: loading the BPF programs was refused: Operation not permitted', fix: 'x' }),
  });
  assert.match(refused.find((c) => c.id === 'seccomp')!.found, /loading failed: it may be why/);
  assert.equal(doctorExit(refused), EXIT.environment);
});

test('JSON: { ready, checks: [{ id, status, found, fix }] }, fix null when ok', async () => {
  const h = fakeHost({ tracefs: null, uid: 1000 });
  const checks = await diagnose({ roots: h.roots, addon: () => ADDON_OK, load: false });
  const json = JSON.parse(JSON.stringify(doctorJson(checks))) as { ready: unknown; checks: Record<string, unknown>[] };
  assert.equal(json.ready, false);
  assert.deepEqual(Object.keys(json), ['ready', 'checks']);
  for (const c of json.checks) {
    assert.deepEqual(Object.keys(c), ['id', 'status', 'found', 'fix']);
    assert.ok(['ok', 'warn', 'fail'].includes(c.status as string));
    assert.equal(typeof c.found, 'string');
    assert.equal(c.fix === null, c.status === 'ok', JSON.stringify(c));
  }
  assert.deepEqual(
    json.checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}:${c.status}`),
    ['root:fail', 'tracefs:warn', 'tracepoint sock/inet_sock_set_state:warn'],
  );
});

test('exit code: 0 with warnings, EXIT.environment (4) on any failure', () => {
  const c = (status: Check['status']): Check => ({ id: status, status, found: '', fix: status === 'ok' ? null : 'x' });
  assert.equal(doctorExit([c('ok'), c('ok')]), 0);
  assert.equal(doctorExit([c('ok'), c('warn')]), 0);
  assert.equal(doctorExit([c('warn'), c('fail')]), EXIT.environment);
  assert.equal(EXIT.environment, 4);
  assert.equal(verdict([c('ok'), c('warn')]), 'recording will work (1 warning)');
  assert.equal(verdict([c('fail'), c('warn')]), 'recording will not work here: fail failed');
});

test('table: one line per check; status coloured only when asked', () => {
  const checks: Check[] = [
    { id: 'root', status: 'fail', found: 'running as uid 1000, not root', fix: 'run it as root: sudo contxray record …' },
    { id: 'btf', status: 'ok', found: '/sys/kernel/btf/vmlinux', fix: null },
  ];
  const plain = doctorTable(checks, false);
  assert.ok(!plain.includes('\x1b'));
  const lines = plain.trimEnd().split('\n');
  assert.equal(lines.length, 2 + checks.length);
  assert.match(lines[2]!, /^fail +root +running as uid 1000, not root +run it as root/);
  const colored = doctorTable(checks, true);
  assert.ok(colored.includes('\x1b[31mfail\x1b[0m'));
  assert.ok(colored.includes('\x1b[32mok\x1b[0m'));
});

test("record's environment errors point to doctor; other errors do not", () => {
  for (const code of ['not-root', 'no-btf', 'no-tracefs', 'not-built', 'load-failed', 'bpf']) {
    assert.match(userMessage(new RecorderError(code, 'x')), /^x \(run `contxray doctor` to check this host\)$/);
  }
  assert.equal(userMessage(new RecorderError('closed', 'the recorder is closed')), 'the recorder is closed');
  assert.equal(userMessage(new RecorderError('metrics-listen', 'busy')), 'busy');
  assert.equal(userMessage(new CaptureError('not-found', 'no such file')), 'no such file');
});

/** Every SEC("…") of the BPF sources. */
function bpfSections(): string[] {
  const dir = join(packageRoot(), 'bpf');
  const names: string[] = [];
  for (const f of readdirSync(dir).filter((f) => /\.bpf\.[ch]$/.test(f))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\bSEC\("([^"]+)"\)/g)) names.push(m[1]!);
  }
  return names;
}

test('the tracepoint list is the BPF sources\' programs: every program section is a known tracepoint kind and listed', () => {
  const programs = [...new Set(bpfSections().filter((s) => !s.startsWith('.') && s !== 'license'))].sort();
  assert.ok(programs.length >= 6, `found ${programs.join(', ')}`);
  for (const s of programs) assert.ok(parseSection(s), `bpf/ has SEC("${s}"), which doctor cannot check: teach src/doctor/tracepoints.ts its kind`);
  assert.deepEqual([...BPF_SECTIONS].sort(), programs, 'src/doctor/tracepoints.ts BPF_SECTIONS must list exactly the SEC names of bpf/');
});
