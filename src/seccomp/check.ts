/**
 * `--check PROFILE`: would this profile have let the recorded workload run? Evaluates each recorded
 * call (inside the same boundary a generated profile covers) against the profile's rules the way
 * Docker and runc do, and lists what it would deny, by whom. Also lists what seccomp actually denied
 * while recording — the answer to "why does my container break under this profile".
 */
import { SCMP_ARCH, compatArchOf, isKnownArch, normalizeArch, syscallNumber } from '../syscalls/index.js';
import { boundaryOf, type BoundaryOptions } from './boundary.js';
import { dockerDefault } from './docker-default.js';
import { expectedDenial } from './fallbacks.js';
import type { DockerProfile, ProfileRule, SyscallUse } from './types.js';

export type Verdict =
  | { kind: 'allow' }
  | { kind: 'conditional'; why: string }
  | { kind: 'deny'; action: string; errno?: number; why: string };

export interface CheckFinding {
  name: string | null;
  nr: number;
  arch: string;
  calls: bigint;
  comms: string[];
  pids: number;
  verdict: Verdict;
  /** Denied on purpose so libc falls back (clone3 → ENOSYS → clone): why; null for a real failure. */
  expected: string | null;
}

export interface CheckResult {
  /** Real failures: recorded calls the profile would deny. */
  wouldDeny: CheckFinding[];
  /** Recorded calls the profile denies on purpose (ENOSYS so libc falls back): not failures. */
  expectedDenials: CheckFinding[];
  conditional: CheckFinding[];
  deniedAtRecord: { name: string | null; nr: number; arch: string; errno: number; calls: bigint; comms: string[]; expected: string | null }[];
  checkedCalls: bigint;
}

const ALLOWING = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);
const GOARCH: Record<string, string> = { x86_64: 'amd64', i386: 'x86', aarch64: 'arm64', arm: 'arm' };

/** The SCMP arches a profile covers for a host of `nativeArch` (plain list, or Docker's archMap). */
export function profileArches(p: DockerProfile, nativeArch: string): string[] | null {
  if (p.architectures?.length) return p.architectures;
  const native = isKnownArch(normalizeArch(nativeArch)) ? SCMP_ARCH[normalizeArch(nativeArch) as keyof typeof SCMP_ARCH] : undefined;
  const m = p.archMap?.find((a) => a.architecture === native);
  if (m) return [m.architecture, ...(m.subArchitectures ?? [])];
  return null; // no list: libseccomp's native arch only
}

/** Docker-format includes/excludes, evaluated for a default-capability container on `nativeArch`. */
function applies(rule: ProfileRule, nativeArch: string): boolean {
  const caps = dockerDefault(nativeArch)?.capabilities ?? [];
  const goarch = GOARCH[normalizeArch(nativeArch)] ?? nativeArch;
  const inc = rule.includes ?? {};
  const exc = rule.excludes ?? {};
  if (inc.arches?.length && !inc.arches.includes(goarch)) return false;
  if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) return false;
  if (exc.arches?.includes(goarch)) return false;
  if (exc.caps?.some((c) => caps.includes(c))) return false;
  return true;
}

export function verdictFor(p: DockerProfile, name: string | null, callArch: string, nativeArch: string): Verdict {
  const arches = profileArches(p, nativeArch);
  const scmp = SCMP_ARCH[normalizeArch(callArch) as keyof typeof SCMP_ARCH];
  if (arches && scmp && !arches.includes(scmp)) {
    return { kind: 'deny', action: 'bad arch', why: `${scmp} is not in the profile's architectures` };
  }
  const byDefault = (why: string): Verdict =>
    ALLOWING.has(p.defaultAction)
      ? { kind: 'allow' }
      : { kind: 'deny', action: p.defaultAction, errno: p.defaultAction === 'SCMP_ACT_ERRNO' ? (p.defaultErrnoRet ?? 1) : undefined, why };
  if (name === null) return byDefault('unknown number: no rule can name it');
  const rules = (p.syscalls ?? []).filter((r) => (r.names ?? []).includes(name) && applies(r, nativeArch));
  if (rules.some((r) => ALLOWING.has(r.action) && !r.args?.length)) return { kind: 'allow' };
  const deny = rules.find((r) => !ALLOWING.has(r.action));
  if (rules.some((r) => ALLOWING.has(r.action))) {
    return { kind: 'conditional', why: 'allowed only for some argument values; the recording does not keep arguments' };
  }
  if (deny) return { kind: 'deny', action: deny.action, errno: deny.action === 'SCMP_ACT_ERRNO' ? (deny.errnoRet ?? 1) : undefined, why: 'denied by an explicit rule' };
  return byDefault('not listed: default action');
}

