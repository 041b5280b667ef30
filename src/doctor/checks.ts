/**
 * What `record` needs from a host, one check each: what is there, and what to do when it is not.
 * Every check reads files only, through `HostView` and its roots, so unit tests point it at a fake
 * tree; nothing here changes the host (the one live trial, loading the BPF programs, is in
 * trial.ts). A 'fail' means recording cannot work; a 'warn' means it works with less.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountinfo } from '../containers/cgroupfs.js';
import { DEFAULT_DOCKER_ROOT } from '../containers/docker.js';
import { CONTAINERD_TASK_DIRS, CONTAINERS_STORAGE_ROOTS } from '../containers/oci-state.js';
import type { AddonInfo } from '../record/addon.js';
import { tracepoints, type Tracepoint } from './tracepoints.js';

export type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  id: string;
  status: Status;
  /** What is there, one line. */
  found: string;
  /** What to do, when status is not ok. */
  fix: string | null;
}

/** Where the host's files are: the real ones, or a fake tree in tests. */
export interface Roots {
  proc: string;
  sys: string;
  /** Prefix of every other absolute path (/run, /var, the PATH directories). */
  host: string;
  /** The PATH searched for the docker CLI. */
  path: string;
}

export const REAL_ROOTS: Roots = { proc: '/proc', sys: '/sys', host: '/', path: process.env.PATH ?? '' };

/** The kernel that has every BPF feature the programs use: bpf_rdonly_cast (6.2), bpf_loop (5.17), percpu lookups (5.19). */
export const MIN_KERNEL: [number, number] = [6, 2];
/** A kfunc of 6.2 the programs call: a kernel that reports an older version but backported it is worth a try. */
const NEWEST_KFUNC = 'bpf_rdonly_cast';
/** Before 5.11 BPF memory is charged to RLIMIT_MEMLOCK, after it to the memory cgroup. */
const MEMCG_ACCOUNTING: [number, number] = [5, 11];
/** Ring buffer (16 MiB by default) plus the maps, with room: what RLIMIT_MEMLOCK must allow before 5.11. */
const MEMLOCK_NEEDED = 64 * 2 ** 20;

const CAP = { SYS_ADMIN: 21, SYS_RESOURCE: 24, PERFMON: 38, BPF: 39 } as const;

/** Where tracefs may be mounted, relative to /sys. */
const TRACEFS_DIRS = ['kernel/tracing', 'kernel/debug/tracing'];
/** dockerd's API socket: the recorder does not use it, but it tells that dockerd runs. */
const DOCKER_SOCKETS = ['/run/docker.sock', '/var/run/docker.sock'];

type Read = { text: string } | { error: string };

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

/** The host's files, read once each. */
export class HostView {
  private cache = new Map<string, Read>();
  private btfBytes: Buffer | string | undefined;

  constructor(readonly roots: Roots = REAL_ROOTS) {}

  proc(...p: string[]): string {
    return join(this.roots.proc, ...p);
  }
  sys(...p: string[]): string {
    return join(this.roots.sys, ...p);
  }
  host(absolute: string): string {
    return join(this.roots.host, absolute);
  }

  read(path: string): Read {
    let r = this.cache.get(path);
    if (!r) {
      try {
        r = { text: readFileSync(path, 'utf8') };
      } catch (err) {
        r = { error: errorCode(err) };
      }
      this.cache.set(path, r);
    }
    return r;
  }

  /** A field of /proc/self/status ("Uid", "CapEff", "Seccomp"), or null. */
  status(field: string): string | null {
    const r = this.read(this.proc('self', 'status'));
    if (!('text' in r)) return null;
    const line = r.text.split('\n').find((l) => l.startsWith(`${field}:`));
    return line ? line.slice(field.length + 1).trim() : null;
  }

  euid(): number | null {
    const uid = this.status('Uid')?.split(/\s+/)[1];
    return uid !== undefined && /^\d+$/.test(uid) ? Number(uid) : null;
  }

  capEff(): bigint | null {
    const hex = this.status('CapEff');
    return hex && /^[0-9a-f]+$/i.test(hex) ? BigInt(`0x${hex}`) : null;
  }

  hasCap(bit: number): boolean {
    const caps = this.capEff();
    return caps !== null && ((caps >> BigInt(bit)) & 1n) === 1n;
  }

  /** "6.18.44-fc" and [6, 18], or null when unreadable. */
  kernel(): { release: string; version: [number, number] | null } | null {
    const r = this.read(this.proc('sys', 'kernel', 'osrelease'));
    if (!('text' in r)) return null;
    const release = r.text.trim();
    const m = /^(\d+)\.(\d+)/.exec(release);
    return { release, version: m ? [Number(m[1]), Number(m[2])] : null };
  }

  /** The kernel's BTF (/sys/kernel/btf/vmlinux, a few MB), or the error code reading it. */
  btf(): Buffer | string {
    if (this.btfBytes === undefined) {
      try {
        this.btfBytes = readFileSync(this.sys('kernel', 'btf', 'vmlinux'));
      } catch (err) {
        this.btfBytes = errorCode(err);
      }
    }
    return this.btfBytes;
  }

  /** True when the BTF string table holds this name (type and function names live there). */
  btfHasName(name: string): boolean {
    const btf = this.btf();
    return typeof btf !== 'string' && btf.includes(Buffer.from(`\0${name}\0`));
  }

  /** The mounted tracefs (its real path), 'EACCES' when it cannot be looked at, or null. */
  tracefs(): { dir: string; shown: string } | 'EACCES' | null {
    let denied = false;
    for (const rel of TRACEFS_DIRS) {
      const code = statCode(this.sys(rel, 'events'));
      if (code === null) return { dir: this.sys(rel), shown: `/sys/${rel}` };
      if (code === 'EACCES') denied = true;
    }
    return denied ? 'EACCES' : null;
  }
}

/** null when the path exists, else the error code. */
function statCode(path: string): string | null {
  try {
    statSync(path);
    return null;
  } catch (err) {
    return errorCode(err);
  }
}