/**
 * runc answers ENOSYS instead of the default action for numbers above the highest one the profile
 * names on that arch (so libc treats newer syscalls as missing): the errno a caller really gets.
 */
function withRuncCutoff(p: DockerProfile, v: Verdict, nr: number, arch: string): Verdict {
  if (v.kind !== 'deny' || v.why !== 'not listed: default action' || ALLOWING.has(p.defaultAction)) return v;
  const named = (p.syscalls ?? []).flatMap((r) => r.names ?? []).map((n) => syscallNumber(arch, n) ?? -1);
  // a loop, not Math.max(...named): the profile is a user's file and may name any number of syscalls
  const highest = named.reduce((m, n) => (n > m ? n : m), -1);
  if (nr <= highest) return v;
  return { kind: 'deny', action: 'SCMP_ACT_ERRNO', errno: 38, why: `above the highest syscall the profile names (${highest}): runc answers ENOSYS` };
}

export function checkProfile(p: DockerProfile, rows: readonly SyscallUse[], nativeArch: string, opts: BoundaryOptions = {}): CheckResult {
  const { inScope } = boundaryOf(rows, opts);
  const groups = new Map<string, CheckFinding>();
  let checkedCalls = 0n;
  for (const r of rows) {
    if (!inScope(r) || r.calls === 0n) continue;
    checkedCalls += r.calls;
    const key = `${r.arch}:${r.nr}`;
    let g = groups.get(key);
    if (!g) {
      // The view names a compat call's arch from the capture's table (i386); 'compat' if it had none.
      const arch = r.arch === 'compat' ? (compatArchOf(nativeArch) ?? r.arch) : r.arch;
      const verdict = withRuncCutoff(p, verdictFor(p, r.name, arch, nativeArch), r.nr, arch);
      const expected = verdict.kind === 'deny' && verdict.errno !== undefined ? expectedDenial(r.name, verdict.errno) : null;
      g = { name: r.name, nr: r.nr, arch: r.arch, calls: 0n, comms: [], pids: 0, verdict, expected };
      groups.set(key, g);
    }
    g.calls += r.calls;
    g.pids += r.pids;
    if (!g.comms.includes(r.comm)) g.comms.push(r.comm);
  }
  const all = [...groups.values()].sort((a, b) => (b.calls > a.calls ? 1 : b.calls < a.calls ? -1 : 0));
  const denied = new Map<string, CheckResult['deniedAtRecord'][number]>();
  for (const r of rows) {
    if (r.denied === 0n || r.nr < 0) continue; // nr −1: not a seccomp denial (see boundary.ts)
    const key = `${r.arch}:${r.nr}:${r.denied_errno}`;
    const d = denied.get(key) ?? { name: r.name, nr: r.nr, arch: r.arch, errno: r.denied_errno, calls: 0n, comms: [], expected: expectedDenial(r.name, r.denied_errno) };
    d.calls += r.denied;
    if (!d.comms.includes(r.comm)) d.comms.push(r.comm);
    denied.set(key, d);
  }
  return {
    wouldDeny: all.filter((g) => g.verdict.kind === 'deny' && g.expected === null),
    expectedDenials: all.filter((g) => g.verdict.kind === 'deny' && g.expected !== null),
    conditional: all.filter((g) => g.verdict.kind === 'conditional'),
    // Real failures first, then by count.
    deniedAtRecord: [...denied.values()].sort((a, b) => Number(a.expected !== null) - Number(b.expected !== null) || (b.calls > a.calls ? 1 : b.calls < a.calls ? -1 : 0)),
    checkedCalls,
  };
}