function atLeast(v: [number, number], min: [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

const ok = (id: string, found: string): Check => ({ id, status: 'ok', found, fix: null });
const warn = (id: string, found: string, fix: string): Check => ({ id, status: 'warn', found, fix });
const fail = (id: string, found: string, fix: string): Check => ({ id, status: 'fail', found, fix });

export function checkRoot(h: HostView): Check {
  const euid = h.euid();
  if (euid === 0) return ok('root', 'running as root (uid 0)');
  return fail('root', euid === null ? 'cannot read the effective uid' : `running as uid ${euid}, not root`, 'run it as root: sudo contxray record …');
}

export function checkCapabilities(h: HostView): Check {
  if (h.capEff() === null) return fail('capabilities', 'cannot read CapEff from /proc/self/status', 'run it as root on the host');
  const names = (Object.keys(CAP) as (keyof typeof CAP)[]).filter((n) => h.hasCap(CAP[n])).map((n) => `CAP_${n}`);
  const have = names.length > 0 ? names.join(', ') : 'none of CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN';
  if ((h.hasCap(CAP.BPF) && h.hasCap(CAP.PERFMON)) || h.hasCap(CAP.SYS_ADMIN)) return ok('capabilities', `effective: ${have}`);
  return fail(
    'capabilities',
    `effective: ${have}`,
    'needs CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before kernel 5.8): run as root on the host, or the container with --privileged (or --cap-add BPF --cap-add PERFMON)',
  );
}

export function checkKernel(h: HostView): Check {
  const k = h.kernel();
  const min = MIN_KERNEL.join('.');
  if (!k) return warn('kernel', 'cannot read /proc/sys/kernel/osrelease', `needs Linux ≥ ${min} with BTF`);
  if (k.version && atLeast(k.version, MIN_KERNEL)) return ok('kernel', `Linux ${k.release}`);
  if (h.btfHasName(NEWEST_KFUNC)) {
    return warn('kernel', `Linux ${k.release} (older than ${min}, but its BTF has ${NEWEST_KFUNC}: a backport)`, `if loading fails, use Linux ≥ ${min}`);
  }
  return fail('kernel', `Linux ${k.release}`, `needs Linux ≥ ${min} (the BPF programs use bpf_loop, per-CPU map lookups and ${NEWEST_KFUNC})`);
}

export function checkBtf(h: HostView): Check {
  const btf = h.btf();
  if (typeof btf !== 'string') return ok('btf', `/sys/kernel/btf/vmlinux (${(btf.length / 2 ** 20).toFixed(1)} MiB)`);
  if (btf === 'ENOENT') return fail('btf', '/sys/kernel/btf/vmlinux is missing', 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distributions since 2020)');
  return fail('btf', `/sys/kernel/btf/vmlinux cannot be read (${btf})`, 'run it as root; in a container, bind /sys from the host');
}

export function checkTracefs(h: HostView): Check {
  const t = h.tracefs();
  if (t === 'EACCES') return warn('tracefs', 'tracefs cannot be looked at (permission denied)', 'run it as root');
  if (t) return ok('tracefs', `mounted at ${t.shown}`);
  return warn('tracefs', 'not mounted', 'record mounts it itself as root; or: mount -t tracefs nodev /sys/kernel/tracing');
}

export function checkTracepoint(h: HostView, tp: Tracepoint): Check {
  const id = `tracepoint ${tp.name}`;
  if (tp.via === 'btf') {
    const typedef = `btf_trace_${tp.name}`;
    if (typeof h.btf() === 'string') return fail(id, 'cannot be checked: no readable BTF', 'see the btf check');
    if (h.btfHasName(typedef)) return ok(id, `in the kernel's BTF (${typedef})`);
    return fail(id, `missing from the kernel's BTF (no ${typedef})`, `needs a kernel with the ${tp.name} tracepoint`);
  }
  const t = h.tracefs();
  if (t === null || t === 'EACCES') return warn(id, 'cannot be checked without a readable tracefs', 'see the tracefs check');
  const event = join(t.dir, 'events', tp.name);
  if (statCode(event) === null) return ok(id, `${t.shown}/events/${tp.name}`);
  return fail(id, `${t.shown}/events/${tp.name} is missing`, `needs a kernel with the ${tp.name.replace('/', ':')} tracepoint`);
}

export function checkTracepoints(h: HostView): Check[] {
  return tracepoints().map((tp) => checkTracepoint(h, tp));
}

export function checkCgroup(h: HostView): Check {
  const r = h.read(h.proc('self', 'mountinfo'));
  if (!('text' in r)) return fail('cgroup', `cannot read /proc/self/mountinfo (${r.error})`, 'run it as root on the host');
  const v2 = parseMountinfo(r.text);
  const v1 = r.text.split('\n').some((l) => / - cgroup /.test(l));
  if (v2 && !v1) return ok('cgroup', `cgroup v2 (unified) at ${v2.mountPoint}`);
  if (v2) return ok('cgroup', `hybrid: cgroup v2 at ${v2.mountPoint}, v1 controllers beside it`);
  return fail(
    'cgroup',
    v1 ? 'cgroup v1 only: no cgroup2 mount' : 'no cgroup mount',
    'containers are told apart by their cgroup v2: boot with systemd.unified_cgroup_hierarchy=1 (or mount cgroup2 in hybrid mode with the systemd cgroup driver)',
  );
}

function isDir(path: string): boolean {
  try {
    readdirSync(path); // readable, not only there
    return true;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  return statCode(path) === null;
}

/** The runtimes whose state src/containers/ reads (same paths: its constants), and what is there. */
export function checkRuntimes(h: HostView): Check {
  const found: string[] = [];
  const missing: string[] = [];
  const dockerState = `${DEFAULT_DOCKER_ROOT}/containers`;
  const dockerd = DOCKER_SOCKETS.some((s) => exists(h.host(s)));
  const dockerCli = h.roots.path.split(':').some((dir) => dir !== '' && exists(h.host(join(dir, 'docker'))));
  let dockerProblem: string | null = null;
  if (isDir(h.host(dockerState))) found.push(`Docker (${dockerState})`);
  else if (dockerd && dockerCli) found.push(`Docker (via docker inspect: ${dockerState} unreadable)`);
  else if (dockerd) dockerProblem = `dockerd runs but neither ${dockerState} nor the docker CLI is reachable`;
  else missing.push('Docker');
  const taskDirs = CONTAINERD_TASK_DIRS.filter((d) => isDir(h.host(d)));
  if (taskDirs.length > 0) found.push(`containerd (${taskDirs.join(', ')})`);
  else missing.push('containerd');
  const storage = CONTAINERS_STORAGE_ROOTS.filter((d) => exists(h.host(join(d, 'overlay-containers', 'containers.json'))));
  if (storage.length > 0) found.push(`CRI-O/podman (${storage.join(', ')})`);
  else missing.push('CRI-O/podman');
  const none = missing.length > 0 ? `; not found: ${missing.join(', ')}` : '';
  if (dockerProblem) return warn('runtimes', `${dockerProblem}${found.length ? `; ${found.join(', ')}` : ''}`, `Docker containers get ids but no names: install the docker CLI or make ${dockerState} readable`);
  if (found.length > 0) return ok('runtimes', `${found.join(', ')}${none}`);
  return warn(
    'runtimes',
    `no runtime state found (${[dockerState, ...CONTAINERD_TASK_DIRS, ...CONTAINERS_STORAGE_ROOTS].join(', ')})`,
    'containers are recorded with their cgroup id and runtime only, without names and images: start the runtime, or run contxray where it runs',
  );
}

/** "Max locked memory  8388608  8388608  bytes" → soft limit in bytes (Infinity for unlimited), or null. */
export function memlockLimit(limits: string): number | null {
  const line = limits.split('\n').find((l) => l.startsWith('Max locked memory'));
  const soft = line?.slice('Max locked memory'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return Infinity;
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null;
}

function mib(n: number): string {
  return n === Infinity ? 'unlimited' : `${(n / 2 ** 20).toFixed(n % 2 ** 20 === 0 ? 0 : 1)} MiB`;
}

export function checkMemlock(h: HostView): Check {
  const r = h.read(h.proc('self', 'limits'));
  const limit = 'text' in r ? memlockLimit(r.text) : null;
  const shown = limit === null ? 'unknown' : mib(limit);
  const v = h.kernel()?.version;
  if (v && atLeast(v, MEMCG_ACCOUNTING)) return ok('memlock', `not used: kernel ≥ 5.11 charges BPF memory to the memory cgroup (RLIMIT_MEMLOCK ${shown})`);
  if (limit !== null && limit >= MEMLOCK_NEEDED) return ok('memlock', `RLIMIT_MEMLOCK ${shown} (kernel < 5.11 charges BPF memory to it)`);
  if (h.hasCap(CAP.SYS_RESOURCE)) return ok('memlock', `RLIMIT_MEMLOCK ${shown}; libbpf raises it (CAP_SYS_RESOURCE)`);
  return fail('memlock', `RLIMIT_MEMLOCK ${shown}, no CAP_SYS_RESOURCE to raise it (kernel < 5.11 charges BPF memory to it)`, `ulimit -l unlimited (at least ${mib(MEMLOCK_NEEDED)}) before recording`);
}

const UNPRIVILEGED_BPF: Record<string, string> = {
  '0': 'unprivileged BPF allowed',
  '1': 'unprivileged BPF disabled',
  '2': 'unprivileged BPF disabled, an admin may re-enable it',
};

/** kernel.unprivileged_bpf_disabled: irrelevant to a recorder running as root, shown for completeness. */
export function checkUnprivilegedBpf(h: HostView): Check {
  const r = h.read(h.proc('sys', 'kernel', 'unprivileged_bpf_disabled'));
  if (!('text' in r)) return ok('unprivileged-bpf', 'kernel.unprivileged_bpf_disabled not present; irrelevant as root');
  const v = r.text.trim();
  return ok('unprivileged-bpf', `kernel.unprivileged_bpf_disabled=${v}: ${UNPRIVILEGED_BPF[v] ?? 'unknown value'} (irrelevant as root)`);
}

/**
 * A seccomp filter on this process (a container's default profile) may block bpf(). Whether it does
 * is only known by trying: `bpfLoaded` is the trial's outcome when it ran.
 */
export function checkSeccomp(h: HostView, bpfLoaded?: boolean): Check {
  const mode = h.status('Seccomp');
  const filters = h.status('Seccomp_filters');
  if (mode === null) return ok('seccomp', 'no Seccomp field in /proc/self/status (kernel without seccomp)');
  if (mode === '0') return ok('seccomp', 'no seccomp filter on this process');
  if (mode === '1') return fail('seccomp', 'strict seccomp mode: only read/write/exit allowed', 'run it outside the sandbox');
  const found = `a seccomp filter is active (${filters ?? '?'} filter${filters === '1' ? '' : 's'})`;
  if (bpfLoaded === true) return ok('seccomp', `${found}; bpf() passes it (the programs loaded)`);
  const fix = 'if bpf() is blocked (Docker\'s default profile blocks it), run the container with --privileged or --security-opt seccomp=unconfined';
  return warn('seccomp', bpfLoaded === false ? `${found} and loading failed: it may be why` : `${found}: bpf() may be blocked`, fix);
}

export function checkAddon(info: AddonInfo): Check {
  const what = info.kind === 'prebuilt' ? 'prebuilt' : info.kind === 'source' ? 'built from source' : 'addon';
  if (!info.found) {
    return fail('addon', `native addon not found${info.error ? `: ${info.error}` : ''}`, 'reinstall contxray (the package carries a prebuilt addon for linux-x64), or build it: npm run build:native (needs clang, libbpf-dev, bpftool)');
  }
  if (info.error) return fail('addon', `${what} at ${info.path} does not load: ${info.error}`, 'rebuild it: npm run build:native (needs clang, libbpf-dev, bpftool)');
  return ok('addon', `${what}, loads (${info.path})`);
}

/** Every file-based check, in the order shown. */
export function fileChecks(h: HostView): Check[] {
  return [
    checkRoot(h),
    checkCapabilities(h),
    checkKernel(h),
    checkBtf(h),
    checkTracefs(h),
    ...checkTracepoints(h),
    checkCgroup(h),
    checkRuntimes(h),
    checkMemlock(h),
    checkUnprivilegedBpf(h),
  ];
}
